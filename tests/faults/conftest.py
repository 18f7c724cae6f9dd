"""The fault suite's harness: the real `arxiv-digest run` process against the fakes.

Every test here runs the bot as a subprocess configured only through SPEC's environment
variables, with DEBUG logging; at teardown the whole log is checked: no bot token, no API key,
and no traceback unless the test allowed one.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.models import Subscription
from storage.db import connect
from storage.subscriptions import save
from tests.conftest import fake_env
from tests.fakes.arxiv_api import FakeArxivApi, FakeArxivRss
from tests.fakes.llm import FakeLLM
from tests.fakes.telegram import FakeBotApi


@dataclass
class BotProcess:
    """One `arxiv-digest run` at a time; start, stop (SIGTERM), kill (SIGKILL), restart."""

    env: dict[str, str]
    cwd: Path
    logs: list[Path] = field(default_factory=list)
    process: subprocess.Popen[bytes] | None = None

    @property
    def db_path(self) -> Path:
        return Path(self.env["DATABASE_PATH"])

    def start(self) -> None:
        assert self.process is None or self.process.poll() is not None, "already running"
        log = self.cwd / f"bot-{len(self.logs)}.log"
        self.logs.append(log)
        with log.open("wb") as sink:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot", "run"],
                cwd=self.cwd,
                env=self.env,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM and wait; the exit status."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def kill(self) -> None:
        """SIGKILL: no clean-up at all, like a crash or `kill -9`."""
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=30)

    def restart(self) -> None:
        self.stop()
        self.start()

    def log_text(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in self.logs if p.exists())


@pytest.fixture
def bot_env(
    tmp_path: Path,
    fake_telegram: FakeBotApi,
    fake_arxiv: FakeArxivApi,
    fake_llm: FakeLLM,
    fake_rss: FakeArxivRss,
) -> dict[str, str]:
    """SPEC's variables pointing at the fakes, DEBUG logging; tests may change it first."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "LOG_LEVEL": "DEBUG",
        **fake_env(tmp_path, fake_telegram, fake_arxiv, fake_llm, fake_rss),
    }


@pytest.fixture
def allow_traceback() -> list[bool]:
    """Append True in a test whose scenario legitimately logs a traceback."""
    return []


@pytest.fixture
def bot_process(
    bot_env: dict[str, str],
    tmp_path: Path,
    fake_telegram: FakeBotApi,
    allow_traceback: list[bool],
) -> Iterator[BotProcess]:
    """The bot, not yet started (call `.start()` once the fakes and database are ready)."""
    bot = BotProcess(bot_env, tmp_path)
    try:
        yield bot
    finally:
        if bot.process is not None and bot.process.poll() is None:
            bot.stop()
    log = bot.log_text()
    secret = fake_telegram.token
    assert secret not in log, "the bot token reached a log line"
    assert secret.split(":", 1)[1] not in log, "the bot token reached a log line"
    assert bot_env["OPENAI_API_KEY"] not in log, "the API key reached a log line"
    if not allow_traceback:
        assert "Traceback" not in log, log[-5000:]


def seed_subscription(
    db_path: Path,
    chat_id: int,
    *,
    categories: tuple[str, ...] = ("cs.LG",),
    minutes_ago: int = 10,
    chat_type: str = "private",
    max_papers: int = 20,
) -> Subscription:
    """A subscription whose digest time (UTC) passed `minutes_ago` today and that was made
    yesterday: due as soon as the bot starts (setup through our storage API, before the run)."""
    now = datetime.now(UTC)
    at = now - timedelta(minutes=minutes_ago)
    if at.date() != now.date():  # just after midnight: keep it "today"
        at = now.replace(hour=0, minute=0)
    sub = Subscription(
        chat_id=chat_id,
        chat_type=chat_type,
        title=f"chat {chat_id}",
        categories=categories,
        keywords=(),
        digest_time=at.strftime("%H:%M"),
        timezone="UTC",
        max_papers=max_papers,
        active=True,
        first_due_at=now - timedelta(days=1),
    )
    db = connect(db_path)
    try:
        save(db, sub, None)
    finally:
        db.conn.close()
    return sub
