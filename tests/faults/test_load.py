"""Scenario 16: SQLite under load, against the real bot process.

200 users send a link each, all at once, while three daily digests are summarized and delivered;
half the papers are the digest's own (cached, or being summarized right then), the other half
fresh, each asked by two users. Every request is answered, nothing is lost, SQLite never reports
"database is locked", and `arxiv-digest backup PATH`, run while the bot writes, makes copies that
pass `PRAGMA integrity_check`.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bot import texts
from tests.fakes.arxiv_api import FakeArxivApi, FakeArxivRss, RssItem
from tests.fakes.llm import FakeLLM
from tests.fakes.telegram import FakeBotApi
from tests.faults.conftest import BotProcess, seed_subscription

DIGEST_CHATS = (4301, -1004302, -1004303)  # a private chat (paced 1/s) and two groups
FEED_IDS = [f"2408.{n:05d}" for n in range(1, 21)]
FRESH_IDS = [f"2409.{n:05d}" for n in range(1, 51)]
USERS = list(range(20_001, 20_201))


def paper_for(index: int) -> str:
    """Even users ask for a digest paper, odd users for a fresh one (each fresh one twice)."""
    return FEED_IDS[index % 20] if index % 2 == 0 else FRESH_IDS[(index // 2) % 50]


def read_db(db_path: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    try:
        return list(conn.execute(sql))
    finally:
        conn.close()


def backup(bot: BotProcess, target: Path) -> None:
    """`arxiv-digest backup PATH` with the bot's own settings, next to the running bot."""
    done = subprocess.run(  # noqa: S603  # our own CLI, a fixed argument list
        [sys.executable, "-m", "bot", "backup", str(target)],
        cwd=bot.cwd,
        env=bot.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert bot.process is not None
    assert bot.process.poll() is None  # the bot was running, and writing


def wait_log(bot: BotProcess, text: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while text not in bot.log_text():
        assert time.monotonic() < deadline, f"{text!r} not logged:\n{bot.log_text()[-3000:]}"
        time.sleep(0.05)


def test_200_concurrent_link_requests_during_a_digest_and_a_backup(
    tmp_path: Path,
    bot_process: BotProcess,
    fake_telegram: FakeBotApi,
    fake_arxiv: FakeArxivApi,
    fake_rss: FakeArxivRss,
    fake_llm: FakeLLM,
) -> None:
    tg = fake_telegram
    fake_rss.set_feed("cs.LG", [RssItem(i, title=f"Feed paper {i}") for i in FEED_IDS])
    for arxiv_id in FEED_IDS:
        fake_arxiv.add_paper(arxiv_id, title=f"Feed paper {arxiv_id}")
    for arxiv_id in FRESH_IDS:
        fake_arxiv.add_paper(arxiv_id, title=f"Fresh paper {arxiv_id}")
    for chat in DIGEST_CHATS:
        seed_subscription(
            bot_process.db_path, chat, chat_type="private" if chat > 0 else "supergroup"
        )
    fake_llm.set_latency(0.3)  # summaries take a while: the digest and the requests overlap
    bot_process.start()

    fake_rss.wait_for(lambda requests: len(requests) >= 1, timeout=30)  # the digest began
    update_ids = [
        tg.push_message(f"https://arxiv.org/abs/{paper_for(n)}", chat_id=user)
        for n, user in enumerate(USERS)
    ]
    backup(bot_process, tmp_path / "backup-early.sqlite3")
    tg.wait_sent(100, timeout=90)
    backup(bot_process, tmp_path / "backup-middle.sqlite3")
    for n, user in enumerate(USERS):
        (reply,) = tg.wait_sent(1, chat_id=user, timeout=90)
        assert "中文标题：" in (reply.text or ""), reply.text
        assert f"abs/{paper_for(n)}" in (reply.text or ""), reply.text
    wait_log(bot_process, "digest pass sent")
    assert bot_process.stop() == 0

    log = bot_process.log_text()
    assert "database is locked" not in log.lower()
    assert not [c for c in tg.calls_to("sendMessage", ok_only=False) if not c.ok]
    assert all(len(tg.sent(user)) == 1 for user in USERS)

    db = bot_process.db_path
    seen = {row[0] for row in read_db(db, "SELECT update_id FROM processed_updates")}
    assert set(update_ids) <= seen
    wanted = set(FEED_IDS) | set(FRESH_IDS)
    assert {row[0] for row in read_db(db, "SELECT arxiv_id FROM papers")} >= wanted
    assert sorted(row[0] for row in read_db(db, "SELECT arxiv_id FROM summaries")) == sorted(wanted)
    assert fake_llm.count == len(wanted)  # one LLM call per paper, however many asked
    assert max(row[0] for row in read_db(db, "SELECT used FROM usage")) == 1
    for chat in DIGEST_CHATS:
        stored = read_db(
            db, f"SELECT text FROM digest_messages WHERE chat_id = {chat} ORDER BY message_no"
        )
        statuses = read_db(db, f"SELECT status FROM deliveries WHERE chat_id = {chat}")
        assert stored
        assert statuses == [("sent",)] * len(stored)
        assert tg.sent_texts(chat) == [row[0] for row in stored]  # each once, in order

    for name in ("backup-early.sqlite3", "backup-middle.sqlite3"):
        copy = tmp_path / name
        assert read_db(copy, "PRAGMA integrity_check") == [("ok",)]
        assert read_db(copy, "SELECT COUNT(*) FROM processed_updates")[0][0] > 0


def test_a_failed_typing_action_does_not_cost_the_summary(
    bot_process: BotProcess,
    fake_telegram: FakeBotApi,
    fake_arxiv: FakeArxivApi,
    allow_traceback: list[bool],
) -> None:
    allow_traceback.append(True)  # the bug logs the NetworkError with its traceback
    fake_arxiv.add_paper("2410.00001", title="Typing fails")
    fake_telegram.fail_next("sendChatAction", 502, "Bad Gateway")
    bot_process.start()
    fake_telegram.push_message("2410.00001", chat_id=9801)
    (reply,) = fake_telegram.wait_sent(1, chat_id=9801, timeout=30)
    assert reply.text != texts.INTERNAL_ERROR
    assert "中文标题：Typing fails" in (reply.text or "")
