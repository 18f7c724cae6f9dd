"""What the bot reads from a Telegram message: the texts that may hold arXiv ids, and rights."""

from __future__ import annotations

from telegram import Chat, Message, MessageEntity, User
from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError

from bot.ids import extract_ids

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
    try:
        member = await chat.get_member(user.id)
    except TelegramError:
        return False
    return member.status in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)
