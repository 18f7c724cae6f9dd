"""Shared fixtures: fake servers on 127.0.0.1, settings for them, the bot running in-process.

Every test runs with the internet blocked (`block_internet` is autouse): only loopback works.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bot.app import build_application
from bot.config import Settings, load_settings
from bot.context import BotApplication
from bot.services import Services, create_services
from tests.fakes.arxiv_api import FakeArxivApi, FakeArxivRss
from tests.fakes.fixtures import *  # noqa: F403
from tests.fakes.llm import FakeLLM
from tests.fakes.telegram import FakeBotApi

# PTB 22 warns when it builds RetryAfter with an int; opting into timedelta avoids the warning.
os.environ["PTB_TIMEDELTA"] = "1"


@pytest.fixture(autouse=True)
def _offline(block_internet: Any) -> None:
    """No test reaches the internet."""


def fake_env(
    tmp_path: Path,
    tg: FakeBotApi,
    arxiv_api: FakeArxivApi,
    llm: FakeLLM,
    rss: FakeArxivRss | None = None,
    **extra: str,
) -> dict[str, str]:
    """The environment variables of SPEC pointing at the fakes (for in-process and subprocess)."""
    env = {
        "TELEGRAM_BOT_TOKEN": tg.token,
        "TELEGRAM_API_URL": tg.url,
        "OPENAI_API_KEY": "sk-test-key",
        "OPENAI_BASE_URL": llm.base_url,
        "LLM_MODEL": "fake-model",
        "ARXIV_API_URL": arxiv_api.query_url,
        "ARXIV_RSS_URL": rss.rss_root if rss else arxiv_api.url + "/rss/",
        "ARXIV_REQUEST_INTERVAL": "0.01",
        "DATABASE_PATH": str(tmp_path / "db" / "arxiv-digest.sqlite3"),
        "LLM_TIMEOUT": "10",
    }
    env.update(extra)
    return env


@pytest.fixture
def make_settings(
    tmp_path: Path,
    fake_telegram: FakeBotApi,
    fake_arxiv: FakeArxivApi,
    fake_llm: FakeLLM,
    fake_rss: FakeArxivRss,
) -> Callable[..., Settings]:
    def make(**extra: str) -> Settings:
        env = fake_env(tmp_path, fake_telegram, fake_arxiv, fake_llm, fake_rss, **extra)
        return load_settings(env, env_file=None)

    return make


@dataclass
class RunningBot:
    app: BotApplication
    services: Services
    tg: FakeBotApi
    arxiv: FakeArxivApi
    llm: FakeLLM
    rss: FakeArxivRss
    settings: Settings


async def start_bot(
    settings: Settings, clock: Callable[[], datetime] | None = None
) -> BotApplication:
    """Start the real application against the fake Bot API, as `run_polling` would."""
    services = create_services(settings)
    if clock is not None:
        services.clock = clock
    app = build_application(settings, services)
    await app.initialize()
    if app.post_init:
        await app.post_init(app)
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=1)
    await app.start()
    return app


async def stop_bot(app: BotApplication) -> None:
    assert app.updater is not None
    await app.updater.stop()
    await app.stop()
    if app.post_shutdown:
        await app.post_shutdown(app)
    await app.shutdown()


@pytest.fixture
async def running_bot(
    make_settings: Callable[..., Settings],
    fake_telegram: FakeBotApi,
    fake_arxiv: FakeArxivApi,
    fake_llm: FakeLLM,
    fake_rss: FakeArxivRss,
    request: pytest.FixtureRequest,
) -> AsyncIterator[RunningBot]:
    """The bot, polling the fake Bot API; settings overridable with `@pytest.mark.parametrize`
    of an indirect `bot_env` dict or by the `bot_env` fixture."""
    extra: dict[str, str] = getattr(request, "param", None) or {}
    settings = make_settings(**extra)
    app = await start_bot(settings)
    bot = RunningBot(
        app, app.bot_data["services"], fake_telegram, fake_arxiv, fake_llm, fake_rss, settings
    )
    try:
        yield bot
    finally:
        await stop_bot(bot.app)


async def settle(bot: RunningBot, timeout: float = 10) -> None:  # noqa: ASYNC109
    """Wait until every pushed update was fetched and no handler is running (stably)."""
    deadline = time.monotonic() + timeout
    quiet = 0
    while quiet < 5:
        assert time.monotonic() < deadline, "the bot did not finish processing its updates"
        idle = (
            not bot.tg.pending_updates()
            and bot.app.update_queue.empty()
            and bot.app.update_processor.current_concurrent_updates == 0
        )
        quiet = quiet + 1 if idle else 0
        await asyncio.sleep(0.02)
