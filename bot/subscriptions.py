"""Subscription commands: validate the arguments, change the store, say what happened (Chinese).

Every function returns the reply text; nothing is written when an argument is invalid.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, time, timedelta
from html import escape
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from telegram import Bot

from bot import texts
from bot.digest_run import send_now
from bot.errors import ArxivUnavailable
from bot.models import Subscription
from bot.services import Services
from bot.taxonomy import parse_categories
from bot.telegram_input import Target
from storage import digests, subscriptions

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_KEYWORDS = 20
MAX_KEYWORD_LENGTH = 50
MAX_REPORTED = 5  # unknown categories named in one answer
_DIGITS = re.compile(r"[0-9]{1,4}")  # not str.isdigit: "²" is a digit to it, not to int()
_TIME = re.compile(r"^([01]?\d|2[0-3])[:：]([0-5]\d)$")


def next_occurrence(now: datetime, hhmm: str, zone_name: str) -> datetime:
    """The first moment strictly after `now` when the local clock in `zone_name` reads `hhmm`."""
    zone = ZoneInfo(zone_name)
    hours, minutes = (int(x) for x in hhmm.split(":"))
    local_day = now.astimezone(zone).date()
    today = datetime.combine(local_day, time(hours, minutes), zone)
    if today > now:
        return today
    return datetime.combine(local_day + timedelta(days=1), time(hours, minutes), zone)


async def subscribe(services: Services, target: Target, args: list[str], actor: int | None) -> str:
    categories, bad = parse_categories(args)
    if bad:
        return _unknown_categories(bad)
    if not categories:
        return texts.SUBSCRIBE_USAGE
    sub = await services.store.call(subscriptions.get, target.chat_id)
    if sub is None:
        sub = _new_subscription(services, target, tuple(categories))
    else:
        merged = tuple(dict.fromkeys((*sub.categories, *categories)))
        first = sub.first_due_at
        if not sub.active:  # resumed: like a new subscription, from the next occurrence
            first = next_occurrence(services.clock(), sub.digest_time, sub.timezone)
        sub = replace(sub, categories=merged, active=True, title=target.title, first_due_at=first)
    await _save(services, sub, actor)
    return texts.SUBSCRIBED.format(
        categories="、".join(sub.categories),
        time=sub.digest_time,
        zone=sub.timezone,
        limit=sub.max_papers,
        first=_when(sub.first_due_at, sub.timezone),
    )


async def unsubscribe(services: Services, target: Target, args: list[str]) -> str:
    sub = await services.store.call(subscriptions.get, target.chat_id)
    if sub is None:
        return texts.NOT_SUBSCRIBED
    if not args:
        await services.store.call(subscriptions.delete, target.chat_id)
        services.schedule_changed(target.chat_id)
        return texts.UNSUBSCRIBED_ALL
    categories, bad = parse_categories(args)
    missing = [c for c in categories if c not in sub.categories] + [name for name, _ in bad]
    if missing:
        return texts.NOT_IN_SUBSCRIPTION.format(
            names=escape("、".join(missing)), current="、".join(sub.categories)
        )
    left = tuple(c for c in sub.categories if c not in categories)
    if not left:
        return await unsubscribe(services, target, [])
    await _save(services, replace(sub, categories=left), None)
    return texts.UNSUBSCRIBED_SOME.format(removed="、".join(categories), left="、".join(left))


async def set_keywords(services: Services, target: Target, args: list[str]) -> str:
    sub = await services.store.call(subscriptions.get, target.chat_id)
    if sub is None:
        return texts.NOT_SUBSCRIBED
    text = " ".join(args).strip()
    if not text:
        return texts.KEYWORDS_USAGE
    if text.lower() in ("off", "关闭", "none"):
        await _save(services, replace(sub, keywords=()), None)
        return texts.KEYWORDS_OFF
    keywords = tuple(dict.fromkeys(k.strip() for k in re.split(r"[,，、;；]", text) if k.strip()))
    if len(keywords) > MAX_KEYWORDS or any(len(k) > MAX_KEYWORD_LENGTH for k in keywords):
        return texts.KEYWORDS_TOO_MANY.format(count=MAX_KEYWORDS, length=MAX_KEYWORD_LENGTH)
    await _save(services, replace(sub, keywords=keywords), None)
    return texts.KEYWORDS_SET.format(keywords=escape("、".join(keywords)))


async def set_time(services: Services, target: Target, args: list[str]) -> str:
    sub = await services.store.call(subscriptions.get, target.chat_id)
    if sub is None:
        return texts.NOT_SUBSCRIBED
    if not 1 <= len(args) <= 2:
        return texts.TIME_USAGE
    match = _TIME.match(args[0])
    if not match:
        return texts.TIME_BAD.format(value=escape(args[0][:40]))
    zone = args[1] if len(args) == 2 else sub.timezone
    if not _valid_zone(zone):
        return texts.ZONE_BAD.format(value=escape(zone[:60]))
    hhmm = f"{int(match[1]):02d}:{match[2]}"
    first = next_occurrence(services.clock(), hhmm, zone)
    sub = replace(sub, digest_time=hhmm, timezone=zone, first_due_at=first)
    await _save(services, sub, None)
    return texts.TIME_SET.format(time=hhmm, zone=zone, first=_when(first, zone))


async def set_limit(services: Services, target: Target, args: list[str]) -> str:
    sub = await services.store.call(subscriptions.get, target.chat_id)
    if sub is None:
        return texts.NOT_SUBSCRIBED
    if len(args) != 1 or not _DIGITS.fullmatch(args[0]) or not 1 <= int(args[0]) <= MAX_LIMIT:
        return texts.LIMIT_USAGE
    await _save(services, replace(sub, max_papers=int(args[0])), None)
    return texts.LIMIT_SET.format(limit=int(args[0]))


async def show_settings(services: Services, target: Target) -> str:
    sub = await services.store.call(subscriptions.get, target.chat_id)
    if sub is None:
        return texts.SETTINGS_NONE.format(title=escape(target.title))
    return texts.SETTINGS.format(
        title=escape(target.title),
        categories="、".join(sub.categories),
        keywords=escape("、".join(sub.keywords)) or "（无，推送全部）",
        time=sub.digest_time,
        zone=sub.timezone,
        limit=sub.max_papers,
        state="推送中" if sub.active else "已暂停（机器人被移出或无法发消息）",
    )


async def digest_now(
    services: Services, bot: Bot, target: Target, origin: int | None
) -> str | None:
    """Send the chat's current digest now; what to answer in `origin` (None: nothing)."""
    sub = await services.store.call(subscriptions.get, target.chat_id)
    if sub is None:
        return texts.NOT_SUBSCRIBED
    try:
        day, sent = await send_now(services, bot, sub)
    except ArxivUnavailable:
        return texts.DIGEST_ARXIV_DOWN
    if day is None:
        return texts.DIGEST_NONE
    if sent:
        return (
            None
            if origin == target.chat_id
            else texts.DIGEST_SENT_TO.format(title=escape(target.title), count=sent)
        )
    if await services.store.call(digests.received, target.chat_id, day):
        return texts.DIGEST_ALREADY.format(day=day)
    return texts.DIGEST_BUSY.format(day=day)


def _new_subscription(
    services: Services, target: Target, categories: tuple[str, ...]
) -> Subscription:
    settings = services.settings
    first = next_occurrence(
        services.clock(), settings.default_digest_time, settings.default_timezone
    )
    return Subscription(
        chat_id=target.chat_id,
        chat_type=target.chat_type,
        title=target.title,
        categories=categories,
        keywords=(),
        digest_time=settings.default_digest_time,
        timezone=settings.default_timezone,
        max_papers=DEFAULT_LIMIT,
        active=True,
        first_due_at=first,
    )


async def _save(services: Services, sub: Subscription, actor: int | None) -> None:
    await services.store.call(subscriptions.save, sub, actor)
    services.schedule_changed(sub.chat_id)


def _unknown_categories(bad: list[tuple[str, list[str]]]) -> str:
    """One line per unknown name, the first few only: the answer stays short."""
    lines = []
    for name, suggestions in bad[:MAX_REPORTED]:
        line = texts.UNKNOWN_CATEGORY.format(name=escape(name[:40]))
        if suggestions:
            line += texts.DID_YOU_MEAN.format(names="、".join(suggestions))
        lines.append(line)
    if len(bad) > MAX_REPORTED:
        lines.append(texts.MORE_UNKNOWN.format(count=len(bad) - MAX_REPORTED))
    return "\n".join(lines)


def _valid_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return "/" in name or name == "UTC"


def _when(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")
