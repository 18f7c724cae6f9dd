"""The one error handler: log with the traceback, tell the user one short Chinese line."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from bot import texts
from bot.context import BotContext

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
