"""Markdown digests for the command line: `summarize` (given papers) and `digest` (the day's)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

from bot.config import Settings
from bot.daily import day_papers
from bot.errors import InputError
from bot.models import Digest, DigestEntry
from bot.pipeline import find_papers, summarize_all
from bot.render import render_markdown
from bot.selection import select
from bot.services import Services, create_services


async def summarize_to_markdown(settings: Settings, ids: Sequence[str]) -> tuple[str, list[str]]:
    """The Markdown digest of `ids`, and the problems to report (not found, no summary)."""
    services = create_services(settings)
    await services.open()
    try:
        found = await find_papers(services, ids)
        if not found.papers:
            raise InputError(f"not found on arXiv: {', '.join(found.not_found)}")
        entries = await summarize_all(services, found.papers)
    finally:
        await services.close()
    problems = [f"not found on arXiv: {i}" for i in found.not_found]
    return render_markdown(Digest(entries=tuple(entries))), problems + _failed(entries)


async def digest_to_markdown(
    settings: Settings, categories: Sequence[str], keywords: Sequence[str], limit: int
) -> tuple[str, list[str]]:
    """The Markdown digest of today's new papers in `categories` ("" when none announced)."""
    services = create_services(settings)
    await services.open()
    try:
        return await _day_digest(services, categories, keywords, limit)
    finally:
        await services.close()


async def _day_digest(
    services: Services, categories: Sequence[str], keywords: Sequence[str], limit: int
) -> tuple[str, list[str]]:
    day = await day_papers(services, categories)
    if day is None:
        return "", [f"no new papers announced today in {', '.join(categories)}"]
    selection = select(day.items, keywords, limit)
    entries = await summarize_all(services, selection.papers, progress=_progress_bar())
    header = f"arXiv {day.day} · {', '.join(day.categories)} · {selection.announced} announced"
    if keywords:
        header += f", {selection.matching} matching"
    header += f", {len(entries)} shown"
    return render_markdown(Digest(entries=tuple(entries), header=header)), _failed(entries)


def _failed(entries: Sequence[DigestEntry]) -> list[str]:
    return [
        f"no Chinese summary for {e.paper.arxiv_id} (LLM failed)" for e in entries if not e.summary
    ]


def _progress_bar() -> Callable[[int, int], None] | None:
    """A one-line progress bar on stderr, only when stderr is a terminal."""
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        end = "\n" if done == total else ""
        bar = "█" * filled + "░" * (width - filled)
        print(f"\rsummarizing {bar} {done}/{total}", end=end, file=sys.stderr, flush=True)

    return show
