"""A bare python-telegram-bot echo bot, the baseline of figure 4: `python -m bench.echo`.

It replies to every text message with its text, quoting it (so the fake can match the reply to
the update). Configuration from the environment: TELEGRAM_BOT_TOKEN, TELEGRAM_API_URL, and
ECHO_LIKE_BOT=1 for a variant set up like arxiv-digest's transport (the same rate limiter,
64 updates at once, a "typing" action before the reply) but with none of its own work.
"""

from __future__ import annotations

import os

from telegram import Update
from telegram.constants import ChatAction
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

from bot.app import CONCURRENT_UPDATES
from bot.ratelimit import TelegramRateLimiter


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or not message.text:
        return
    if context.bot_data.get("like_bot"):
        await message.chat.send_action(ChatAction.TYPING)
    await message.reply_text(message.text, do_quote=True)


def main() -> None:
    like_bot = os.environ.get("ECHO_LIKE_BOT") == "1"
    builder = (
        ApplicationBuilder()
        .token(os.environ["TELEGRAM_BOT_TOKEN"])
        .base_url(os.environ["TELEGRAM_API_URL"].rstrip("/") + "/bot")
    )
    if like_bot:
        builder = builder.rate_limiter(TelegramRateLimiter()).concurrent_updates(CONCURRENT_UPDATES)
    application = builder.build()
    application.bot_data["like_bot"] = like_bot
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    application.run_polling(allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    main()
