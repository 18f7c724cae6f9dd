"""Chat-level state outside subscriptions: auto-summary of plain links, replayed updates."""

from __future__ import annotations

from bot.services import Services
from storage import chats


async def autosummary_enabled(services: Services, chat_id: int) -> bool:
    return await services.store.call(chats.autosummary_enabled, chat_id)


async def set_autosummary(services: Services, chat_id: int, enabled: bool) -> None:
    await services.store.call(chats.set_autosummary, chat_id, enabled)


async def first_sighting(services: Services, update_id: int) -> bool:
    """Whether this update is new (not a replay after a crash)."""
    return await services.store.call(chats.first_sighting, update_id)
