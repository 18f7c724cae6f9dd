"""The day's papers of a set of categories, from the RSS feed, fetched once per announcement.

A category's feed is fetched at most once per arXiv announcement: a fetch is reused while it is
newer than the last announcement cut-off (midnight in New York, when arXiv's feed turns over)
and, if it did not yet show that day's announcement, for at most `RETRY_STALE` (the feed may be
late). Papers go to the store; the items (id, announce type) are stored per category and date.

A feed with no item (weekend, holiday) is no announcement. A feed whose items are exactly those
of an earlier date (a stale feed) is that earlier announcement, not a new one.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.models import FeedItem
from bot.pipeline import find_papers
from bot.rss import fetch_announcement
from bot.selection import merge_items
from bot.services import Services
from storage import digests
from storage import papers as paper_store

log = logging.getLogger(__name__)

ARXIV_ZONE = ZoneInfo("America/New_York")
RETRY_STALE = timedelta(minutes=30)


@dataclass(frozen=True)
class DayPapers:
    """The papers announced on `day` in some categories, merged in feed order."""

    day: str
    categories: tuple[str, ...]
    items: tuple[FeedItem, ...]


async def day_papers(services: Services, categories: Sequence[str]) -> DayPapers | None:
    """The latest announcement of `categories`, or None when there is none (weekend)."""
    per_category = {c: await _category_items(services, c) for c in categories}
    days = [d for d, items in per_category.values() if d is not None and items]
    if not days:
        return None
    day = max(days)
    current = [items for d, items in per_category.values() if d == day]
    return DayPapers(
        day, tuple(c for c, (d, _) in per_category.items() if d == day), tuple(merge_items(current))
    )


async def _category_items(services: Services, category: str) -> tuple[str | None, list[FeedItem]]:
    now = services.clock()
    fetch = await services.store.call(digests.last_fetch, category)
    if fetch is not None and _still_current(fetch, now):
        day = fetch[0]
        return day, (await _stored_items(services, category, day) if day else [])
    announcement = await fetch_announcement(
        services.http, services.arxiv.throttle, services.settings.arxiv_rss_url, category
    )
    papers = [item.paper for item in announcement.items]
    if papers:
        await services.store.call(paper_store.put_papers, papers)
    announced = await _announcement_day(
        services, category, announcement.date, announcement.items, now
    )
    pairs = [(i.paper.arxiv_id, i.announce_type) for i in announcement.items]
    await services.store.call(
        digests.save_announcement, category, announced, pairs, now.isoformat()
    )
    return (announced.isoformat() if announced else None), list(announcement.items)


async def _announcement_day(
    services: Services, category: str, day: date | None, items: Sequence[FeedItem], now: datetime
) -> date | None:
    if not items:
        return None
    day = day or now.astimezone(ARXIV_ZONE).date()
    ids = [i.paper.arxiv_id for i in items]
    earlier = await services.store.call(
        digests.earlier_same_announcement, category, day.isoformat(), ids
    )
    if earlier is not None:
        log.info("feed of %s on %s repeats %s: not a new announcement", category, day, earlier)
        return date.fromisoformat(earlier)
    return day


async def _stored_items(services: Services, category: str, day: str) -> list[FeedItem]:
    pairs = await services.store.call(digests.announcement, category, day)
    found = await find_papers(services, [i for i, _ in pairs])
    by_id = {p.arxiv_id: p for p in found.papers}
    return [FeedItem(by_id[i], kind) for i, kind in pairs if i in by_id]


def _still_current(fetch: tuple[str | None, str], now: datetime) -> bool:
    day, fetched_at = fetch[0], datetime.fromisoformat(fetch[1])
    local = now.astimezone(ARXIV_ZONE)
    cutoff = datetime.combine(local.date(), time(0), ARXIV_ZONE)
    if fetched_at < cutoff:
        return False
    return day == local.date().isoformat() or now - fetched_at < RETRY_STALE
