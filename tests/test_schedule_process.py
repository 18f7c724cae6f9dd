"""The real `arxiv-digest run` process delivers a digest at its minute, once, across a restart.

This is the one test that waits for wall-clock time (up to ~70 s): the point is the real
scheduler (APScheduler through PTB's JobQueue) firing at a real local time.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import fake_env
from tests.fakes.arxiv_api import FakeArxivApi, FakeArxivRss, RssItem
from tests.fakes.llm import FakeLLM
from tests.fakes.telegram import FakeBotApi

USER = 3001


def start(env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGTERM)
    return process.communicate(timeout=30)[1]


def digests(tg: FakeBotApi) -> list[str]:
    return [t for t in tg.sent_texts(USER) if "arXiv 每日速递" in t]


@pytest.mark.slow
def test_digest_arrives_at_the_next_minute_once_across_a_restart(
    tmp_path: Path,
    fake_telegram: FakeBotApi,
    fake_arxiv: FakeArxivApi,
    fake_llm: FakeLLM,
    fake_rss: FakeArxivRss,
) -> None:
    fake_rss.set_feed(
        "cs.LG", [RssItem(arxiv_id="2412.00001", title="On time", abstract="Punctual papers.")]
    )
    now = datetime.now(UTC)
    at = (now + timedelta(minutes=2 if now.second > 50 else 1)).replace(second=0, microsecond=0)
    env = {
        "PATH": os.environ.get("PATH", ""),
        **fake_env(tmp_path, fake_telegram, fake_arxiv, fake_llm, fake_rss),
        "DEFAULT_TIMEZONE": "UTC",
        "DEFAULT_DIGEST_TIME": at.strftime("%H:%M"),
    }
    process = start(env, tmp_path)
    try:
        fake_telegram.push_message("/subscribe cs.LG", chat_id=USER)
        fake_telegram.wait_sent(1, chat_id=USER, timeout=30)
        assert digests(fake_telegram) == []  # no surprise digest on subscribing
        fake_telegram.wait_for(lambda _calls: digests(fake_telegram) or None, timeout=100)
        arrived = datetime.now(UTC)
        assert at <= arrived < at + timedelta(seconds=30)
        err = stop(process)
        assert "Traceback" not in err
        process = start(env, tmp_path)  # restart the same local day: nothing is resent
        fake_telegram.push_message("/digest", chat_id=USER)
        fake_telegram.wait_for(
            lambda _calls: any("已经发送过了" in t for t in fake_telegram.sent_texts(USER)) or None,
            timeout=30,
        )
        # The catch-up pass at start and /digest share one lock: had the catch-up resent
        # anything, /digest would have found it already sent, so the count is final here.
        assert len(digests(fake_telegram)) == 1
        assert fake_llm.count == 1
    finally:
        if process.poll() is None:
            stop(process)
