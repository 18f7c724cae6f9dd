"""Link summaries: plain messages with arXiv links, and /summary."""

from __future__ import annotations

from telegram import Chat, Message, Update

from bot import texts
from bot.context import BotContext
from bot.groups import autosummary_enabled
from bot.pipeline import link_replies
from bot.telegram_input import message_ids, show_typing


async def summarize_links(update: Update, context: BotContext) -> None:
    """Reply to a plain message holding arXiv links (private: always; groups: if enabled)."""
    message = update.effective_message
    if message is None:
        return
    ids = message_ids(message)
    if not ids:
        if message.chat.type == Chat.PRIVATE:
            await message.reply_text(texts.NO_IDS_PRIVATE)
        return
    if message.chat.type != Chat.PRIVATE and not await autosummary_enabled(
        context.services, message.chat.id
    ):
        return
    await _reply_with_summaries(message, ids, update, context)


async def summarize_command(update: Update, context: BotContext) -> None:
    """Reply to /summary with links, or to /summary sent as a reply to a message with links."""
    message = update.effective_message
    if message is None:
        return
    ids = message_ids(message) or message_ids(message.reply_to_message)
    if not ids:
        await message.reply_text(texts.SUMMARY_USAGE)
        return
    await _reply_with_summaries(message, ids, update, context)


async def _reply_with_summaries(
    message: Message, ids: list[str], update: Update, context: BotContext
) -> None:
    await show_typing(message)
    user_id = update.effective_user.id if update.effective_user else None
    async for reply in link_replies(context.services, ids, user_id):
        await message.reply_text(reply)
