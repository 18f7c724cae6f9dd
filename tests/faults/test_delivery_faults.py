"""Scenarios 1-4, 8 and 9: Telegram delivery faults against the real `arxiv-digest run` process.

The fake Bot API is scripted per send attempt (`ScriptedBotApi.on_send`: the Nth sendMessage to a
chat fails, is answered late, or runs a hook while in flight); scenario 2 uses a fake that
enforces Telegram's flood limits (`LimitedBotApi`); scenario 4 puts a TCP proxy between the bot
and the fake (`Proxy`) to refuse connections or drop a response after the fake accepted a send.

Digests are made long with summaries of ~1,500 characters: each paper then fills one message
(the first message holds the header, the overview and paper 1), so N papers give N messages;
every test checks that count against the store.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
import socket
import struct
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

from storage import digests, subscriptions
from storage.db import connect
from tests.fakes._server import Request, Response
from tests.fakes.arxiv_api import FakeArxivRss, RssItem
from tests.fakes.llm import FakeLLM, default_summary
from tests.fakes.telegram import FakeBotApi, _decode_params, _error_json
from tests.faults.conftest import BotProcess, seed_subscription

# ====================================================================== scripted fakes


@dataclass
class Step:
    """What the fake does with one sendMessage attempt to one chat.

    `fail`: (status, description, parameters) answered instead of sending; `after`: run once the
    fake accepted (or refused) the request, before the answer is written (the send is in flight);
    `hold`: seconds to hold the answer after that (past PTB's 5 s read timeout: unknown outcome).
    """

    fail: tuple[int, str, dict[str, Any] | None] | None = None
    after: Callable[[], None] | None = None
    hold: float = 0.0


class ScriptedBotApi(FakeBotApi):
    """FakeBotApi whose Nth sendMessage attempt to a chat can be scripted; `attempts` counts
    every sendMessage request per chat (ok or not), as the fake received them."""

    def __init__(self) -> None:
        super().__init__()
        self.attempts: Counter[Any] = Counter()
        self._steps: dict[tuple[Any, int], Step] = {}

    def on_send(self, chat_id: int, attempt: int, step: Step) -> None:
        with self._cond:
            self._steps[(chat_id, attempt)] = step

    def _handle(self, request: Request) -> Response:
        step = None
        if request.path.rsplit("/", 1)[-1].lower() == "sendmessage":
            chat = _decode_params(request).get("chat_id")
            with self._cond:
                self.attempts[chat] += 1
                step = self._steps.pop((chat, self.attempts[chat]), None)
                if step is not None and step.fail is not None:
                    status, description, parameters = step.fail
                    self.fail_next("sendMessage", status, description, parameters, chat_id=chat)
        response = super()._handle(request)
        if step is not None:
            if step.after is not None:
                step.after()
            self._sleep(step.hold)
        return response


@pytest.fixture
def fake_telegram() -> Iterator[ScriptedBotApi]:
    """The scripted fake in place of the plain one (the harness' fixtures pick it up)."""
    with ScriptedBotApi() as tg:
        yield tg
    assert not tg.errors, "\n".join(tg.errors)


# ====================================================================== helpers


def long_summary(body: dict[str, Any]) -> str:
    """The fake LLM's answer with a ~1,400-character Chinese abstract: one paper per message."""
    data = json.loads(default_summary(body))
    data["abstract_zh"] = "本文提出了一种新方法。" * 130
    return json.dumps(data, ensure_ascii=False)


def long_feed(rss: FakeArxivRss, llm: FakeLLM, papers: int) -> None:
    """Today's cs.LG announcement of `papers` papers, each summarized into a full message."""
    llm.set_handler(long_summary)
    rss.set_feed(
        "cs.LG",
        [
            RssItem(
                arxiv_id=f"2412.{n:05d}",
                title=f"Paper {n}",
                abstract=f"Long abstract sentence number {n}. " * 50,
            )
            for n in range(papers)
        ],
    )


def stored(db_path: Path, chat_id: int) -> list[str]:
    """The frozen digest messages of the chat (its only digest), read with our storage API."""
    db = connect(db_path)
    try:
        days = db.execute(
            "SELECT DISTINCT digest_date FROM digest_messages WHERE chat_id = ?", [chat_id]
        ).fetchall()
        assert len(days) == 1, days
        return digests.stored_messages(db, chat_id, days[0][0])
    finally:
        db.conn.close()


def statuses(db_path: Path, chat_id: int) -> dict[int, str]:
    db = connect(db_path)
    try:
        rows = db.execute(
            "SELECT message_no, status FROM deliveries WHERE chat_id = ?", [chat_id]
        ).fetchall()
        return {int(n): str(s) for n, s in rows}
    finally:
        db.conn.close()


def is_active(db_path: Path, chat_id: int) -> bool | None:
    db = connect(db_path)
    try:
        sub = subscriptions.get(db, chat_id)
        return None if sub is None else sub.active
    finally:
        db.conn.close()


def wait_log(
    bot: BotProcess, needle: str | re.Pattern[str], timeout: float = 30, count: int = 1
) -> str:
    """Wait until the current run's log holds `needle` (a string or a pattern) `count` times (no
    event to wait on: poll the file); returns that log."""
    deadline = time.monotonic() + timeout
    while True:
        text = bot.logs[-1].read_text(errors="replace") if bot.logs else ""
        found = text.count(needle) if isinstance(needle, str) else len(needle.findall(text))
        if found >= count:
            return text
        assert time.monotonic() < deadline, f"{needle!r} not logged:\n{text[-4000:]}"
        time.sleep(0.05)


def pass_sent(n: int) -> str:
    """The log line of a digest pass that sent `n` messages (bot/schedule.py)."""
    return f"digest pass sent {n} messages"


# ====================================================================== 1. 429 mid-digest

GROUP = -1001001
IN_FLIGHT = 0.25
PRIVATE = 2002


def test_429_mid_digest_pauses_every_chat_then_all_arrive_once_in_order(
    bot_process: BotProcess,
    fake_telegram: ScriptedBotApi,
    fake_rss: FakeArxivRss,
    fake_llm: FakeLLM,
) -> None:
    tg = fake_telegram
    long_feed(fake_rss, fake_llm, 12)
    seed_subscription(bot_process.db_path, GROUP, chat_type="supergroup", max_papers=12)
    seed_subscription(bot_process.db_path, PRIVATE, max_papers=4)  # 1 message/s meanwhile
    tg.on_send(GROUP, 5, Step(fail=(429, "Too Many Requests: retry after 3", {"retry_after": 3})))
    bot_process.start()
    tg.wait_sent(12, chat_id=GROUP, timeout=60)
    tg.wait_sent(4, chat_id=PRIVATE, timeout=60)
    wait_log(bot_process, pass_sent(16))

    assert tg.sent_texts(GROUP) == stored(bot_process.db_path, GROUP)  # all 12, in order, once
    assert len(set(tg.sent_texts(GROUP))) == 12
    assert tg.sent_texts(PRIVATE) == stored(bot_process.db_path, PRIVATE)
    (flood,) = [c for c in tg.calls if c.status == 429]
    assert flood.chat_id == GROUP
    assert len(tg.sent(GROUP)) == 12
    assert tg.attempts[GROUP] == 13  # the 5th, retried once
    # a request already on its way when the 429 was answered cannot be held back: 0.25 s slack
    during = [c for c in tg.sent() if flood.time + IN_FLIGHT < c.time < flood.time + 3]
    assert during == [], f"sent during the 3 s pause: {during}"
    resumed = min(c.time for c in tg.sent() if c.time > flood.time)
    assert resumed >= flood.time + 3
    assert sum(c.time < flood.time for c in tg.sent(GROUP)) == 4


# ====================================================================== 2. pacing


class LimitedBotApi(ScriptedBotApi):
    """Telegram's flood limits, enforced with sliding windows: a sendMessage beyond 1/s in one
    chat, 20/min in one group or channel, or 30/s overall is answered 429 with `retry_after`.
    A small tolerance (`SLACK`) absorbs scheduling jitter."""

    SLACK = 0.05

    def __init__(self) -> None:
        super().__init__()
        self.accepted: defaultdict[int, list[float]] = defaultdict(list)
        self.overall: list[float] = []
        self.violations: list[tuple[float, int, str]] = []

    def _answer_method(self, method: str, params: dict[str, Any]) -> tuple[int, Any]:
        if method != "sendMessage" or not isinstance(params.get("chat_id"), int):
            return super()._answer_method(method, params)
        chat: int = params["chat_id"]
        now = time.monotonic()
        waits: list[tuple[float, str]] = []
        mine = self.accepted[chat]
        if mine and now - mine[-1] < 1 - self.SLACK:
            waits.append((mine[-1] + 1 - now, "1/s per chat"))
        if chat < 0 and len(mine) >= 20 and now - mine[-20] < 60 - self.SLACK:
            waits.append((mine[-20] + 60 - now, "20/min per group"))
        if len(self.overall) >= 30 and now - self.overall[-30] < 1 - self.SLACK:
            waits.append((self.overall[-30] + 1 - now, "30/s overall"))
        if waits:
            wait = max(w for w, _ in waits)
            reasons = ", ".join(r for _, r in waits)
            self.violations.append((now, chat, reasons))
            retry = max(1, math.ceil(wait))
            error = _error_json(429, f"Too Many Requests: retry after {retry}")
            error["parameters"] = {"retry_after": retry}
            return 429, error
        status, result = super()._answer_method(method, params)
        if status == 200:
            mine.append(now)
            self.overall.append(now)
        return status, result


PACED_GROUP = -1003000
PACED_PRIVATE = range(3001, 3041)  # 40 private chats
PACED_GROUP_MESSAGES = 25  # not 60: at 20/min, 25 messages already take over a minute


@pytest.mark.slow
def test_pacing_keeps_every_flood_limit_without_a_single_429(
    bot_process: BotProcess,
    fake_rss: FakeArxivRss,
    fake_llm: FakeLLM,
    bot_env: dict[str, str],
) -> None:
    with LimitedBotApi() as tg:
        bot_env["TELEGRAM_API_URL"] = tg.url
        bot_env["TELEGRAM_BOT_TOKEN"] = tg.token
        long_feed(fake_rss, fake_llm, PACED_GROUP_MESSAGES)
        db = bot_process.db_path
        seed_subscription(db, PACED_GROUP, chat_type="supergroup", max_papers=25)
        for chat in PACED_PRIVATE:
            seed_subscription(db, chat, max_papers=3)
        expected = PACED_GROUP_MESSAGES + 3 * len(PACED_PRIVATE)
        bot_process.start()
        try:
            tg.wait_for(
                lambda calls: (
                    any(c.status == 429 for c in calls)
                    or sum(c.method == "sendMessage" and c.ok for c in calls) >= expected
                ),
                timeout=170,
            )
            assert tg.violations == [], f"{len(tg.violations)} x 429, first: {tg.violations[:5]}"
            wait_log(bot_process, pass_sent(expected))
        finally:
            bot_process.kill()  # a failed run may still be pacing: no need to wait for it
        assert tg.sent_texts(PACED_GROUP) == stored(db, PACED_GROUP)
        for chat in PACED_PRIVATE:
            assert tg.sent_texts(chat) == stored(db, chat)
        assert not tg.errors


# ====================================================================== 3. huge retry_after

DEFERRED = -1004001
GOES_ON = 4002


def test_hours_of_retry_after_defer_that_chat_only_and_a_restart_sends_the_rest_once(
    bot_process: BotProcess,
    fake_telegram: ScriptedBotApi,
    fake_rss: FakeArxivRss,
    fake_llm: FakeLLM,
) -> None:
    tg = fake_telegram
    long_feed(fake_rss, fake_llm, 12)
    seed_subscription(bot_process.db_path, DEFERRED, chat_type="supergroup", max_papers=12)
    seed_subscription(bot_process.db_path, GOES_ON, max_papers=3)
    two_hours = (429, "Too Many Requests: retry after 7200", {"retry_after": 7200})
    tg.on_send(DEFERRED, 3, Step(fail=two_hours))
    bot_process.start()
    tg.wait_sent(3, chat_id=GOES_ON, timeout=60)  # the other chat goes on
    tg.push_message("/help", chat_id=4999)  # and the bot is not asleep
    tg.wait_sent(1, chat_id=4999, timeout=10)
    log = wait_log(bot_process, pass_sent(2 + 3))
    assert "deferring the rest by 7200 s" in log
    assert len(tg.sent(DEFERRED)) == 2
    assert tg.attempts[DEFERRED] == 3  # no retry loop
    assert is_active(bot_process.db_path, DEFERRED) is True

    bot_process.restart()  # the flood wait is not remembered: the rest goes out now
    tg.wait_sent(12, chat_id=DEFERRED, timeout=60)
    wait_log(bot_process, pass_sent(10))
    assert tg.sent_texts(DEFERRED) == stored(bot_process.db_path, DEFERRED)  # each once, in order
    assert len(tg.sent(GOES_ON)) == 3
    assert tg.attempts[DEFERRED] == 13
    assert set(statuses(bot_process.db_path, DEFERRED).values()) == {"sent"}


# ====================================================================== 4. unknown outcome


class Proxy:
    """A TCP proxy in front of the fake Bot API, one HTTP request per connection (the fake
    answers `Connection: close`). `refuse()` closes the listening socket (connections are
    refused: the request never reaches the server) until `resume()`; `drop_response(pred)`
    forwards a matching request, then resets the bot's connection instead of answering."""

    def __init__(self, upstream: str) -> None:
        host, port = upstream.removeprefix("http://").split(":")
        self.upstream = (host, int(port))
        self.port = 0
        self.dropped: list[dict[str, Any]] = []
        self._drop: Callable[[str, dict[str, Any]], bool] | None = None
        self._listener: socket.socket | None = None
        self._hole: tuple[socket.socket, ...] = ()
        self._acceptor: threading.Thread | None = None
        self._lock = threading.Lock()
        self.resume()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def refuse(self) -> None:
        with self._lock:
            self._listener = None
        if self._acceptor is not None:
            self._acceptor.join()  # it closes the listening socket on its way out
            self._acceptor = None

    def resume(self) -> None:
        for sock in self._hole:
            sock.close()
        self._hole = ()
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        listener.settimeout(0.05)
        self.port = listener.getsockname()[1]
        with self._lock:
            self._listener = listener
        self._acceptor = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        self._acceptor.start()

    def blackhole(self) -> None:
        """Stop answering connection attempts at all (SYNs dropped: a connect timeout): the
        listening socket is replaced by one with a full backlog that never accepts."""
        self.refuse()
        hole = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        hole.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        hole.bind(("127.0.0.1", self.port))
        hole.listen(0)
        filler = socket.create_connection(("127.0.0.1", self.port))  # the one backlog slot
        self._hole = (hole, filler)

    def drop_response(self, pred: Callable[[str, dict[str, Any]], bool]) -> None:
        self._drop = pred

    def close(self) -> None:
        self.refuse()
        for sock in self._hole:
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        with listener:
            while True:
                with self._lock:
                    if self._listener is not listener:
                        return
                try:
                    client, _ = listener.accept()
                except TimeoutError:
                    continue
                client.settimeout(None)
                threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        with client, contextlib.suppress(OSError):
            request = _read_request(client)
            if request is None:
                return
            head, body = request
            with socket.create_connection(self.upstream) as upstream:
                upstream.sendall(head + body)
                response = b""
                while chunk := upstream.recv(65536):
                    response += chunk
            path = head.split(b" ", 2)[1].decode()
            params = {k: v[-1] for k, v in parse_qs(body.decode()).items()}
            drop = self._drop
            if drop is not None and drop(path, params):
                self.dropped.append(params)
                # RST: the bot learns nothing about what the server did with its request
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                return
            client.sendall(response)


def _read_request(sock: socket.socket) -> tuple[bytes, bytes] | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n", body


@pytest.fixture
def proxy(fake_telegram: ScriptedBotApi, bot_env: dict[str, str]) -> Iterator[Proxy]:
    """The bot talks to the fake Bot API through `Proxy`."""
    proxy = Proxy(fake_telegram.url)
    bot_env["TELEGRAM_API_URL"] = proxy.url
    yield proxy
    proxy.close()


SLOW_ANSWER = -1005001
SENTINEL = 5009


def test_a_send_answered_after_the_read_timeout_is_not_resent(
    bot_process: BotProcess,
    fake_telegram: ScriptedBotApi,
    fake_rss: FakeArxivRss,
    fake_llm: FakeLLM,
) -> None:
    tg = fake_telegram
    long_feed(fake_rss, fake_llm, 4)
    seed_subscription(bot_process.db_path, SLOW_ANSWER, chat_type="supergroup", max_papers=4)
    tg.on_send(SLOW_ANSWER, 2, Step(hold=7))  # accepted, answered 7 s later (PTB waits 5 s)
    bot_process.start()
    tg.wait_sent(4, chat_id=SLOW_ANSWER, timeout=60)
    log = wait_log(bot_process, pass_sent(4))
    assert "message 1 to -1005001 may or may not have arrived" in log
    assert tg.sent_texts(SLOW_ANSWER) == stored(bot_process.db_path, SLOW_ANSWER)
    assert tg.attempts[SLOW_ANSWER] == 4  # at most one copy: no blind resend
    assert statuses(bot_process.db_path, SLOW_ANSWER)[1] == "unknown"

    seed_subscription(bot_process.db_path, SENTINEL, max_papers=1)
    bot_process.restart()  # not resent after a restart either
    wait_log(bot_process, pass_sent(1))
    tg.wait_sent(1, chat_id=SENTINEL)
    assert tg.attempts[SLOW_ANSWER] == 4


UNREACHABLE = -1005002


@pytest.mark.parametrize(
    ("cut", "error"),
    [("refuse", "httpx.ConnectError"), ("blackhole", "did not get through (attempt 1): Timed out")],
    ids=["refused", "connect-timeout"],
)
def test_a_connection_never_made_is_retried_and_delivered_exactly_once(
    proxy: Proxy,  # first: set up before the bot, torn down after it
    bot_process: BotProcess,
    fake_telegram: ScriptedBotApi,
    fake_rss: FakeArxivRss,
    fake_llm: FakeLLM,
    cut: str,
    error: str,
) -> None:
    tg = fake_telegram
    long_feed(fake_rss, fake_llm, 4)
    seed_subscription(bot_process.db_path, UNREACHABLE, chat_type="supergroup", max_papers=4)
    # once message 2 is in flight, the Bot API is out of reach: message 3 cannot connect
    tg.on_send(UNREACHABLE, 2, Step(after=getattr(proxy, cut)))
    bot_process.start()
    wait_log(bot_process, f"send to {UNREACHABLE} did not get through (attempt 1)")
    proxy.resume()
    tg.wait_sent(4, chat_id=UNREACHABLE, timeout=30)
    log = wait_log(bot_process, pass_sent(4))
    assert error in log
    assert tg.sent_texts(UNREACHABLE) == stored(bot_process.db_path, UNREACHABLE), "one lost"
    assert tg.attempts[UNREACHABLE] == 4  # the failed attempts never reached the server
    assert set(statuses(bot_process.db_path, UNREACHABLE).values()) == {"sent"}


RESET = -1005003


def test_a_response_lost_to_a_reset_after_the_server_accepted_is_not_resent(
    proxy: Proxy,  # first: set up before the bot, torn down after it
    bot_process: BotProcess,
    fake_telegram: ScriptedBotApi,
    fake_rss: FakeArxivRss,
    fake_llm: FakeLLM,
) -> None:
    tg = fake_telegram
    long_feed(fake_rss, fake_llm, 4)
    seed_subscription(bot_process.db_path, RESET, chat_type="supergroup", max_papers=4)
    proxy.drop_response(
        lambda path, params: (
            path.endswith("/sendMessage")
            and params.get("chat_id") == str(RESET)
            and tg.attempts[RESET] == 2
            and not proxy.dropped
        )
    )
    bot_process.start()
    tg.wait_sent(4, chat_id=RESET, timeout=30)
    wait_log(bot_process, "digest pass sent")
    assert len(proxy.dropped) == 1
    texts = tg.sent_texts(RESET)
    assert texts.count(stored(bot_process.db_path, RESET)[1]) == 1, "message 2 arrived twice"
    assert texts == stored(bot_process.db_path, RESET)


# ====================================================================== 8. removed, no rights

KICKED = -1008001
NO_RIGHTS = -1008002  # a channel whose admins took the bot's right to post
UNAFFECTED = -1008003


def test_removed_and_rightless_chats_are_paused_without_a_retry_loop_others_delivered(
    bot_process: BotProcess,
    fake_telegram: ScriptedBotApi,
    fake_rss: FakeArxivRss,
    fake_llm: FakeLLM,
) -> None:
    tg = fake_telegram
    long_feed(fake_rss, fake_llm, 3)
    db = bot_process.db_path
    tg.add_chat(NO_RIGHTS, type="channel", title="Papers channel")
    seed_subscription(db, KICKED, chat_type="supergroup", max_papers=3)
    seed_subscription(db, NO_RIGHTS, chat_type="channel", max_papers=3)
    seed_subscription(db, UNAFFECTED, chat_type="supergroup", max_papers=3)
    # Telegram keeps answering so: every send to those chats fails
    tg.fail_next(
        "sendMessage", 403, "Forbidden: bot was kicked from the supergroup chat",
        count=None, chat_id=KICKED,
    )  # fmt: skip
    tg.fail_next(
        "sendMessage", 400, "Bad Request: not enough rights to send text messages to the chat",
        count=None, chat_id=NO_RIGHTS,
    )  # fmt: skip
    bot_process.start()
    tg.wait_sent(3, chat_id=UNAFFECTED, timeout=60)
    log = wait_log(bot_process, pass_sent(3))
    assert "cannot post in chat -1008001" in log
    assert "cannot post in chat -1008002" in log
    assert tg.sent_texts(UNAFFECTED) == stored(db, UNAFFECTED)
    assert is_active(db, KICKED) is False
    assert is_active(db, NO_RIGHTS) is False
    assert is_active(db, UNAFFECTED) is True
    assert tg.attempts[KICKED] == 1
    assert tg.attempts[NO_RIGHTS] == 1

    seed_subscription(db, SENTINEL, max_papers=1)
    bot_process.restart()  # still no retry after a restart
    wait_log(bot_process, pass_sent(1))
    tg.wait_sent(1, chat_id=SENTINEL)
    assert tg.attempts[KICKED] == 1
    assert tg.attempts[NO_RIGHTS] == 1
    assert len(tg.sent(UNAFFECTED)) == 3


# ====================================================================== 9. migration

OLD_GROUP = -9001
SUPERGROUP = -1009001


@pytest.mark.parametrize("service_message_first", [False, True], ids=["400-first", "racing"])
def test_a_migrated_group_keeps_one_subscription_and_gets_the_digest_once_at_the_new_id(
    bot_process: BotProcess,
    fake_telegram: ScriptedBotApi,
    fake_rss: FakeArxivRss,
    fake_llm: FakeLLM,
    service_message_first: bool,
) -> None:
    """The migration is seen twice: a send to the old id answers 400 `migrate_to_chat_id`, and
    the service messages arrive (after the digest, or racing with it at start)."""
    tg = fake_telegram
    long_feed(fake_rss, fake_llm, 3)
    db = bot_process.db_path
    tg.add_chat(OLD_GROUP, type="group", title="Reading group")
    tg.add_chat(SUPERGROUP, type="supergroup", title="Reading group")
    seed_subscription(db, OLD_GROUP, chat_type="group", max_papers=3)
    tg.fail_next(
        "sendMessage",
        400,
        "Bad Request: group chat was upgraded to a supergroup chat",
        {"migrate_to_chat_id": SUPERGROUP},
        count=None,
        chat_id=OLD_GROUP,
    )

    def service_messages() -> int:
        to_new = tg.make_message_update(None, chat_id=OLD_GROUP, chat_type="group")
        to_new["message"]["migrate_to_chat_id"] = SUPERGROUP
        from_old = tg.make_message_update(None, chat_id=SUPERGROUP)
        from_old["message"]["migrate_from_chat_id"] = OLD_GROUP
        return max(tg.push_update(to_new), tg.push_update(from_old))

    last = service_messages() if service_message_first else 0
    bot_process.start()
    tg.wait_sent(3, chat_id=SUPERGROUP, timeout=60)
    wait_log(bot_process, pass_sent(3))
    if not service_message_first:
        last = service_messages()
    tg.wait_for(
        lambda calls: any(
            c.method == "getUpdates" and isinstance(c.params.get("offset"), int)
            and c.params["offset"] > last
            for c in calls
        )
    )  # fmt: skip
    assert bot_process.stop() == 0  # handlers finish before the process exits
    assert bot_process.log_text().count("Processing update") == 2

    connection = connect(db)
    try:
        rows = connection.execute("SELECT chat_id, active FROM subscriptions").fetchall()
        moved = connection.execute(
            "SELECT DISTINCT chat_id FROM digest_messages UNION"
            " SELECT DISTINCT chat_id FROM deliveries"
        ).fetchall()
    finally:
        connection.conn.close()
    assert rows == [(SUPERGROUP, 1)]
    assert moved == [(SUPERGROUP,)]
    assert tg.sent_texts(SUPERGROUP) == stored(db, SUPERGROUP)  # delivered once, to the new id
    assert tg.sent(OLD_GROUP) == []
    assert tg.attempts[OLD_GROUP] <= 1
