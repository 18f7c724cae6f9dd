"""Scenarios 6 and 7: restarts never resend; a digest missed while down is sent once."""

from __future__ import annotations

from tests.fakes.arxiv_api import FakeArxivRss, RssItem
from tests.fakes.llm import FakeLLM
from tests.fakes.telegram import FakeBotApi
from tests.faults.conftest import BotProcess, seed_subscription

CHAT = 4242


def digest_messages(tg: FakeBotApi) -> list[str]:
    return tg.sent_texts(CHAT)


def test_down_at_the_scheduled_time_then_one_catch_up_and_restarts_resend_nothing(
    bot_process: BotProcess,
    fake_telegram: FakeBotApi,
    fake_rss: FakeArxivRss,
    fake_llm: FakeLLM,
) -> None:
    fake_rss.set_feed(
        "cs.LG",
        [RssItem(arxiv_id=f"2412.{n:05d}", title=f"Paper {n}", abstract="Text.") for n in range(3)],
    )
    seed_subscription(bot_process.db_path, CHAT, minutes_ago=30)  # its time passed while down
    bot_process.start()
    fake_telegram.wait_sent(1, chat_id=CHAT, timeout=30)
    first = digest_messages(fake_telegram)
    assert len(first) == 1
    assert "公告 3 篇" in first[0]
    for restart in range(5):  # five restarts the same day
        bot_process.restart()
        fake_telegram.push_message("/help", chat_id=CHAT + 1)
        fake_telegram.wait_sent(1 + restart, chat_id=CHAT + 1, timeout=30)
    assert bot_process.stop() == 0
    assert digest_messages(fake_telegram) == first
    assert fake_llm.count == 3
