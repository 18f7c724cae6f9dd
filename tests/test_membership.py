"""Membership events: the bot removed from a chat, a group upgraded to a supergroup.

The real bot in-process against the fake Bot API; updates go through `getUpdates` like in
production. Such updates get no reply, so the tests wait until the bot has processed every
pushed update (`settle`) before looking at the store.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import storage.subscriptions
from bot.digest_run import send_due
from bot.models import Subscription
from tests.conftest import RunningBot, settle
from tests.fakes.arxiv_api import RssItem
from tests.support.chat import command as chat_command
from tests.support.chat import set_clock

USER = 1001
GROUP = -100500
ADMIN = 42
OLD_GROUP = -500
SUPERGROUP = -100500999
SUBSCRIBED_AT = datetime(2026, 12, 3, 23, 0, tzinfo=UTC)  # 07:00 in Shanghai, Dec 4
DUE = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai: after the default 09:30
FEED_DATE = "2026-12-03"


def items(count: int) -> list[RssItem]:
    return [
        RssItem(
            arxiv_id=f"2412.1{n:03d}",
            title=f"Paper {n}",
            abstract=f"We study problem {n}. " * 5,
            categories=["cs.LG"],
        )
        for n in range(count)
    ]


async def command(bot: RunningBot, text: str, chat_id: int = USER, **kw: Any) -> str:
    return await chat_command(bot, text, chat_id, **kw)


async def subscription(bot: RunningBot, chat_id: int) -> Subscription | None:
    return await bot.services.store.call(storage.subscriptions.get, chat_id)


async def row_count(bot: RunningBot) -> int:
    def count(db: Any) -> int:
        return int(db.execute("select count(*) from subscriptions").fetchone()[0])

    return await bot.services.store.call(count)


# ------------------------------------------------------------------ the bot removed


@pytest.mark.parametrize("status", ["kicked", "left"])
async def test_bot_removed_from_a_group_pauses_only_that_subscription(
    running_bot: RunningBot, status: str
) -> None:
    bot = running_bot
    move = set_clock(bot, SUBSCRIBED_AT)
    bot.rss.set_feed("cs.LG", items(2), pub_date=FEED_DATE)
    bot.tg.set_member(GROUP, ADMIN, "administrator")
    assert "已订阅" in await command(bot, "/subscribe cs.LG", chat_id=GROUP, user_id=ADMIN)
    assert "已订阅" in await command(bot, "/subscribe cs.LG", chat_id=USER)

    bot.tg.push_update(
        bot.tg.make_my_chat_member_update(
            chat_id=GROUP, new_status=status, old_status="member", user_id=ADMIN
        )
    )
    await settle(bot)
    paused = await subscription(bot, GROUP)
    assert paused is not None  # the settings are kept
    assert not paused.active
    other = await subscription(bot, USER)
    assert other is not None
    assert other.active
    assert "已暂停" in await command(bot, "/settings", chat_id=GROUP, user_id=ADMIN)
    assert "推送中" in await command(bot, "/settings", chat_id=USER)

    group_before = len(bot.tg.sent(GROUP))
    move(DUE)
    assert await send_due(bot.services, bot.app.bot) == 1
    assert len(bot.tg.sent(GROUP)) == group_before  # nothing to the chat the bot left
    assert len(bot.tg.sent(USER)) == 3  # confirmation, /settings, one digest
    assert "2412.1000" in bot.tg.sent_texts(USER)[-1]

    # an admin adds the bot back and subscribes again: the subscription is active again
    bot.tg.push_update(
        bot.tg.make_my_chat_member_update(
            chat_id=GROUP, new_status="member", old_status=status, user_id=ADMIN
        )
    )
    await settle(bot)
    assert "已订阅" in await command(bot, "/subscribe cs.LG", chat_id=GROUP, user_id=ADMIN)
    back = await subscription(bot, GROUP)
    assert back is not None
    assert back.active
    assert back.categories == ("cs.LG",)
    assert "推送中" in await command(bot, "/settings", chat_id=GROUP, user_id=ADMIN)
    assert await row_count(bot) == 2

    bot.rss.set_feed("cs.LG", items(3)[2:], pub_date="2026-12-04")  # the next announcement
    move(DUE + timedelta(days=1))
    group_before = len(bot.tg.sent(GROUP))
    assert await send_due(bot.services, bot.app.bot) == 2  # the group and the private chat
    assert len(bot.tg.sent(GROUP)) == group_before + 1
    assert "2412.1002" in bot.tg.sent_texts(GROUP)[-1]


async def test_user_blocking_the_bot_pauses_the_private_subscription(
    running_bot: RunningBot,
) -> None:
    bot = running_bot
    move = set_clock(bot, SUBSCRIBED_AT)
    bot.rss.set_feed("cs.LG", items(2), pub_date=FEED_DATE)
    await command(bot, "/subscribe cs.LG", chat_id=USER)
    bot.tg.push_update(
        bot.tg.make_my_chat_member_update(
            chat_id=USER, chat_type="private", new_status="kicked", old_status="member"
        )
    )
    await settle(bot)
    blocked = await subscription(bot, USER)
    assert blocked is not None
    assert not blocked.active
    move(DUE)
    assert await send_due(bot.services, bot.app.bot) == 0
    assert len(bot.tg.sent(USER)) == 1  # the confirmation only


async def test_bot_removed_from_an_unsubscribed_chat_writes_nothing(
    running_bot: RunningBot,
) -> None:
    bot = running_bot
    set_clock(bot, SUBSCRIBED_AT)
    bot.tg.push_update(
        bot.tg.make_my_chat_member_update(chat_id=GROUP, new_status="kicked", old_status="member")
    )
    await settle(bot)
    assert await subscription(bot, GROUP) is None
    assert await row_count(bot) == 0


# ------------------------------------------------------------------ group -> supergroup


def migrate_to(bot: RunningBot) -> dict[str, Any]:
    """The service message in the old group: it became SUPERGROUP."""
    update = bot.tg.make_message_update(None, chat_id=OLD_GROUP, chat_type="group", user_id=ADMIN)
    update["message"]["migrate_to_chat_id"] = SUPERGROUP
    return update


def migrate_from(bot: RunningBot) -> dict[str, Any]:
    """The service message in the new supergroup: it was OLD_GROUP."""
    update = bot.tg.make_message_update(
        None, chat_id=SUPERGROUP, chat_type="supergroup", user_id=ADMIN
    )
    update["message"]["migrate_from_chat_id"] = OLD_GROUP
    return update


MIGRATIONS = {
    "to then from": ["to", "from"],
    "from then to": ["from", "to"],
    "twice": ["to", "from", "to", "from"],
    "only the new supergroup's": ["from"],
}


@pytest.mark.parametrize("order", list(MIGRATIONS.values()), ids=list(MIGRATIONS))
async def test_group_upgraded_to_a_supergroup_keeps_one_subscription_at_the_new_id(
    running_bot: RunningBot, order: list[str]
) -> None:
    bot = running_bot
    move = set_clock(bot, SUBSCRIBED_AT)
    bot.rss.set_feed("cs.LG", items(2), pub_date=FEED_DATE)
    bot.tg.set_member(OLD_GROUP, ADMIN, "administrator")
    bot.tg.set_member(SUPERGROUP, ADMIN, "administrator")
    reply = await command(
        bot, "/subscribe cs.LG", chat_id=OLD_GROUP, chat_type="group", user_id=ADMIN
    )
    assert "已订阅" in reply
    await command(bot, "/limit 7", chat_id=OLD_GROUP, chat_type="group", user_id=ADMIN)

    for kind in order:
        bot.tg.push_update(migrate_to(bot) if kind == "to" else migrate_from(bot))
        await settle(bot)

    moved = await subscription(bot, SUPERGROUP)
    assert moved is not None
    assert moved.categories == ("cs.LG",)
    assert moved.max_papers == 7  # the settings moved with it
    assert moved.active
    assert await subscription(bot, OLD_GROUP) is None
    assert await row_count(bot) == 1

    move(DUE)
    assert await send_due(bot.services, bot.app.bot) == 1
    assert len(bot.tg.sent(SUPERGROUP)) == 1
    assert "2412.1000" in bot.tg.sent_texts(SUPERGROUP)[0]
    assert len(bot.tg.sent(OLD_GROUP)) == 2  # the confirmations only


async def test_both_migration_messages_at_once_leave_one_row(running_bot: RunningBot) -> None:
    """Telegram sends both service messages together; the bot handles updates concurrently."""
    bot = running_bot
    set_clock(bot, SUBSCRIBED_AT)
    bot.tg.set_member(OLD_GROUP, ADMIN, "administrator")
    await command(bot, "/subscribe cs.LG", chat_id=OLD_GROUP, chat_type="group", user_id=ADMIN)
    for _ in range(3):
        bot.tg.push_update(migrate_to(bot))
        bot.tg.push_update(migrate_from(bot))
    await settle(bot)
    moved = await subscription(bot, SUPERGROUP)
    assert moved is not None
    assert moved.categories == ("cs.LG",)
    assert await subscription(bot, OLD_GROUP) is None
    assert await row_count(bot) == 1


async def test_a_digest_delivered_before_the_upgrade_is_not_sent_again_after_it(
    running_bot: RunningBot,
) -> None:
    bot = running_bot
    move = set_clock(bot, SUBSCRIBED_AT)
    bot.rss.set_feed("cs.LG", items(2), pub_date=FEED_DATE)
    bot.tg.set_member(OLD_GROUP, ADMIN, "administrator")
    await command(bot, "/subscribe cs.LG", chat_id=OLD_GROUP, chat_type="group", user_id=ADMIN)
    move(DUE)
    assert await send_due(bot.services, bot.app.bot) == 1
    assert len(bot.tg.sent(OLD_GROUP)) == 2  # confirmation and digest

    bot.tg.push_update(migrate_to(bot))
    bot.tg.push_update(migrate_from(bot))
    await settle(bot)
    assert await row_count(bot) == 1
    move(DUE + timedelta(hours=2))
    assert await send_due(bot.services, bot.app.bot) == 0  # the delivery log moved too
    assert bot.tg.sent(SUPERGROUP) == []
