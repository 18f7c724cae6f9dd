"""Local fake servers for tests: Telegram Bot API, arXiv API + RSS, an OpenAI-compatible LLM.

Each runs on 127.0.0.1 (ephemeral port) in a daemon thread, is a context manager, exposes `.url`
and thread-safe records, and has `wait_for(predicate, timeout)` / `await_for(...)`.
Pytest fixtures live in `tests.fakes.fixtures`.
"""

from __future__ import annotations

from tests.fakes._server import max_overlap, min_idle_gap, min_start_gap
from tests.fakes.arxiv_api import (
    ArxivRequest,
    FakeArxivApi,
    FakeArxivRss,
    Paper,
    RssItem,
    RssRequest,
)
from tests.fakes.llm import FakeLLM, LLMRequest
from tests.fakes.telegram import (
    Call,
    FakeBotApi,
    make_callback_query_update,
    make_channel_post_update,
    make_message_update,
    make_my_chat_member_update,
)

__all__ = [
    "ArxivRequest",
    "Call",
    "FakeArxivApi",
    "FakeArxivRss",
    "FakeBotApi",
    "FakeLLM",
    "LLMRequest",
    "Paper",
    "RssItem",
    "RssRequest",
    "make_callback_query_update",
    "make_channel_post_update",
    "make_message_update",
    "make_my_chat_member_update",
    "max_overlap",
    "min_idle_gap",
    "min_start_gap",
]
