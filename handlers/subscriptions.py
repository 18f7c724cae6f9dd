"""Subscription commands: /subscribe /unsubscribe /keywords /time /limit /settings /digest."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update

from bot import subscriptions as subs
from bot.context import BotContext
from bot.services import Services
from bot.telegram_input import Target, resolve_target

Action = Callable[[Services, Target, list[str]], Awaitable[str | None]]


async def _on_target(update: Update, context: BotContext, action: Action, *, change: bool) -> None:
    message = update.effective_message
    if message is None:
        return
    args = list(context.args or [])
    found = await resolve_target(message, update.effective_user, args, change=change)
    if isinstance(found, str):
        await message.reply_text(found)
        return
    target, rest = found
    reply = await action(context.services, target, rest)
    if reply:
        await message.reply_text(reply)


async def subscribe_chat(update: Update, context: BotContext) -> None:
    """Subscribe this chat (or a channel) to arXiv categories."""
    actor = update.effective_user.id if update.effective_user else None

    async def action(services: Services, target: Target, args: list[str]) -> str:
        return await subs.subscribe(services, target, args, actor)

    await _on_target(update, context, action, change=True)


async def unsubscribe_chat(update: Update, context: BotContext) -> None:
    """Remove some categories, or the whole subscription."""
    await _on_target(update, context, subs.unsubscribe, change=True)


async def set_keywords(update: Update, context: BotContext) -> None:
    """Only send papers matching one of these keywords (or `off`)."""
    await _on_target(update, context, subs.set_keywords, change=True)


async def set_time(update: Update, context: BotContext) -> None:
    """Set the digest's local time and time zone."""
    await _on_target(update, context, subs.set_time, change=True)


async def set_limit(update: Update, context: BotContext) -> None:
    """Set the most papers per digest."""
    await _on_target(update, context, subs.set_limit, change=True)


async def show_settings(update: Update, context: BotContext) -> None:
    """Show this chat's (or a channel's) subscription."""

    async def action(services: Services, target: Target, _args: list[str]) -> str:
        return await subs.show_settings(services, target)

    await _on_target(update, context, action, change=False)


async def send_digest(update: Update, context: BotContext) -> None:
    """Send today's digest for this chat (or a channel) now."""
    origin = update.effective_chat.id if update.effective_chat else None

    async def action(services: Services, target: Target, _args: list[str]) -> str | None:
        return await subs.digest_now(services, context.bot, target, origin)

    # Anyone in a subscribed chat may ask (SPEC); it is still one digest a day: the log says so.
    await _on_target(update, context, action, change=False)
