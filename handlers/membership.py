"""The bot added to or removed from a chat; a group upgraded to a supergroup."""

from __future__ import annotations

from telegram import ChatMember, Update

from bot.context import BotContext
from bot.membership import bot_removed, chat_migrated

_GONE = (ChatMember.LEFT, ChatMember.BANNED)


async def track_membership(update: Update, context: BotContext) -> None:
    """Deactivate a chat's subscription when the bot is removed from it."""
    change = update.my_chat_member
    if change is not None and change.new_chat_member.status in _GONE:
        await bot_removed(context.services, change.chat.id)


async def follow_migration(update: Update, context: BotContext) -> None:
    """Move a group's subscription to its new supergroup id."""
    message = update.effective_message
    if message is None:
        return
    if message.migrate_to_chat_id:
        await chat_migrated(context.services, message.chat.id, message.migrate_to_chat_id)
    elif message.migrate_from_chat_id:
        await chat_migrated(context.services, message.migrate_from_chat_id, message.chat.id)
