"""Chat membership events that change subscriptions."""

from __future__ import annotations

import logging

from bot.services import Services
from storage import subscriptions

log = logging.getLogger(__name__)


async def bot_removed(services: Services, chat_id: int) -> None:
    """The bot left or was removed: stop sending there (the settings are kept)."""
    if await services.store.call(subscriptions.get, chat_id) is not None:
        log.info("removed from chat %s: subscription deactivated", chat_id)
        await services.store.call(subscriptions.set_active, chat_id, False)
        services.schedule_changed(chat_id)


async def chat_migrated(services: Services, old_id: int, new_id: int) -> None:
    """A group became a supergroup: its subscription moves, one row, one transaction."""
    await services.store.call(subscriptions.migrate_chat, old_id, new_id)
    services.schedule_changed(old_id)
    services.schedule_changed(new_id)
