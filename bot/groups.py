"""Group-level settings: auto-summary of plain links."""

from __future__ import annotations

from bot.services import Services
from storage import chats


async def autosummary_enabled(services: Services, chat_id: int) -> bool:
    return await services.store.call(chats.autosummary_enabled, chat_id)


async def set_autosummary(services: Services, chat_id: int, enabled: bool) -> None:
    await services.store.call(chats.set_autosummary, chat_id, enabled)
