"""`arxiv-digest digest` and `arxiv-digest send-due`, run as real processes against the fakes.

Like `tests/test_cli.py`: the subprocess gets an environment built here that points only at the
fake Bot API, arXiv API, arXiv RSS and LLM; cwd is the test's tmp_path (no stray `.env`).
"""

from __future__ import annotations

import os
import re
import selectors
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config import Settings
from tests.conftest import start_bot, stop_bot
from tests.fakes.arxiv_api import FakeArxivApi, FakeArxivRss, RssItem
from tests.fakes.llm import FakeLLM
from tests.fakes.telegram import FakeBotApi
from tests.support.cli import Cli, Result

LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ (DEBUG|INFO|WARNING) \S+: ")
USER = 1001


def item(
    arxiv_id: str, title: str, kind: str = "new", abstract: str = "", category: str = "cs.LG"
) -> RssItem:
    return RssItem(
        arxiv_id=arxiv_id,
        title=title,
        abstract=abstract or f"We study the problem of {title.lower()} in depth.",
        categories=[category],
        announce_type=kind,
    )


LG_FEED = [
    item("2412.10001", "Sparse Attention for Long Sequences"),
    item("2412.10002", "Graph Transformers at Scale"),
    item("2412.10003", "Replaced Paper on Kernels", kind="replace"),
    item("2412.10004", "Robust Optimization Revisited"),
    item("2412.10005", "Cross-listed Speech Recognition", kind="cross"),
]
SHOWN = [i for i in LG_FEED if i.announce_type != "replace"]


class TtyCli(Cli):
    """The CLI, with a way to run it with stderr on a terminal."""

    def with_tty_stderr(self, *args: str) -> Result:
        """Run with stderr on a pseudo-terminal (read from its master side), stdout a pipe."""
        master, slave = os.openpty()
        try:
            process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [sys.executable, "-m", "bot", *args],
                cwd=self.tmp_path,
                env=self.env(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=slave,
            )
        finally:
            os.close(slave)
        chunks: list[bytes] = []
        deadline = time.monotonic() + 60
        try:
            with selectors.DefaultSelector() as selector:
                selector.register(master, selectors.EVENT_READ)
                while time.monotonic() < deadline:
                    if not selector.select(timeout=1):
                        continue
                    try:
                        data = os.read(master, 4096)
                    except OSError:  # EIO: the child closed the terminal (it exited)
                        break
                    if not data:
                        break
                    chunks.append(data)
            assert process.stdout is not None
            out = process.stdout.read().decode("utf-8")
            code = process.wait(timeout=30)
        finally:
            os.close(master)
            if process.poll() is None:
                process.kill()
                process.wait()
            if process.stdout is not None:
                process.stdout.close()
        err = b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")
        assert "Traceback" not in err, err
        return Result(code, out, err)


@pytest.fixture
def cli(
    tmp_path: Path,
    fake_telegram: FakeBotApi,
    fake_arxiv: FakeArxivApi,
    fake_llm: FakeLLM,
    fake_rss: FakeArxivRss,
) -> TtyCli:
    return TtyCli(tmp_path, fake_telegram, fake_arxiv, fake_llm, fake_rss)


def _today_ny() -> str:
    """Today's date in New York, the feed's own date (as the fake stamps it by default)."""
    return datetime.now(ZoneInfo("America/New_York")).date().isoformat()


# ------------------------------------------------------------------ digest: the happy path


def test_digest_prints_the_day_in_the_example_format_and_a_second_run_costs_nothing(
    cli: TtyCli,
) -> None:
    """First run with stderr on a terminal (progress bar), the second with stderr a pipe."""
    day = _today_ny()
    cli.rss.set_feed("cs.LG", LG_FEED, pub_date=day)
    result = cli.with_tty_stderr("digest", "cs.LG")
    assert result.code == 0, result.err
    assert result.messages == []
    progress = [line for line in result.err.split("\r") if line.startswith("summarizing")]
    assert progress, result.err
    assert progress[-1].rstrip().endswith(" 4/4")
    assert "summarizing" not in result.out
    lines = result.out.splitlines()
    header = lines[0]
    assert day in header
    assert "cs.LG" in header
    assert "4 announced" in header  # 3 new + 1 cross; the replacement is not new
    assert "4 shown" in header
    body = lines[lines.index("# 摘要") :]
    assert body[:4] == ["# 摘要", "", "| Ref | Title | Summary |", "| --- | --- | --- |"]
    for number, paper in enumerate(SHOWN, start=1):
        row = body[3 + number]
        link = f"https://arxiv.org/abs/{paper.arxiv_id}"
        assert row.startswith(f"| [^{number}] | [{paper.title}]({link}) | "), row
        assert row.endswith(" |")
        assert f"[^{number}]: 中文标题：{paper.title}" in lines
        assert f"    [{link}]({link})" in lines
        assert f"    {paper.abstract}" in lines
    assert "# 详细" in lines
    assert body[4 + len(SHOWN)] == ""  # the table has exactly the four papers
    assert "2412.10003" not in result.out
    assert "Replaced Paper" not in result.out
    assert "Announce Type" not in result.out
    assert "http://" not in result.out
    assert cli.llm.count == len(SHOWN)  # one request per paper
    assert len(cli.rss.requests) == 1

    again = cli("digest", "cs.LG", "--limit", "1000")  # the top of the accepted range
    assert again.code == 0, again.err
    assert again.out == result.out
    assert "summarizing" not in again.err  # stderr is a pipe: no progress bar
    assert "4/4" not in again.err
    assert cli.llm.count == len(SHOWN)  # summaries cached in DATABASE_PATH


def test_digest_of_two_categories_shows_a_cross_listed_paper_once(cli: TtyCli) -> None:
    day = _today_ny()
    shared = item("2412.20001", "Language Models that Learn", category="cs.CL")
    cli.rss.set_feed(
        "cs.LG", [item("2412.10001", "Sparse Attention"), shared_as(shared, "cross")], day
    )
    cli.rss.set_feed("cs.CL", [shared, item("2412.20002", "Parsing with Grammars")], day)
    result = cli("digest", "cs.LG", "cs.CL")
    assert result.code == 0, result.err
    rows = [line for line in result.out.splitlines() if line.startswith("| [^")]
    assert len(rows) == 3
    for row, paper_id in zip(rows, ("2412.10001", "2412.20001", "2412.20002"), strict=True):
        assert f"](https://arxiv.org/abs/{paper_id}) | " in row
    details = [line for line in result.out.splitlines() if line.startswith("[^")]
    assert len(details) == 3
    assert "3 announced" in result.out.splitlines()[0]
    assert cli.llm.count == 3


def shared_as(paper: RssItem, kind: str) -> RssItem:
    return RssItem(
        arxiv_id=paper.arxiv_id,
        title=paper.title,
        abstract=paper.abstract,
        categories=["cs.LG"],
        announce_type=kind,
    )


# ------------------------------------------------------------------ keywords and limit


def test_keywords_filter_case_insensitively_in_title_or_abstract_and_limit_caps(
    cli: TtyCli,
) -> None:
    feed = [
        item("2412.30001", "Vision TRANSFORMERS for Images"),
        item("2412.30002", "Kernel Methods"),
        item("2412.30003", "Sequence Models", abstract="A transformer-free recurrent model."),
        item("2412.30004", "Reinforcement Learning"),
        item("2412.30005", "Efficient Transformer Inference"),
    ]
    cli.rss.set_feed("cs.LG", feed, pub_date=_today_ny())
    result = cli("digest", "cs.LG", "--keywords", " tRANSFORMER ,", "--limit", "2")
    assert result.code == 0, result.err
    rows = [line for line in result.out.splitlines() if line.startswith("| [^")]
    assert len(rows) == 2
    assert "](https://arxiv.org/abs/2412.30001) | " in rows[0]  # title hit, upper case
    assert "](https://arxiv.org/abs/2412.30003) | " in rows[1]  # abstract hit
    assert "2412.30005" not in result.out  # matching, but beyond the limit
    assert "5 announced, 3 matching, 2 shown" in result.out.splitlines()[0]
    assert cli.llm.count == 2  # only the shown papers are summarized


# ------------------------------------------------------------------ bad input, no announcement


def test_bad_input_exits_2_with_one_line_and_no_request(cli: TtyCli) -> None:
    """Independent refusals, run side by side to keep the suite fast."""
    cli.rss.set_feed("cs.LG", LG_FEED, pub_date=_today_ny())
    no_token = cli.env()
    del no_token["TELEGRAM_BOT_TOKEN"]
    runs: dict[str, tuple[tuple[str, ...], dict[str, str] | None]] = {
        "limit 0": (("digest", "cs.LG", "--limit", "0"), None),
        "limit 1001": (("digest", "cs.LG", "--limit=1001"), None),
        "cs.ML": (("digest", "cs.ML"), None),
        "send-due without token": (("send-due",), no_token),
    }
    with ThreadPoolExecutor(max_workers=len(runs)) as pool:
        futures = {name: pool.submit(cli, *args, env=env) for name, (args, env) in runs.items()}
        results = {name: future.result() for name, future in futures.items()}
    for name, result in results.items():
        assert result.code == 2, (name, result)
        assert result.out == "", (name, result)
        assert len(result.err_lines) == 1, (name, result.err)
        assert result.err_lines[0].startswith("arxiv-digest:"), (name, result.err)
    for name in ("limit 0", "limit 1001"):
        assert "--limit" in results[name].err
        assert "1000" in results[name].err
    unknown = results["cs.ML"].err
    assert "cs.ML" in unknown
    assert "cs.LG" in unknown or "stat.ML" in unknown
    assert "TELEGRAM_BOT_TOKEN" in results["send-due without token"].err
    assert cli.rss.requests == []
    assert cli.arxiv.requests == []
    assert cli.tg.calls == []
    assert cli.llm.count == 0


def test_weekend_prints_nothing_and_says_so_in_one_line(cli: TtyCli) -> None:
    cli.rss.set_empty("cs.LG")
    result = cli("digest", "cs.LG")
    assert result.code == 0, result.err
    assert result.out == ""
    assert len(result.err_lines) == 1, result.err
    assert result.err_lines[0].startswith("arxiv-digest:")
    assert "no new papers announced" in result.err_lines[0]
    assert "cs.LG" in result.err_lines[0]
    assert cli.llm.count == 0


def test_rss_down_fails_in_one_line_without_a_traceback(cli: TtyCli) -> None:
    cli.rss.fail_next(503, count=None)
    result = cli("digest", "cs.LG")
    assert result.code != 0
    assert result.out == ""
    assert len(result.messages) == 1, result.err
    assert "unreachable" in result.messages[0]
    others = [line for line in result.err_lines if line not in result.messages]
    assert all(LOG_LINE.match(line) for line in others), result.err  # retry warnings only
    assert len(cli.rss.requests) == 3  # retried, then gave up
    assert cli.llm.count == 0


# ------------------------------------------------------------------ progress bar


# ------------------------------------------------------------------ send-due


def _zone_at_noon(now: datetime) -> str:
    """An IANA zone where the local time is now about noon (far from local midnight)."""
    offset = 12 - now.astimezone(UTC).hour  # hours east of UTC, -11..12
    return f"Etc/GMT{-offset:+d}"  # the Etc zones' signs are inverted (POSIX)


async def test_send_due_sends_the_due_digest_once(
    cli: TtyCli, make_settings: Callable[..., Settings]
) -> None:
    now = datetime.now(UTC)
    zone = _zone_at_noon(now)
    settings = make_settings(DEFAULT_TIMEZONE=zone, DEFAULT_DIGEST_TIME="00:00")
    app = await start_bot(settings, clock=lambda: now - timedelta(days=1))
    try:
        cli.tg.push_message("/subscribe cs.LG", chat_id=USER)
        (confirmation,) = await cli.tg.await_sent(1, chat_id=USER)
        assert "已订阅" in (confirmation.text or "")
    finally:
        await stop_bot(app)
    cli.rss.set_feed("cs.LG", LG_FEED, pub_date=_today_ny())
    env = cli.env(DEFAULT_TIMEZONE=zone, DEFAULT_DIGEST_TIME="00:00")

    result = cli("send-due", env=env)
    assert result.code == 0, result.err
    assert result.messages == []
    digest = cli.tg.sent_texts(USER)[1:]
    assert len(digest) >= 1
    assert "公告 4 篇" in digest[0]
    every = "".join(digest)
    for paper in SHOWN:
        assert f'href="https://arxiv.org/abs/{paper.arxiv_id}"' in every
    assert "2412.10003" not in every
    assert cli.llm.count == len(SHOWN)
    assert f"sent {len(digest)} digest messages" in result.err

    again = cli("send-due", env=env)
    assert again.code == 0, again.err
    assert len(cli.tg.sent(USER)) == 1 + len(digest)  # nothing sent twice
    assert "sent 0 digest messages" in again.err
    assert cli.llm.count == len(SHOWN)
