"""/start and /help."""

from __future__ import annotations

from telegram import Update

from bot import texts
from bot.context import BotContext
from bot.ids import MAX_PAPERS_PER_MESSAGE


async def send_help(update: Update, context: BotContext) -> None:
    """Explain what the bot does, in Chinese, with examples."""
    if update.effective_message is None:
        return
    settings = context.services.settings
    await update.effective_message.reply_text(
        texts.HELP.format(
            max_papers=MAX_PAPERS_PER_MESSAGE,
            quota=settings.user_daily_quota,
            default_time=settings.default_digest_time,
            default_zone=settings.default_timezone,
        )
    )
