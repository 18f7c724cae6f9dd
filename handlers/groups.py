"""/autosummary on|off in groups."""

from __future__ import annotations

from telegram import Chat, Update

from bot import texts
from bot.context import BotContext
from bot.groups import autosummary_enabled, set_autosummary
from bot.telegram_input import is_chat_admin

_SWITCH = {"on": True, "off": False, "开": True, "关": False}


async def switch_autosummary(update: Update, context: BotContext) -> None:
    """Turn auto-summary of plain links on or off for this group (admins only)."""
    message = update.effective_message
    if message is None:
        return
    if message.chat.type == Chat.PRIVATE:
        await message.reply_text(texts.GROUP_ONLY)
        return
    args = [a.lower() for a in context.args or []]
    if len(args) != 1 or args[0] not in _SWITCH:
        enabled = await autosummary_enabled(context.services, message.chat.id)
        await message.reply_text(texts.AUTOSUMMARY_USAGE.format(state="开" if enabled else "关"))
        return
    if not await is_chat_admin(message, update.effective_user):
        await message.reply_text(texts.ADMIN_ONLY)
        return
    enabled = _SWITCH[args[0]]
    await set_autosummary(context.services, message.chat.id, enabled)
    await message.reply_text(texts.AUTOSUMMARY_SET.format(state="开启" if enabled else "关闭"))
