"""Which of the day's papers a chat gets: pure functions, no I/O.

Keywords filter (case-insensitive, title or abstract): only matching papers are kept, the ones
matching more keywords first, then feed order. Without keywords: feed order. At most `limit`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.models import FeedItem, Paper


@dataclass(frozen=True)
class Selection:
    papers: tuple[Paper, ...]
    announced: int  # new + cross papers of the chat's categories, deduplicated
    matching: int  # of those, how many match the keywords (all when there are none)


def merge_items(announcements: Sequence[Sequence[FeedItem]]) -> list[FeedItem]:
    """Union of several categories' items in order, each paper once (cross-lists dedup)."""
    seen: set[str] = set()
    merged: list[FeedItem] = []
    for items in announcements:
        for item in items:
            if item.paper.arxiv_id not in seen:
                seen.add(item.paper.arxiv_id)
                merged.append(item)
    return merged


def keyword_hits(paper: Paper, keywords: Sequence[str]) -> int:
    """How many of `keywords` occur in the paper's title or abstract (case-insensitive)."""
    text = f"{paper.title}\n{paper.abstract}".casefold()
    return sum(1 for k in keywords if k.casefold() in text)


def select(items: Sequence[FeedItem], keywords: Sequence[str], limit: int) -> Selection:
    papers = [item.paper for item in items]
    if not keywords:
        return Selection(tuple(papers[:limit]), len(papers), len(papers))
    scored = [(keyword_hits(p, keywords), n, p) for n, p in enumerate(papers)]
    hits = sorted((s for s in scored if s[0] > 0), key=lambda s: (-s[0], s[1]))
    return Selection(tuple(p for _, _, p in hits[:limit]), len(papers), len(hits))
