"""The typed PTB callback context: `context.services` is the one dependency container."""

from __future__ import annotations

from typing import Any, cast

from telegram.ext import Application, CallbackContext, ExtBot

from bot.services import Services

SERVICES_KEY = "services"


class BotContext(CallbackContext[ExtBot[Any], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """CallbackContext with typed access to the services."""

    @property
    def services(self) -> Services:
        return cast(Services, self.bot_data[SERVICES_KEY])


BotApplication = Application[Any, BotContext, Any, Any, Any, Any]
