"""Sending a chat's digest messages exactly as the delivery log allows.

Each message is claimed in the log before it is sent and marked once Telegram answers, so a
restart resumes after the last confirmed message and never resends it; two processes never send
the same message. Telegram's answers:
- RetryAfter: the rate limiter waits and resends (up to its retries, short waits only); a long
  or repeated flood wait releases the claim and defers the chat (other chats go on) until the
  wait is over, or until a restart;
- a connection that was never made (connect error or timeout): retried a few times, then the
  message is left for the next pass;
- any other transport failure (timed out or cut after the request went out): the message may
  have arrived: recorded as `unknown`, never resent blindly;
- Forbidden: the bot was removed: the subscription is deactivated, other chats go on;
- ChatMigrated: the subscription moves to the new id and the message goes there;
- BadRequest about the chat (post rights revoked, chat not found): paused like Forbidden;
- BadRequest about the message: logged with it and recorded as `failed`; never retried blindly.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import httpx
from telegram import Bot
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError

from bot.membership import chat_migrated
from bot.ratelimit import retry_seconds
from bot.services import Services
from storage import digests, subscriptions

log = logging.getLogger(__name__)

CONNECT_RETRIES = 3
# Telegram's limits per chat, as (messages, seconds) over sliding windows: one message a second
# in any chat, and 20 a minute in a group or channel.
PRIVATE_LIMITS = ((1, 1.0),)
GROUP_LIMITS = ((1, 1.0), (20, 60.0))
# A claim this old whose owner we cannot check is considered abandoned.
STALE_CLAIM = timedelta(minutes=10)
OWNER = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Outcome:
    chat_id: int  # where the digest went (a migrated group's new id)
    sent: int
    complete: bool


async def deliver(
    services: Services, bot: Bot, chat_id: int, day: str, texts: Sequence[str]
) -> Outcome:
    """Send the not yet delivered messages of a chat's digest, in order."""
    sent = 0
    pacer = _Pacer(PRIVATE_LIMITS if chat_id > 0 else GROUP_LIMITS)
    for number, text in enumerate(texts):
        claim = await _claim(services, chat_id, day, number)
        if claim == "final":
            continue
        if claim == "busy":  # another process is sending this digest: let it
            return Outcome(chat_id, sent, complete=False)
        await pacer.wait()
        result = await _send_one(services, bot, chat_id, day, number, text)
        pacer.record()
        if isinstance(result, _Stop):
            return Outcome(chat_id, sent, complete=False)
        chat_id, sent = result, sent + 1
    complete = await services.store.call(digests.received, chat_id, day)
    return Outcome(chat_id, sent, complete)


_CHAT_LEVEL = (
    "not enough rights",
    "have no rights",
    "need administrator rights",
    "chat not found",
    "chat_write_forbidden",
    "chat_restricted",
    "not a member",
)


def _chat_unusable(exc: BadRequest) -> bool:
    """A 400 that is about the chat (rights revoked, chat gone), not about this message."""
    text = exc.message.lower()
    return any(marker in text for marker in _CHAT_LEVEL)


class _Pacer:
    """At most `limit` messages in any `window` seconds, for each (limit, window), counted from
    Telegram's answers (so never from before a message arrived)."""

    def __init__(self, limits: Sequence[tuple[int, float]]) -> None:
        self.limits = limits
        self._times: deque[float] = deque(maxlen=max(limit for limit, _ in limits))

    async def wait(self) -> None:
        now = time.monotonic()
        ready = [
            self._times[-limit] + window
            for limit, window in self.limits
            if len(self._times) >= limit
        ]
        await asyncio.sleep(max([0.0, *(t - now for t in ready)]))

    def record(self) -> None:
        self._times.append(time.monotonic())


class _Stop:
    """Stop sending to this chat for now."""


async def _claim(services: Services, chat_id: int, day: str, number: int) -> str:
    stale_before = (services.clock() - STALE_CLAIM).isoformat(timespec="seconds")

    def abandoned(owner: str, updated_at: str) -> bool:
        host, _, rest = owner.partition(":")
        pid = rest.partition(":")[0]
        if host == socket.gethostname() and pid.isdigit():
            return not _process_alive(int(pid))
        return updated_at < stale_before

    return await services.store.call(digests.claim, chat_id, day, number, OWNER, abandoned)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


async def _send_one(
    services: Services, bot: Bot, chat_id: int, day: str, number: int, text: str
) -> int | _Stop:
    """Send one claimed message; the chat id it went to, or _Stop."""
    for attempt in range(1, CONNECT_RETRIES + 1):
        try:
            message = await bot.send_message(chat_id, text)
        except ChatMigrated as exc:
            log.info("chat %s migrated to %s", chat_id, exc.new_chat_id)
            await chat_migrated(services, chat_id, exc.new_chat_id)
            chat_id = exc.new_chat_id
            continue
        except TelegramError as exc:
            if not _never_sent(exc) or attempt == CONNECT_RETRIES:
                return await _refused(services, chat_id, day, number, text, exc)
            log.warning("send to %s did not get through (attempt %d): %s", chat_id, attempt, exc)
            await asyncio.sleep(attempt)
            continue
        await services.store.call(digests.finish, chat_id, day, number, "sent", message.message_id)
        return chat_id
    return await _refused(services, chat_id, day, number, text, None)


async def _refused(
    services: Services,
    chat_id: int,
    day: str,
    number: int,
    text: str,
    exc: TelegramError | None,
) -> int | _Stop:
    """Record why a message did not go out; whether to go on with this chat."""
    store = services.store
    if exc is None or _never_sent(exc):  # it never reached Telegram: try again next pass
        await store.call(digests.release, chat_id, day, number)
        return _Stop()
    if isinstance(exc, RetryAfter):
        wait = retry_seconds(exc)
        log.warning("flood control for %s: deferring the rest by %.0f s", chat_id, wait)
        services.deferred[chat_id] = services.clock() + timedelta(seconds=wait)
        await store.call(digests.release, chat_id, day, number)
        return _Stop()
    if isinstance(exc, Forbidden) or (isinstance(exc, BadRequest) and _chat_unusable(exc)):
        log.warning("cannot post in chat %s (%s): pausing its subscription", chat_id, exc)
        await store.call(digests.finish, chat_id, day, number, "failed")
        await store.call(subscriptions.set_active, chat_id, False)
        return _Stop()
    if isinstance(exc, BadRequest):
        log.error(
            "Telegram refused message %d of %s for %s: %s\n%s",
            number,
            day,
            chat_id,
            exc.message,
            text,
        )
        await store.call(digests.finish, chat_id, day, number, "failed")
        return chat_id
    log.warning(
        "message %d to %s may or may not have arrived (%r): not resent", number, chat_id, exc
    )
    await store.call(digests.finish, chat_id, day, number, "unknown")
    return chat_id


def _never_sent(exc: TelegramError) -> bool:
    """Whether the request surely never reached Telegram (so sending again is safe).

    PTB raises TimedOut / NetworkError for every transport failure; the httpx error it wraps
    tells a connection that was never made from a response that was lost.
    """
    return isinstance(exc.__cause__, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
