"""Sending a chat's digest messages exactly as the delivery log allows.

Each message is claimed in the log before it is sent and marked once Telegram answers, so a
restart resumes after the last confirmed message and never resends it; two processes never send
the same message. Telegram's answers:
- RetryAfter: the rate limiter waits and resends (up to its retries); if still refused, the
  claim is released and the rest of the digest waits for the next pass;
- TimedOut: the message may have arrived: recorded as `unknown`, never resent blindly;
- NetworkError (the request never got through): retried a few times, then left for later;
- Forbidden: the bot was removed: the subscription is deactivated, other chats go on;
- ChatMigrated: the subscription moves to the new id and the message goes there;
- BadRequest: logged with the message and recorded as `failed`; never retried blindly.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from telegram import Bot
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.services import Services
from storage import digests, subscriptions

log = logging.getLogger(__name__)

CONNECT_RETRIES = 3
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
    for number, text in enumerate(texts):
        claim = await _claim(services, chat_id, day, number)
        if claim == "final":
            continue
        if claim == "busy":  # another process is sending this digest: let it
            return Outcome(chat_id, sent, complete=False)
        result = await _send_one(services, bot, chat_id, day, number, text)
        if isinstance(result, _Stop):
            return Outcome(chat_id, sent, complete=False)
        chat_id, sent = result, sent + 1
    complete = await services.store.call(digests.received, chat_id, day)
    return Outcome(chat_id, sent, complete)


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
            log.warning(
                "flood control for %s (retry after %s): deferring", chat_id, exc.retry_after
            )
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
