"""What the bot reads from a Telegram message: the texts that may hold arXiv ids, and rights."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from html import escape

from telegram import Bot, Chat, Message, MessageEntity, User
from telegram.constants import ChatAction, ChatMemberStatus
from telegram.error import TelegramError

from bot import texts
from bot.ids import extract_ids

log = logging.getLogger(__name__)

ANONYMOUS_ADMIN_ID = 1087968824  # "GroupAnonymousBot": posts of anonymous group admins


def message_texts(message: Message) -> list[str]:
    """The text or caption, plus the targets of its text links (hidden links)."""
    body = message.text or message.caption or ""
    entities = message.entities or message.caption_entities or ()
    hidden = [e.url for e in entities if e.type == MessageEntity.TEXT_LINK and e.url]
    return [body, *hidden]


def message_ids(message: Message | None) -> list[str]:
    """The arXiv ids in a message, deduplicated, in order (all of them: callers cap)."""
    return extract_ids(message_texts(message)) if message else []


async def is_chat_admin(message: Message, user: User | None) -> bool:
    """Whether the sender may change this chat's settings (private chats: always)."""
    chat = message.chat
    if chat.type == Chat.PRIVATE:
        return True
    sender_chat = message.sender_chat
    if sender_chat is not None and sender_chat.id == chat.id:
        return True  # the anonymous group admin, or the channel itself
    if user is None or user.id == ANONYMOUS_ADMIN_ID:
        return False
    return await _is_admin(message.get_bot(), chat.id, user.id)


@dataclass(frozen=True)
class Target:
    """The chat a subscription command acts on (this chat, or a channel named in private)."""

    chat_id: int
    chat_type: str
    title: str


async def resolve_target(
    message: Message, user: User | None, args: list[str], *, change: bool
) -> tuple[Target, list[str]] | str:
    """The chat a subscription command is about, and the remaining args; or a refusal.

    `@channel` as the first argument (private chats only) names a channel: the sender must be
    one of its administrators and the bot must be able to post there. In a group, changing the
    subscription (`change`) is for administrators (and the anonymous admin) only.
    """
    chat = message.chat
    if args and args[0].startswith("@"):
        if chat.type != Chat.PRIVATE:
            return texts.CHANNEL_FROM_PRIVATE
        found = await _channel_target(message, user, args[0])
        return found if isinstance(found, str) else (found, args[1:])
    if chat.type == Chat.CHANNEL:
        return texts.CHANNEL_FROM_PRIVATE
    if change and not await is_chat_admin(message, user):
        return texts.ADMIN_ONLY_SUBSCRIPTION
    title = chat.title or chat.full_name or chat.username or str(chat.id)
    return Target(chat.id, chat.type, title), args


async def _channel_target(message: Message, user: User | None, name: str) -> Target | str:
    bot = message.get_bot()
    try:
        channel = await bot.get_chat(name)
    except TelegramError:
        return texts.CHANNEL_NOT_FOUND.format(name=escape(name[:64]))
    if channel.type != Chat.CHANNEL:
        return texts.NOT_A_CHANNEL.format(name=escape(name[:64]))
    if user is None or not await _is_admin(bot, channel.id, user.id):
        return texts.NOT_CHANNEL_ADMIN.format(name=escape(name[:64]))
    try:
        me = await bot.get_chat_member(channel.id, bot.id)
    except TelegramError:
        return texts.BOT_CANNOT_POST.format(name=escape(name[:64]))
    if me.status != ChatMemberStatus.ADMINISTRATOR or not getattr(me, "can_post_messages", False):
        return texts.BOT_CANNOT_POST.format(name=escape(name[:64]))
    return Target(channel.id, Chat.CHANNEL, channel.title or name)


async def _is_admin(bot: Bot, chat_id: int, user_id: int) -> bool:
    try:
        member = await bot.get_chat_member(chat_id, user_id)
    except TelegramError:
        return False
    return member.status in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)


async def show_typing(message: Message) -> None:
    """Show "typing…" in the chat; a failure here must not cost the user the answer."""
    try:
        await message.chat.send_action(ChatAction.TYPING)
    except TelegramError as exc:
        log.debug("could not show typing in %s: %s", message.chat.id, exc)
