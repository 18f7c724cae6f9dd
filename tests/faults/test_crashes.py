"""Scenario 5: `kill -9` mid-digest, then a restart: it resumes, never resends a confirmed
message, duplicates at most the one message in flight, and the database stays intact.

First the fixed point of the issue (12 messages, killed while message 6 is in flight), then 19
kills at random points (a seeded generator): during the summaries, and after a random number of
sends plus a random few milliseconds, every send being answered 30 ms after the fake accepted it
so that kills land in flight too. To keep the run short each random repetition subscribes one
more group with a 6-message digest (a fresh process sends to a group without pacing waits); each
restart also resumes what the previous kill interrupted.
"""

from __future__ import annotations

import random
import re
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.arxiv_api import FakeArxivRss
from tests.fakes.llm import FakeLLM
from tests.faults.conftest import BotProcess, seed_subscription
from tests.faults.test_delivery_faults import (
    ScriptedBotApi,
    Step,
    long_feed,
    pass_sent,
    statuses,
    stored,
    wait_log,
)

SEED = 20241204
RANDOM_KILLS = 19
CATCH_UP_DONE = re.compile(r'Job "digest:catch-up .*" executed successfully')


@pytest.fixture
def fake_telegram() -> Iterator[ScriptedBotApi]:
    with ScriptedBotApi() as tg:
        yield tg
    assert not tg.errors, "\n".join(tg.errors)


def integrity(db_path: Path) -> list[tuple[str]]:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute("PRAGMA integrity_check").fetchall()
    finally:
        conn.close()


GROUP = -1006001


def test_kill_9_with_message_6_of_12_in_flight_resumes_and_duplicates_only_that_one(
    bot_process: BotProcess,
    fake_telegram: ScriptedBotApi,
    fake_rss: FakeArxivRss,
    fake_llm: FakeLLM,
) -> None:
    tg = fake_telegram
    long_feed(fake_rss, fake_llm, 12)
    seed_subscription(bot_process.db_path, GROUP, chat_type="supergroup", max_papers=12)
    killed = threading.Event()

    def crash() -> None:  # the fake accepted message 6; the bot dies before it hears so
        bot_process.kill()
        killed.set()

    tg.on_send(GROUP, 6, Step(after=crash))
    bot_process.start()
    assert killed.wait(60)
    assert integrity(bot_process.db_path) == [("ok",)]
    texts = stored(bot_process.db_path, GROUP)
    assert len(texts) == 12
    assert statuses(bot_process.db_path, GROUP) == {**dict.fromkeys(range(5), "sent"), 5: "sending"}
    assert tg.sent_texts(GROUP) == texts[:6]

    bot_process.start()
    tg.wait_sent(13, chat_id=GROUP, timeout=60)
    wait_log(bot_process, pass_sent(7))
    assert tg.sent_texts(GROUP) == [*texts[:6], *texts[5:]]  # 1-5 once, 6 twice, 7-12 once
    assert set(statuses(bot_process.db_path, GROUP).values()) == {"sent"}
    assert bot_process.stop() == 0
    assert integrity(bot_process.db_path) == [("ok",)]


def test_kill_9_at_random_points_never_resends_a_confirmed_message(
    bot_process: BotProcess,
    fake_telegram: ScriptedBotApi,
    fake_rss: FakeArxivRss,
    fake_llm: FakeLLM,
) -> None:
    tg = fake_telegram
    rng = random.Random(SEED)
    db = bot_process.db_path
    long_feed(fake_rss, fake_llm, 6)
    fake_llm.set_latency(0.05)
    tg.set_delay("sendMessage", 0.03)
    chats = [-1007000 - n for n in range(RANDOM_KILLS)]
    # per kill: the statuses in the delivery log and how many copies had arrived, per chat
    kills: list[tuple[dict[int, dict[int, str]], dict[int, int]]] = []
    points: list[str] = []
    for n, chat in enumerate(chats):
        seed_subscription(db, chat, chat_type="supergroup", max_papers=6)
        bot_process.start()
        if n == 0:  # while the papers are being summarized
            calls = rng.randint(1, 5)
            fake_llm.wait_for(lambda requests, calls=calls: len(requests) >= calls, timeout=30)
            points.append(f"after LLM call {calls}")
        else:  # after k sends to the new chat, and a few more milliseconds
            k, extra = rng.randint(1, 6), rng.uniform(0, 0.04)
            tg.wait_sent(k, chat_id=chat, timeout=30)
            time.sleep(extra)
            points.append(f"after send {k} + {extra * 1000:.0f} ms")
        bot_process.kill()
        assert integrity(db) == [("ok",)], points
        kills.append(
            (
                {c: statuses(db, c) for c in chats[: n + 1]},
                {c: len(tg.sent(c)) for c in chats[: n + 1]},
            )
        )

    bot_process.start()  # the last restart finishes every digest
    for chat in chats:
        tg.wait_for(
            lambda calls, chat=chat: (
                len(
                    {
                        c.text
                        for c in calls
                        if c.method == "sendMessage" and c.ok and c.chat_id == chat
                    }
                )
                >= 6
            ),
            timeout=60,
        )
    wait_log(bot_process, CATCH_UP_DONE)  # (it may have had nothing left to send)
    assert bot_process.stop() == 0
    assert integrity(db) == [("ok",)]

    for chat in chats:
        texts = stored(db, chat)
        assert len(texts) == 6
        arrived = [texts.index(t) for t in tg.sent_texts(chat)]
        assert list(dict.fromkeys(arrived)) == list(range(6)), (chat, arrived, points)
        for log, seen in kills:  # confirmed before a kill: never sent again after it
            confirmed = {m for m, s in log.get(chat, {}).items() if s == "sent"}
            again = [m for m in arrived[seen.get(chat, 0) :] if m in confirmed]
            assert again == [], (chat, arrived, points)
        for message in set(arrived):  # a copy more only for each kill that caught it in flight
            in_flight = sum(log.get(chat, {}).get(message) == "sending" for log, _ in kills)
            assert arrived.count(message) <= 1 + in_flight, (chat, arrived, points)
        assert set(statuses(db, chat).values()) == {"sent"}
    for log, _ in kills:  # one digest is sent one message at a time
        for chat_log in log.values():
            assert list(chat_log.values()).count("sending") <= 1
