"""Driving the in-process bot like a chat: commands and an injected clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from tests.conftest import RunningBot


def set_clock(bot: RunningBot, moment: datetime) -> Callable[[datetime], None]:
    """Freeze the bot's clock at `moment`; returns a function that moves it."""
    current = [moment]
    bot.services.clock = lambda: current[0]

    def move(to: datetime) -> None:
        current[0] = to

    return move


async def command(bot: RunningBot, text: str, chat_id: int, **kw: Any) -> str:
    """Send `text` as a message in `chat_id` and return the bot's reply."""
    before = len(bot.tg.sent(chat_id))
    bot.tg.push_message(text, chat_id=chat_id, **kw)
    calls = await bot.tg.await_sent(before + 1, chat_id=chat_id)
    return calls[before].text or ""
