"""Scenarios 10 and 11: the LLM and arXiv fail in every way; the real bot process copes.

10. LLM faults (429 with Retry-After, 500, a hang past LLM_TIMEOUT, invalid JSON,
    finish_reason=length, a refusal): at most 3 HTTP attempts and at most LLM_TIMEOUT per paper,
    the user sees the English fallback and a note, and nothing bad is cached: the same papers,
    asked again with a healthy LLM, get their Chinese summaries.
11. arXiv faults (503, 429, an empty first page for a known id, a hung connection): retried or
    reported, one request at a time, ARXIV_REQUEST_INTERVAL apart, and our read timeout fires.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from bot.arxiv_source import READ_TIMEOUT
from tests.fakes.arxiv_api import FakeArxivApi
from tests.fakes.llm import FakeLLM, LLMRequest, find_paper, last_user_text
from tests.fakes.telegram import Call, FakeBotApi
from tests.faults.conftest import BotProcess
from tests.support.html_check import check_telegram_html, links_in

LLM_TIMEOUT = 3.0
SLACK = 1.5  # seconds for arXiv, SQLite and Telegram around the LLM's budget
FALLBACK_MARK = "暂无中文摘要"
FAILED_NOTE = "摘要服务异常"

# paper id -> title; the fault each one meets is in its title
LLM_PAPERS = {
    "2401.00001": "Fault paper answered 429 with Retry-After",
    "2401.00002": "Fault paper answered 500",
    "2401.00003": "Fault paper whose answer hangs",
    "2401.00004": "Fault paper answered invalid JSON",
    "2401.00005": "Fault paper answered finish_reason length",
    "2401.00006": "Fault paper answered with a refusal",
}
RETRY_AFTER_PAPER = ("2401.00007", "Paper answered one 429 then a summary")


def stored_summaries(db_path: Path) -> set[str]:
    """The paper ids with a cached summary, read next to the running bot (WAL)."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    try:
        return {row[0] for row in conn.execute("SELECT arxiv_id FROM summaries")}
    finally:
        conn.close()


def requests_for(llm: FakeLLM, title: str) -> list[LLMRequest]:
    return [r for r in list(llm.requests) if (r.paper or {}).get("title") == title]


def completion(content: str | None, finish_reason: str, refusal: str | None = None) -> dict:
    return {
        "id": "chatcmpl-fault",
        "object": "chat.completion",
        "created": 0,
        "model": "fake-model",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": refusal},
                "logprobs": None,
                "finish_reason": finish_reason,
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
    }


def bad_content_for_some_papers(body: dict[str, Any]) -> str | dict | None:
    """Invalid JSON, a truncated answer and a refusal for three papers; the default otherwise."""
    title = str((find_paper(last_user_text(body)) or {}).get("title", ""))
    valid = json.dumps(
        {"title_zh": "中文标题：截断", "tldr_zh": "这是一句话总结。", "abstract_zh": "摘要。"},
        ensure_ascii=False,
    )
    if title == LLM_PAPERS["2401.00004"]:
        return '这不是 JSON {"title_zh": "半个'
    if title == LLM_PAPERS["2401.00005"]:
        return completion(valid, "length")  # parses, but the model was cut off
    if title == LLM_PAPERS["2401.00006"]:
        return completion(None, "stop", refusal="I'm sorry, I can't help with that.")
    return None


def assert_fallback(reply: Call, arxiv_id: str, title: str) -> None:
    text = reply.text or ""
    check_telegram_html(text)
    assert FALLBACK_MARK in text, text
    assert title in text, text
    assert links_in(text) == [f"https://arxiv.org/abs/{arxiv_id}"], text
    assert "We study a problem" in text, text  # the English abstract is there
    assert "中文标题" not in text, text


def test_llm_faults_fall_back_within_budget_and_cache_nothing_bad(
    bot_env: dict[str, str],
    bot_process: BotProcess,
    fake_telegram: FakeBotApi,
    fake_arxiv: FakeArxivApi,
    fake_llm: FakeLLM,
) -> None:
    bot_env["LLM_TIMEOUT"] = str(LLM_TIMEOUT)
    for arxiv_id, title in [*LLM_PAPERS.items(), RETRY_AFTER_PAPER]:
        fake_arxiv.add_paper(arxiv_id, title=title)
    bot_process.start()
    tg = fake_telegram
    replies: dict[str, Call] = {}

    def one_fault(arxiv_id: str, user: int) -> None:
        tg.push_message(f"https://arxiv.org/abs/{arxiv_id}", chat_id=user)
        paper, note = tg.wait_sent(2, chat_id=user, timeout=30)
        assert FAILED_NOTE in (note.text or ""), note.text
        replies[arxiv_id] = paper
        fake_llm.clear_faults()  # what the paper did not use up must not hit the next one

    fake_llm.fail_next(429, count=5, retry_after=0.5)  # Retry-After fits: 3 attempts, no more
    one_fault("2401.00001", 501)
    fake_llm.fail_next(500, count=5)
    one_fault("2401.00002", 502)
    fake_llm.hang_next(30, count=5)  # far beyond LLM_TIMEOUT
    one_fault("2401.00003", 503)

    fake_llm.set_handler(bad_content_for_some_papers)
    tg.push_message("2401.00004 2401.00005 2401.00006", chat_id=504)
    *papers, note = tg.wait_sent(4, chat_id=504, timeout=30)
    assert FAILED_NOTE in (note.text or ""), note.text
    replies.update(zip(["2401.00004", "2401.00005", "2401.00006"], papers, strict=True))
    fake_llm.set_handler(None)

    for arxiv_id, title in LLM_PAPERS.items():
        assert_fallback(replies[arxiv_id], arxiv_id, title)
        attempts = requests_for(fake_llm, title)
        assert 1 <= len(attempts) <= 3, (title, attempts)
        elapsed = replies[arxiv_id].time - attempts[0].start
        assert elapsed <= LLM_TIMEOUT + SLACK, (title, elapsed)
    assert len(requests_for(fake_llm, LLM_PAPERS["2401.00001"])) == 3  # the cap is reached
    assert len(requests_for(fake_llm, LLM_PAPERS["2401.00004"])) == 2  # invalid: retried once
    assert not stored_summaries(bot_process.db_path) & LLM_PAPERS.keys()

    # A short Retry-After is honoured, and the second attempt gives the summary.
    fake_llm.fail_next(429, count=1, retry_after=1)
    tg.push_message(RETRY_AFTER_PAPER[0], chat_id=505)
    (reply,) = tg.wait_sent(1, chat_id=505, timeout=30)
    assert "中文标题" in (reply.text or ""), reply.text
    first, second = requests_for(fake_llm, RETRY_AFTER_PAPER[1])
    assert (first.status, second.status) == (429, 200)
    assert second.start - (first.end or second.start) >= 1.0  # Retry-After: 1

    # Healthy again: every paper that failed gets its Chinese summary, freshly made.
    before = fake_llm.count
    tg.push_message(" ".join(LLM_PAPERS), chat_id=506)
    healthy = tg.wait_sent(len(LLM_PAPERS), chat_id=506, timeout=30)
    for call, title in zip(healthy, LLM_PAPERS.values(), strict=True):
        assert "中文标题：" + title in (call.text or ""), call.text
        assert FALLBACK_MARK not in (call.text or "")
    assert fake_llm.count - before == len(LLM_PAPERS)
    assert stored_summaries(bot_process.db_path) >= LLM_PAPERS.keys()
    assert bot_process.stop() == 0
    assert len(tg.sent(506)) == len(LLM_PAPERS)  # and no failure note


ARXIV_INTERVAL = 0.5


def test_arxiv_faults_are_retried_or_reported_one_request_at_a_time(
    bot_env: dict[str, str],
    bot_process: BotProcess,
    fake_telegram: FakeBotApi,
    fake_arxiv: FakeArxivApi,
    fake_llm: FakeLLM,
) -> None:
    bot_env["ARXIV_REQUEST_INTERVAL"] = str(ARXIV_INTERVAL)
    ids = [f"2402.{n:05d}" for n in range(1, 10)]
    for arxiv_id in ids:
        fake_arxiv.add_paper(arxiv_id, title=f"Known paper {arxiv_id}")
    bot_process.start()
    tg = fake_telegram

    fake_arxiv.fail_next(503)  # one 503: retried, the paper arrives
    tg.push_message(ids[0], chat_id=601)
    (reply,) = tg.wait_sent(1, chat_id=601, timeout=30)
    assert "中文标题：Known paper" in (reply.text or ""), reply.text
    assert [r.status for r in fake_arxiv.requests] == [503, 200]

    fake_arxiv.fail_next(429, count=3)  # rate limited on every attempt: reported, not "not found"
    tg.push_message(ids[1], chat_id=602)
    (reply,) = tg.wait_sent(1, chat_id=602, timeout=30)
    assert "暂时无法连接 arXiv" in (reply.text or ""), reply.text
    assert [r.status for r in fake_arxiv.requests[2:]] == [429, 429, 429]
    assert not [r for r in fake_llm.requests if ids[1] in r.user_text]

    fake_arxiv.empty_next()  # arXiv's sporadic empty page for an id it knows
    tg.push_message(ids[2], chat_id=603)
    (reply,) = tg.wait_sent(1, chat_id=603, timeout=30)
    assert "找不到" not in (reply.text or ""), reply.text
    assert "中文标题：Known paper " + ids[2] in (reply.text or ""), reply.text
    assert len(fake_arxiv.requests) == 7

    # Six users at once: their requests still go one at a time, the interval apart.
    for n, arxiv_id in enumerate(ids[3:]):
        tg.push_message(arxiv_id, chat_id=610 + n)
    for n, arxiv_id in enumerate(ids[3:]):
        (reply,) = tg.wait_sent(1, chat_id=610 + n, timeout=30)
        assert "中文标题：Known paper " + arxiv_id in (reply.text or ""), reply.text
    assert len(fake_arxiv.requests) == 13
    assert fake_arxiv.max_in_flight == 1
    assert fake_arxiv.min_idle_gap() >= ARXIV_INTERVAL
    assert bot_process.stop() == 0


HANG = READ_TIMEOUT + 10  # the fake holds the answer longer than our read timeout


def test_hung_arxiv_connection_is_abandoned_at_the_read_timeout(
    bot_process: BotProcess,
    fake_telegram: FakeBotApi,
    fake_arxiv: FakeArxivApi,
) -> None:
    """The hang outlasts READ_TIMEOUT (30 s, a module constant): the bot gives the request up
    at 30 s, retries, and answers; meanwhile it keeps serving other users at once."""
    fake_arxiv.add_paper("2403.15176", title="A paper behind a hung connection")
    fake_arxiv.hang_next(HANG)
    bot_process.start()
    tg = fake_telegram
    tg.push_message("2403.15176", chat_id=701)
    fake_arxiv.wait_for(lambda requests: len(requests) >= 1, timeout=30)
    tg.push_message("/start", chat_id=702)
    (welcome,) = tg.wait_sent(1, chat_id=702, timeout=5)
    assert "arXiv 中文速递" in (welcome.text or "")
    assert tg.sent(701) == []

    (reply,) = tg.wait_sent(1, chat_id=701, timeout=HANG + 10)
    assert "中文标题：A paper behind a hung connection" in (reply.text or ""), reply.text
    hung, retry = fake_arxiv.requests
    assert READ_TIMEOUT <= retry.start - hung.start < HANG  # abandoned by us, not by the fake
    assert hung.end is None or hung.end > retry.start
    assert retry.status == 200
    assert bot_process.stop() == 0
