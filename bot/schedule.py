"""Scheduling through PTB's JobQueue (APScheduler): one daily job per active subscription.

Jobs are not persisted (PTB jobs do not pickle): they are rebuilt from the store at start and
whenever a subscription changes. A job a few seconds or hours late still runs
(`misfire_grace_time`); a catch-up pass right after start sends what was missed while the bot
was down, once, and a sweep every 15 minutes retries what failed: what is due is decided by the
store (`send_due`), never by the job itself.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import time
from zoneinfo import ZoneInfo

from telegram.ext import JobQueue

from bot.context import SERVICES_KEY, BotApplication, BotContext
from bot.digest_run import send_due
from bot.models import Subscription
from bot.services import Services
from storage import subscriptions

log = logging.getLogger(__name__)

MISFIRE_GRACE = 12 * 3600  # seconds; a late job is run, not skipped
# A sweep also retries what failed at the chat's minute (arXiv down, a late feed); what is due
# is decided by the store, so a sweep never sends a second digest the same local day.
SWEEP_INTERVAL = 15 * 60


def job_name(chat_id: int) -> str:
    return f"digest:{chat_id}"


async def schedule_all(application: BotApplication) -> None:
    """(Re)build every subscription's job and queue a catch-up pass."""
    services: Services = application.bot_data[SERVICES_KEY]
    assert application.job_queue is not None
    for sub in await services.store.call(subscriptions.active):  # one read for all of them
        _schedule(application.job_queue, sub.chat_id, sub)
    application.job_queue.run_once(_catch_up, when=0, name="digest:catch-up")
    application.job_queue.run_repeating(
        _catch_up, interval=SWEEP_INTERVAL, first=SWEEP_INTERVAL, name="digest:sweep"
    )
    services.schedule_changed = lambda chat_id: _reschedule_soon(application, chat_id)


async def reschedule(application: BotApplication, chat_id: int) -> None:
    """Replace the chat's job with one at its current time (none if inactive or gone)."""
    services: Services = application.bot_data[SERVICES_KEY]
    assert application.job_queue is not None
    sub = await services.store.call(subscriptions.get, chat_id)
    _schedule(application.job_queue, chat_id, sub)


def _schedule(queue: JobQueue[BotContext], chat_id: int, sub: Subscription | None) -> None:
    """The chat's one daily job, at the subscription's local time (none if inactive or gone)."""
    for job in queue.get_jobs_by_name(job_name(chat_id)):
        job.schedule_removal()
    if sub is None or not sub.active:
        return
    hours, minutes = (int(x) for x in sub.digest_time.split(":"))
    queue.run_daily(
        _digest_job,
        time(hours, minutes, tzinfo=ZoneInfo(sub.timezone)),
        name=job_name(chat_id),
        chat_id=chat_id,
        job_kwargs={"misfire_grace_time": MISFIRE_GRACE, "coalesce": True},
    )


def _reschedule_soon(application: BotApplication, chat_id: int) -> None:
    task = asyncio.get_running_loop().create_task(reschedule(application, chat_id))
    application.bot_data.setdefault("_tasks", set()).add(task)
    task.add_done_callback(application.bot_data["_tasks"].discard)


async def _digest_job(context: BotContext) -> None:
    chat_id = context.job.chat_id if context.job else None
    if chat_id is not None:
        await run_pass(context.services, context, [chat_id])


async def _catch_up(context: BotContext) -> None:
    await run_pass(context.services, context, None)


async def run_pass(services: Services, context: BotContext, chat_ids: list[int] | None) -> None:
    """One digest pass (passes of one process are serialised in `send_due`)."""
    sent = await send_due(services, context.bot, chat_ids)
    if sent:
        log.info("digest pass sent %d messages", sent)
