"""The one context object that carries settings, store and clients (no module globals)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
import openai

from bot.arxiv_source import ArxivSource, ArxivThrottle
from bot.config import Settings
from bot.summarizer import Summarizer
from storage.db import Store

DEFAULT_OPENAI_BASE_URL = "https://api.openai.com/v1"
USER_AGENT = "arxiv-digest/0.1 (Telegram bot; https://github.com/arxiv-digest)"


@dataclass
class Services:
    """Everything the pipeline needs; built once, opened in `open`, closed in `close`."""

    settings: Settings
    store: Store
    arxiv: ArxivSource
    summarizer: Summarizer
    llm_client: openai.AsyncOpenAI
    http: httpx.AsyncClient  # the RSS feed; the arXiv API goes through the arxiv package
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    # Called after a subscription changed (the bot reschedules that chat's job).
    schedule_changed: Callable[[int], None] = field(default=lambda _chat_id: None)
    # Digest passes of one process run one at a time (claims are per process).
    digest_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # Chats Telegram asked us to leave alone (a long flood wait), until when; a restart retries.
    deferred: dict[int, datetime] = field(default_factory=dict)

    async def open(self) -> None:
        await self.store.open()

    async def close(self) -> None:
        await self.http.aclose()
        await self.llm_client.close()
        await self.arxiv.close()
        await self.store.close()


def create_services(settings: Settings) -> Services:
    """Build (not yet open) the services for `settings`."""
    store = Store(settings.database_path)
    llm_client = openai.AsyncOpenAI(
        # local servers (Ollama, vLLM, llama.cpp) need no key, but the SDK insists on one
        api_key=settings.openai_api_key or "not-needed",
        base_url=settings.openai_base_url or DEFAULT_OPENAI_BASE_URL,
        max_retries=0,
        timeout=settings.llm_timeout,
    )
    summarizer = Summarizer(
        llm_client,
        store,
        model=settings.llm_model,
        concurrency=settings.llm_concurrency,
        timeout=settings.llm_timeout,
    )
    throttle = ArxivThrottle(settings.arxiv_request_interval)
    return Services(
        settings=settings,
        store=store,
        arxiv=ArxivSource(settings.arxiv_api_url, throttle),
        summarizer=summarizer,
        llm_client=llm_client,
        http=httpx.AsyncClient(headers={"User-Agent": USER_AGENT}, follow_redirects=True),
    )
