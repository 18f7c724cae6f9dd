"""Daily digests end to end: subscribe, select, summarize once, deliver once, resume.

The real bot against fake Telegram, RSS, arXiv API and LLM; the clock is injected, so a digest
"at 09:30" is tested without waiting for 09:30.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.digest_run import send_due
from storage import digests
from tests.conftest import RunningBot, start_bot, stop_bot
from tests.fakes.arxiv_api import RssItem
from tests.support.chat import command as chat_command
from tests.support.chat import set_clock
from tests.support.html_check import check_telegram_html, links_in

USER = 1001
GROUP = -100500
ADMIN = 42
MEMBER = 43
CHANNEL = -1007777
SUBSCRIBED_AT = datetime(2026, 12, 3, 23, 0, tzinfo=UTC)  # 07:00 in Shanghai, Dec 4
DUE = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai: after the default 09:30
FEED_DATE = "2026-12-03"


def long_items(count: int) -> list[RssItem]:
    """Papers with 1,800-character abstracts: a digest of them takes several messages."""
    papers = items("1", count)
    for paper in papers:
        paper.abstract = "Long abstract sentence here. " * 60
    return papers


def items(prefix: str, count: int, category: str = "cs.LG", kind: str = "new") -> list[RssItem]:
    return [
        RssItem(
            arxiv_id=f"2412.{prefix}{n:03d}",
            title=f"Paper {prefix}{n} about transformers" if n % 2 else f"Paper {prefix}{n}",
            abstract=f"We study problem {prefix}{n}. " * 10,
            categories=[category],
            announce_type=kind,
        )
        for n in range(count)
    ]


async def command(bot: RunningBot, text: str, chat_id: int = USER, **kw: Any) -> str:
    return await chat_command(bot, text, chat_id, **kw)


async def test_subscribe_then_digest_delivers_the_feed_in_a_private_chat(
    running_bot: RunningBot,
) -> None:
    bot = running_bot
    set_clock(bot, SUBSCRIBED_AT)
    bot.rss.set_feed("cs.LG", items("1", 3), pub_date=FEED_DATE)
    reply = await command(bot, "/subscribe cs.LG")
    assert "已订阅：cs.LG" in reply
    assert "09:30" in reply
    bot.tg.push_message("/digest", chat_id=USER)
    messages = await bot.tg.await_sent(2, chat_id=USER)
    digest = messages[1].text or ""
    assert FEED_DATE in digest
    assert "公告 3 篇" in digest
    assert "本期 3 篇" in digest
    for n in range(3):
        assert f'href="https://arxiv.org/abs/2412.1{n:03d}"' in digest
    check_telegram_html(digest)
    assert bot.llm.count == 3
    again = await command(bot, "/digest")
    assert "已经发送过了" in again


async def test_unknown_category_is_refused_with_suggestions_and_nothing_written(
    running_bot: RunningBot,
) -> None:
    reply = await command(running_bot, "/subscribe cs.ML")
    assert "未知的 arXiv 分类：cs.ML" in reply
    assert "cs.LG" in reply
    settings = await command(running_bot, "/settings")
    assert "还没有订阅" in settings


async def test_settings_time_limit_keywords_round_trip(running_bot: RunningBot) -> None:
    bot = running_bot
    set_clock(bot, SUBSCRIBED_AT)
    await command(bot, "/subscribe cs.LG, cs.CL")
    assert "Europe/Berlin" in await command(bot, "/time 07:15 Europe/Berlin")
    assert "格式不对" in await command(bot, "/time 25:00")
    assert "未知的时区" in await command(bot, "/time 08:00 Mars/Olympus")
    assert "1-100" in await command(bot, "/limit 0")
    assert "1-100" in await command(bot, "/limit 101")
    assert "最多 5 篇" in await command(bot, "/limit 5")
    assert "LLM、diffusion" in await command(bot, "/keywords LLM, diffusion")
    settings = await command(bot, "/settings")
    for expected in ("cs.LG、cs.CL", "LLM、diffusion", "07:15", "Europe/Berlin", "5 篇"):
        assert expected in settings
    assert "已取消：cs.CL" in await command(bot, "/unsubscribe cs.CL")
    assert "已关闭关键词" in await command(bot, "/keywords off")
    assert "已取消全部订阅" in await command(bot, "/unsubscribe")
    assert "还没有订阅" in await command(bot, "/settings")


async def test_in_a_group_only_admins_may_subscribe(running_bot: RunningBot) -> None:
    bot = running_bot
    bot.tg.set_member(GROUP, ADMIN, "administrator")
    refused = await command(bot, "/subscribe cs.LG", chat_id=GROUP, user_id=MEMBER)
    assert "只有群管理员" in refused
    assert "还没有订阅" in await command(bot, "/settings", chat_id=GROUP, user_id=MEMBER)
    assert "已订阅" in await command(bot, "/subscribe cs.LG", chat_id=GROUP, user_id=ADMIN)
    anonymous = await command(bot, "/limit 7", chat_id=GROUP, sender_chat=GROUP)
    assert "最多 7 篇" in anonymous


async def test_channel_is_subscribed_from_a_private_chat_by_its_admin(
    running_bot: RunningBot,
) -> None:
    bot = running_bot
    set_clock(bot, SUBSCRIBED_AT)
    bot.tg.add_chat(CHANNEL, type="channel", title="arXiv 每日速递", username="daily_arxiv")
    bot.tg.set_member(CHANNEL, USER, "administrator")
    bot.tg.set_member(CHANNEL, USER + 1, "member")
    refused = await command(bot, "/subscribe @daily_arxiv cs.LG", chat_id=USER + 1)
    assert "只有 @daily_arxiv 的管理员" in refused
    assert "已订阅" in await command(bot, "/subscribe @daily_arxiv cs.LG")
    assert "arXiv 每日速递" in await command(bot, "/settings @daily_arxiv")
    bot.rss.set_feed("cs.LG", items("1", 2), pub_date=FEED_DATE)
    assert "已把今天的速递" in await command(bot, "/digest @daily_arxiv")
    channel_messages = bot.tg.sent(CHANNEL)
    assert len(channel_messages) == 1
    assert "2412.1000" in (channel_messages[0].text or "")


async def test_channel_where_the_bot_cannot_post_is_refused(running_bot: RunningBot) -> None:
    bot = running_bot
    bot.tg.add_chat(CHANNEL, type="channel", title="Chan", username="chan")
    bot.tg.set_member(CHANNEL, USER, "creator")
    bot.tg.set_member(CHANNEL, bot.tg.bot_id, "administrator", can_post_messages=False)
    assert "发布消息" in await command(bot, "/subscribe @chan cs.LG")


async def test_scheduled_pass_sends_once_at_the_local_time(running_bot: RunningBot) -> None:
    bot = running_bot
    move = set_clock(bot, SUBSCRIBED_AT)
    bot.rss.set_feed("cs.LG", items("1", 2), pub_date=FEED_DATE)
    await command(bot, "/subscribe cs.LG")
    (job,) = bot.app.job_queue.get_jobs_by_name(f"digest:{USER}")
    local = job.next_t.astimezone(ZoneInfo("Asia/Shanghai"))
    assert (local.hour, local.minute) == (9, 30)
    move(DUE - timedelta(minutes=31))  # 09:29 in Shanghai: not yet
    assert await send_due(bot.services, bot.app.bot) == 0
    move(DUE)
    assert await send_due(bot.services, bot.app.bot) == 1
    assert await send_due(bot.services, bot.app.bot) == 0
    assert len(bot.tg.sent(USER)) == 2  # the subscribe confirmation and one digest


async def test_subscribing_after_the_time_starts_tomorrow(running_bot: RunningBot) -> None:
    bot = running_bot
    move = set_clock(bot, DUE)  # 10:00: today's 09:30 has passed
    bot.rss.set_feed("cs.LG", items("1", 2), pub_date=FEED_DATE)
    await command(bot, "/subscribe cs.LG")
    assert await send_due(bot.services, bot.app.bot) == 0
    move(DUE + timedelta(days=1))
    assert await send_due(bot.services, bot.app.bot) == 1


async def test_weekend_feed_sends_nothing(running_bot: RunningBot) -> None:
    bot = running_bot
    move = set_clock(bot, SUBSCRIBED_AT)
    bot.rss.set_empty("cs.LG", pub_date="2026-12-05")
    await command(bot, "/subscribe cs.LG")
    move(DUE)
    assert await send_due(bot.services, bot.app.bot) == 0
    assert "没有新的 arXiv 公告" in await command(bot, "/digest")


async def test_stale_feed_is_not_sent_again_as_new(running_bot: RunningBot) -> None:
    bot = running_bot
    move = set_clock(bot, SUBSCRIBED_AT)
    bot.rss.set_feed("cs.LG", items("1", 2), pub_date=FEED_DATE)
    await command(bot, "/subscribe cs.LG")
    move(DUE)
    assert await send_due(bot.services, bot.app.bot) == 1
    bot.rss.set_feed("cs.LG", items("1", 2), pub_date="2026-12-04")  # same papers, new date
    move(DUE + timedelta(days=1))
    assert await send_due(bot.services, bot.app.bot) == 0
    bot.rss.set_feed("cs.LG", items("2", 2), pub_date="2026-12-04")  # a real new day
    move(DUE + timedelta(days=1, hours=1))
    assert await send_due(bot.services, bot.app.bot) == 1


async def test_keywords_filter_and_rank_and_the_header_tells_the_truth(
    running_bot: RunningBot,
) -> None:
    bot = running_bot
    set_clock(bot, SUBSCRIBED_AT)
    bot.rss.set_feed("cs.LG", items("1", 10), pub_date=FEED_DATE)
    await command(bot, "/subscribe cs.LG")
    await command(bot, "/keywords TRANSFORMERS")
    await command(bot, "/limit 3")
    bot.tg.push_message("/digest", chat_id=USER)
    calls = await bot.tg.await_sent(4, chat_id=USER)
    digest = calls[3].text or ""
    assert "公告 10 篇，匹配关键词 5 篇，本期 3 篇" in digest
    shown = [link.rsplit("/", 1)[1] for link in links_in(digest)]
    assert shown == ["2412.1001", "2412.1003", "2412.1005"]


async def test_three_overlapping_subscriptions_cost_one_llm_call_per_paper(
    running_bot: RunningBot,
) -> None:
    bot = running_bot
    move = set_clock(bot, SUBSCRIBED_AT)
    lg = items("1", 4)
    cl = [
        *items("2", 3, category="cs.CL"),
        RssItem(
            arxiv_id=lg[0].arxiv_id,
            title=lg[0].title,
            abstract=lg[0].abstract,
            categories=["cs.CL"],
            announce_type="cross",
        ),
    ]
    bot.rss.set_feed("cs.LG", lg, pub_date=FEED_DATE)
    bot.rss.set_feed("cs.CL", cl, pub_date=FEED_DATE)
    await command(bot, "/subscribe cs.LG", chat_id=USER)
    await command(bot, "/subscribe cs.LG cs.CL", chat_id=USER + 1)
    await command(bot, "/subscribe cs.CL", chat_id=USER + 2)
    move(DUE)
    assert await send_due(bot.services, bot.app.bot) == 3
    assert bot.llm.count == 7  # 4 + 3 unique papers; the cross-list counted once
    assert len(bot.rss.requests) == 2  # each category fetched once for all chats
    both = bot.tg.sent_texts(USER + 1)[-1]
    assert "公告 7 篇" in both
    assert both.count("https://arxiv.org/abs/2412.1000") == 1


async def test_long_digest_is_split_between_papers_overview_first(
    running_bot: RunningBot,
) -> None:
    bot = running_bot
    move = set_clock(bot, SUBSCRIBED_AT)
    bot.rss.set_feed("cs.LG", long_items(20), pub_date=FEED_DATE)
    await command(bot, "/subscribe cs.LG")
    move(DUE)
    sent = await send_due(bot.services, bot.app.bot)
    digest = bot.tg.sent_texts(USER)[1:]
    assert sent == len(digest) >= 3
    assert digest[0].startswith("<b>📮")
    assert "1. <b>中文标题" in digest[0]
    assert "20. <b>中文标题" in digest[0]  # the whole overview comes first
    for text in digest:
        check_telegram_html(text)
    details = "".join(digest)
    for n in range(20):
        assert details.count(f'href="https://arxiv.org/abs/2412.1{n:03d}"') == 1


async def test_forbidden_chat_is_deactivated_and_others_delivered(running_bot: RunningBot) -> None:
    bot = running_bot
    move = set_clock(bot, SUBSCRIBED_AT)
    bot.rss.set_feed("cs.LG", items("1", 2), pub_date=FEED_DATE)
    await command(bot, "/subscribe cs.LG", chat_id=USER)
    await command(bot, "/subscribe cs.LG", chat_id=USER + 1)
    bot.tg.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user", chat_id=USER)
    move(DUE)
    await send_due(bot.services, bot.app.bot)
    assert len(bot.tg.sent(USER + 1)) == 2
    assert "已暂停" in await command(bot, "/settings", chat_id=USER)
    move(DUE + timedelta(hours=1))
    assert await send_due(bot.services, bot.app.bot) == 0


async def test_migrated_group_moves_its_subscription_and_gets_the_digest(
    running_bot: RunningBot,
) -> None:
    bot = running_bot
    move = set_clock(bot, SUBSCRIBED_AT)
    old, new = -500, -100500999
    bot.tg.set_member(old, ADMIN, "administrator")
    bot.rss.set_feed("cs.LG", items("1", 2), pub_date=FEED_DATE)
    await command(bot, "/subscribe cs.LG", chat_id=old, chat_type="group", user_id=ADMIN)
    bot.tg.fail_next(
        "sendMessage",
        400,
        "Bad Request: group chat was upgraded to a supergroup chat",
        parameters={"migrate_to_chat_id": new},
        chat_id=old,
    )
    move(DUE)
    assert await send_due(bot.services, bot.app.bot) == 1
    assert len(bot.tg.sent(new)) == 1
    assert "cs.LG" in await command(bot, "/settings", chat_id=new, user_id=ADMIN)
    assert "还没有订阅" in await command(bot, "/settings", chat_id=old, chat_type="group")


async def test_429_mid_digest_waits_and_delivers_everything_once_in_order(
    running_bot: RunningBot,
) -> None:
    bot = running_bot
    move = set_clock(bot, SUBSCRIBED_AT)
    bot.rss.set_feed("cs.LG", long_items(12), pub_date=FEED_DATE)
    await command(bot, "/subscribe cs.LG")
    bot.tg.fail_next(
        "sendMessage",
        429,
        "Too Many Requests: retry after 1",
        parameters={"retry_after": 1},
        chat_id=USER,
    )
    move(DUE)
    sent = await send_due(bot.services, bot.app.bot)
    texts = bot.tg.sent_texts(USER)[1:]
    assert sent == len(texts) >= 3
    assert len(set(texts)) == len(texts)
    assert texts[0].startswith("<b>📮")


async def test_restart_after_partial_delivery_resumes_without_duplicates(
    running_bot: RunningBot,
) -> None:
    bot = running_bot
    move = set_clock(bot, SUBSCRIBED_AT)
    bot.rss.set_feed("cs.LG", long_items(12), pub_date=FEED_DATE)
    await command(bot, "/subscribe cs.LG")
    move(DUE)
    first_pass = asyncio.create_task(send_due(bot.services, bot.app.bot))
    await bot.tg.await_sent(3, chat_id=USER)  # the confirmation and two digest messages
    bot.tg.fail_next(
        "sendMessage",
        429,
        "Too Many Requests: retry after 1",
        parameters={"retry_after": 1},
        chat_id=USER,
        count=None,
    )
    partial = await first_pass
    bot.tg.clear_faults()
    stored = await bot.services.store.call(digests.stored_messages, USER, FEED_DATE)
    assert 2 <= partial < len(stored)

    await stop_bot(bot.app)  # restart: the catch-up pass on start resumes the digest
    bot.app = await start_bot(bot.settings, clock=lambda: DUE)
    await bot.tg.await_sent(1 + len(stored), chat_id=USER)
    assert bot.tg.sent_texts(USER)[1:] == stored  # each message once, in order

    await stop_bot(bot.app)  # a restart after a complete digest resends nothing
    bot.app = await start_bot(bot.settings, clock=lambda: DUE)
    assert await send_due(bot.app.bot_data["services"], bot.app.bot) == 0
    assert bot.tg.sent_texts(USER)[1:] == stored


async def test_an_announcement_appearing_later_the_same_day_waits_for_tomorrow(
    running_bot: RunningBot,
) -> None:
    bot = running_bot
    move = set_clock(bot, SUBSCRIBED_AT)
    bot.rss.set_feed("cs.LG", items("1", 2), pub_date=FEED_DATE)
    await command(bot, "/subscribe cs.LG")
    move(DUE)
    assert await send_due(bot.services, bot.app.bot) == 1
    bot.rss.set_feed("cs.LG", items("2", 2), pub_date="2026-12-04")  # arXiv's next mailing
    move(DUE + timedelta(hours=4))  # 14:00 in Shanghai: after New York's midnight
    assert await send_due(bot.services, bot.app.bot) == 0  # one scheduled digest a day
    move(DUE + timedelta(days=1))
    assert await send_due(bot.services, bot.app.bot) == 1
    assert "2026-12-04" in bot.tg.sent_texts(USER)[-1]


async def test_a_missed_time_is_caught_up_once_the_same_day(running_bot: RunningBot) -> None:
    bot = running_bot
    move = set_clock(bot, SUBSCRIBED_AT)
    bot.rss.set_feed("cs.LG", items("1", 2), pub_date=FEED_DATE)
    await command(bot, "/subscribe cs.LG")
    move(DUE + timedelta(hours=5))  # the bot was down at 09:30; back at 15:00
    assert await send_due(bot.services, bot.app.bot) == 1
    assert await send_due(bot.services, bot.app.bot) == 0


async def test_any_member_of_a_subscribed_group_may_ask_for_todays_digest_once(
    running_bot: RunningBot,
) -> None:
    bot = running_bot
    set_clock(bot, SUBSCRIBED_AT)
    bot.tg.set_member(GROUP, ADMIN, "administrator")
    bot.rss.set_feed("cs.LG", items("1", 2), pub_date=FEED_DATE)
    await command(bot, "/subscribe cs.LG", chat_id=GROUP, user_id=ADMIN)
    digest = await command(bot, "/digest", chat_id=GROUP, user_id=MEMBER)
    assert "公告 2 篇" in digest
    assert "已经发送过了" in await command(bot, "/digest", chat_id=GROUP, user_id=MEMBER)
