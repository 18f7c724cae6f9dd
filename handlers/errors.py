"""The one error handler (log, one short Chinese line), and the replay guard before all others."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop

from bot import texts
from bot.context import BotContext
from bot.groups import first_sighting

log = logging.getLogger(__name__)


async def report_error(update: object, context: BotContext) -> None:
    """Log the error; answer the message that caused it, if any, without a traceback."""
    log.error("error while handling an update", exc_info=context.error)
    if not isinstance(update, Update) or update.effective_message is None:
        return
    try:
        await update.effective_message.reply_text(texts.INTERNAL_ERROR)
    except TelegramError:
        log.warning("could not tell the user about the error", exc_info=True)


async def drop_replayed(update: object, context: BotContext) -> None:
    """Stop an update that was already handled (Telegram resends after a crash)."""
    if isinstance(update, Update) and not await first_sighting(context.services, update.update_id):
        log.info("update %s was already handled: ignored", update.update_id)
        raise ApplicationHandlerStop
