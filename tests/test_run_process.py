"""The real `arxiv-digest run` process, configured only through SPEC's environment variables."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import fake_env
from tests.fakes.arxiv_api import FakeArxivApi
from tests.fakes.llm import FakeLLM
from tests.fakes.telegram import FakeBotApi


@pytest.fixture
def bot_process(
    tmp_path: Path, fake_telegram: FakeBotApi, fake_arxiv: FakeArxivApi, fake_llm: FakeLLM
) -> Iterator[subprocess.Popen[str]]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "LOG_LEVEL": "DEBUG",
        **fake_env(tmp_path, fake_telegram, fake_arxiv, fake_llm),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()


def stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGTERM)
    _out, err = process.communicate(timeout=20)
    return err


def test_run_answers_three_links_then_serves_them_from_cache(
    bot_process: subprocess.Popen[str],
    fake_telegram: FakeBotApi,
    fake_arxiv: FakeArxivApi,
    fake_llm: FakeLLM,
) -> None:
    fake_arxiv.add_paper("2403.15176", title="Brain-grounding", abstract="Neural decoding.")
    fake_arxiv.add_paper("2312.15230", version=2, title="PERP", abstract="Pruning LLMs.")
    fake_arxiv.add_paper("hep-th/9901001", title="Old strings", abstract="Branes.")
    text = "https://arxiv.org/pdf/2403.15176v1 arXiv:2312.15230 hep-th/9901001"
    fake_telegram.push_message(text, chat_id=2001)
    replies = fake_telegram.wait_sent(3, chat_id=2001, timeout=30)
    assert [("中文标题" in (c.text or "")) for c in replies] == [True, True, True]
    assert len(fake_arxiv.requests) == 1
    assert fake_llm.count == 3
    fake_telegram.push_message(text, chat_id=2002)
    fake_telegram.wait_sent(3, chat_id=2002, timeout=30)
    assert fake_llm.count == 3
    assert len(fake_arxiv.requests) == 1
    err = stop(bot_process)
    assert bot_process.returncode == 0, err
    assert "Traceback" not in err
    assert fake_telegram.token not in err  # DEBUG logging, and still no secret
    assert fake_telegram.token.split(":")[1] not in err
    assert "sk-test-key" not in err


def test_run_without_token_exits_with_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env={"PATH": os.environ.get("PATH", "")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "TELEGRAM_BOT_TOKEN" in lines[0]
