"""Sending a chat's digest messages exactly as the delivery log allows.

Each message is claimed in the log before it is sent and marked once Telegram answers, so a
restart resumes after the last confirmed message and never resends it; two processes never send
the same message. Telegram's answers:
- RetryAfter: the rate limiter waits and resends (up to its retries, short waits only); a long
  or repeated flood wait releases the claim and defers the chat (other chats go on) until the
  wait is over, or until a restart;
- TimedOut: the message may have arrived: recorded as `unknown`, never resent blindly;
- NetworkError (the request never got through): retried a few times, then left for later;
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
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from telegram import Bot
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.ratelimit import retry_seconds
from bot.services import Services
from storage import digests, subscriptions

log = logging.getLogger(__name__)

CONNECT_RETRIES = 3
PRIVATE_GAP = 1.0  # seconds between two messages to one private chat (Telegram's advice)
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
    last_send = -PRIVATE_GAP
    for number, text in enumerate(texts):
        claim = await _claim(services, chat_id, day, number)
        if claim == "final":
            continue
        if claim == "busy":  # another process is sending this digest: let it
            return Outcome(chat_id, sent, complete=False)
        if chat_id > 0:  # a private chat: at most one message per second
            await asyncio.sleep(max(0.0, last_send + PRIVATE_GAP - time.monotonic()))
            last_send = time.monotonic()
        result = await _send_one(services, bot, chat_id, day, number, text)
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
    store = services.store
    for attempt in range(1, CONNECT_RETRIES + 1):
        try:
            message = await bot.send_message(chat_id, text)
        except ChatMigrated as exc:
            log.info("chat %s migrated to %s", chat_id, exc.new_chat_id)
            await store.call(subscriptions.migrate_chat, chat_id, exc.new_chat_id)
            chat_id = exc.new_chat_id
            continue
        except Forbidden as exc:
            log.warning("bot removed from chat %s (%s): deactivating", chat_id, exc.message)
            await store.call(digests.finish, chat_id, day, number, "failed")
            await store.call(subscriptions.set_active, chat_id, False)
            return _Stop()
        except BadRequest as exc:
            if _chat_unusable(exc):
                log.warning("cannot post in chat %s (%s): pausing", chat_id, exc.message)
                await store.call(digests.finish, chat_id, day, number, "failed")
                await store.call(subscriptions.set_active, chat_id, False)
                return _Stop()
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
        except RetryAfter as exc:
            wait = retry_seconds(exc)
            log.warning("flood control for %s: deferring the rest by %.0f s", chat_id, wait)
            services.deferred[chat_id] = services.clock() + timedelta(seconds=wait)
            await store.call(digests.release, chat_id, day, number)
            return _Stop()
        except TimedOut:
            log.warning("send of message %d to %s timed out: outcome unknown", number, chat_id)
            await store.call(digests.finish, chat_id, day, number, "unknown")
            return chat_id
        except NetworkError as exc:
            log.warning("send to %s failed (attempt %d): %s", chat_id, attempt, exc.message)
            await asyncio.sleep(attempt)
            continue
        await store.call(digests.finish, chat_id, day, number, "sent", message.message_id)
        return chat_id
    await store.call(digests.release, chat_id, day, number)
    return _Stop()
