"""Papers and their cached summaries.

A summary is keyed by (paper id, version, model, prompt version): a paper is summarized once per
model and prompt, however many chats receive it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import sqlite_utils

from bot.models import Paper, Summary
from storage.migrations import utc_now


def get_papers(
    db: sqlite_utils.Database, ids: Sequence[str], fetched_after: str
) -> dict[str, Paper]:
    """The stored papers among `ids` fetched at or after `fetched_after` (ISO UTC)."""
    if not ids:
        return {}
    marks = ",".join("?" for _ in ids)
    rows = db.execute(
        f"SELECT * FROM papers WHERE arxiv_id IN ({marks}) AND fetched_at >= ?",
        [*ids, fetched_after],
    )
    columns = [d[0] for d in rows.description]
    papers = (_paper(dict(zip(columns, row, strict=True))) for row in rows.fetchall())
    return {p.arxiv_id: p for p in papers}


def put_papers(db: sqlite_utils.Database, papers: Iterable[Paper]) -> None:
    """Store (or refresh) papers, in one transaction."""
    now = utc_now()
    rows = [
        {
            "arxiv_id": p.arxiv_id,
            "version": p.version,
            "title": p.title,
            "abstract": p.abstract,
            "authors": json.dumps(list(p.authors), ensure_ascii=False),
            "categories": json.dumps(list(p.categories)),
            "fetched_at": now,
        }
        for p in papers
    ]
    with db.conn:
        db.table("papers").upsert_all(rows, pk="arxiv_id")


def get_summary(
    db: sqlite_utils.Database, paper: Paper, model: str, prompt_version: int
) -> Summary | None:
    """The cached summary of this exact paper version, model and prompt, if any."""
    row = db.execute(
        "SELECT title_zh, tldr_zh, abstract_zh FROM summaries"
        " WHERE arxiv_id = ? AND version = ? AND model = ? AND prompt_version = ?",
        [paper.arxiv_id, paper.version, model, prompt_version],
    ).fetchone()
    return Summary(*row) if row else None


def put_summary(
    db: sqlite_utils.Database, paper: Paper, model: str, prompt_version: int, summary: Summary
) -> None:
    """Cache a validated summary."""
    with db.conn:
        db.table("summaries").upsert(
            {
                "arxiv_id": paper.arxiv_id,
                "version": paper.version,
                "model": model,
                "prompt_version": prompt_version,
                "title_zh": summary.title_zh,
                "tldr_zh": summary.tldr_zh,
                "abstract_zh": summary.abstract_zh,
                "created_at": utc_now(),
            },
            pk=("arxiv_id", "version", "model", "prompt_version"),
        )


def _paper(row: dict[str, Any]) -> Paper:
    return Paper(
        arxiv_id=row["arxiv_id"],
        version=row["version"],
        title=row["title"],
        abstract=row["abstract"],
        authors=tuple(json.loads(row["authors"])),
        categories=tuple(json.loads(row["categories"])),
    )
