"""Daily digests: who is due, what each gets, one summary per paper, then delivery.

A digest is due for a chat when its local digest time has passed today (and it is not before
the subscription's first occurrence), an announcement exists that the chat has not yet received,
the subscription is active, and no digest was begun for it since today's digest time: at most
one scheduled digest per local day, so an announcement that appears later that day waits for
tomorrow's time (a pass that runs late, after a restart or a late feed, still sends the day's).
The papers of every due chat are summarized once (the union), then each chat's digest is
rendered, frozen in the store and delivered. A chat whose digest was
interrupted resumes with exactly the stored messages.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from telegram import Bot

from bot.daily import DayPapers, day_papers
from bot.delivery import deliver
from bot.errors import ArxivUnavailable
from bot.models import Digest, DigestEntry, Paper, Subscription
from bot.pipeline import summarize_all
from bot.render import render_telegram
from bot.selection import Selection, select
from bot.services import Services
from storage import digests, subscriptions

log = logging.getLogger(__name__)

# Chats delivered to at once; Telegram's limits themselves are kept by the rate limiter.
CHATS_AT_ONCE = 32


@dataclass(frozen=True)
class Planned:
    sub: Subscription
    day: DayPapers
    selection: Selection


def occurrence(sub: Subscription, now: datetime) -> datetime:
    """Today's (in the chat's zone) occurrence of the subscription's digest time."""
    zone = ZoneInfo(sub.timezone)
    hours, minutes = (int(x) for x in sub.digest_time.split(":"))
    return datetime.combine(now.astimezone(zone).date(), time(hours, minutes), zone)


def time_has_come(sub: Subscription, now: datetime) -> bool:
    today = occurrence(sub, now)
    return sub.active and today <= now and today >= sub.first_due_at


async def send_due(services: Services, bot: Bot, chat_ids: Iterable[int] | None = None) -> int:
    """One scheduler pass over `chat_ids` (default: all); the number of messages sent."""
    async with services.digest_lock:
        subs = await _candidates(services, chat_ids)
        now = services.clock()
        due = [
            s
            for s in subs
            if s.active and time_has_come(s, now) and services.deferred.get(s.chat_id, now) <= now
        ]
        return await _send_digests(services, bot, due, scheduled=True)


async def _candidates(services: Services, chat_ids: Iterable[int] | None) -> list[Subscription]:
    """The subscriptions a pass looks at: the named chats only (a chat's own daily job), or all
    active ones (the catch-up pass and the sweep)."""
    if chat_ids is None:
        return await services.store.call(subscriptions.active)
    found = [await services.store.call(subscriptions.get, chat_id) for chat_id in chat_ids]
    return [s for s in found if s is not None]


async def send_now(services: Services, bot: Bot, sub: Subscription) -> tuple[str | None, int]:
    """`/digest`: the chat's current digest at once (it counts as the day's delivery).

    Returns the announcement date (None: no announcement) and the number of messages sent.
    """
    async with services.digest_lock:
        days: _Days = {}
        day = await _day_for(services, sub.categories, days)
        if day is None:
            return None, 0
        return day.day, await _send_digests(services, bot, [sub], scheduled=False, days=days)


_Days = dict[tuple[str, ...], DayPapers | ArxivUnavailable | None]


async def _day_for(services: Services, categories: Sequence[str], days: _Days) -> DayPapers | None:
    """The day's papers of `categories`, looked up once per pass however many chats share them
    (a failure too: the next chat with the same categories does not ask arXiv again)."""
    key = tuple(categories)
    if key not in days:
        try:
            days[key] = await day_papers(services, categories)
        except ArxivUnavailable as exc:
            days[key] = exc
    found = days[key]
    if isinstance(found, ArxivUnavailable):
        raise found
    return found


async def _send_digests(
    services: Services,
    bot: Bot,
    subs: Sequence[Subscription],
    *,
    scheduled: bool,
    days: _Days | None = None,
) -> int:
    plans: list[Planned] = []
    resumes: list[tuple[Subscription, str]] = []
    days = {} if days is None else days
    for sub in subs:
        try:
            day = await _day_for(services, sub.categories, days)
        except ArxivUnavailable as exc:
            log.warning("no feed for chat %s (%s): will retry next pass", sub.chat_id, exc)
            continue
        if day is None or await services.store.call(digests.received, sub.chat_id, day.day):
            continue
        if await services.store.call(digests.stored_messages, sub.chat_id, day.day):
            resumes.append((sub, day.day))
        elif not scheduled or not await _had_digest_today(services, sub):
            plans.append(Planned(sub, day, select(day.items, sub.keywords, sub.max_papers)))
    entries = await _summaries(services, (p for plan in plans for p in plan.selection.papers))
    for plan in plans:
        texts = render_telegram(_digest(plan, entries))
        await services.store.call(
            digests.store_messages, plan.sub.chat_id, plan.day.day, texts, _now_text(services)
        )
    jobs = [(p.sub.chat_id, p.day.day) for p in plans] + [(s.chat_id, d) for s, d in resumes]
    slots = asyncio.Semaphore(CHATS_AT_ONCE)

    async def deliver_one(chat_id: int, day: str) -> int:
        async with slots:
            stored = await services.store.call(digests.stored_messages, chat_id, day)
            return (await deliver(services, bot, chat_id, day, stored)).sent

    return sum(await asyncio.gather(*(deliver_one(c, d) for c, d in jobs)))


async def _had_digest_today(services: Services, sub: Subscription) -> bool:
    since = occurrence(sub, services.clock()).astimezone(UTC).isoformat()
    return await services.store.call(digests.started_since, sub.chat_id, since)


def _now_text(services: Services) -> str:
    return services.clock().astimezone(UTC).isoformat()


async def _summaries(services: Services, papers: Iterable[Paper]) -> dict[str, DigestEntry]:
    unique = {p.arxiv_id: p for p in papers}
    entries = await summarize_all(services, list(unique.values()))
    return {e.paper.arxiv_id: e for e in entries}


def _digest(plan: Planned, entries: dict[str, DigestEntry]) -> Digest:
    chosen = tuple(entries[p.arxiv_id] for p in plan.selection.papers)
    return Digest(entries=chosen, header=digest_header(plan), notes=_notes(plan))


def digest_header(plan: Planned) -> str:
    """The truth about the digest: date, categories, announced, matching, shown."""
    s = plan.selection
    counts = f"公告 {s.announced} 篇"
    if plan.sub.keywords:
        counts += f"，匹配关键词 {s.matching} 篇"
    counts += f"，本期 {len(s.papers)} 篇"
    return f"📮 arXiv 每日速递 · {plan.day.day} · {', '.join(plan.day.categories)}\n{counts}"


def _notes(plan: Planned) -> tuple[str, ...]:
    return () if plan.selection.papers else ("今天没有匹配关键词的新论文。",)
