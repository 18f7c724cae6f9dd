"""Figures 1 and 2: what summarizing costs, in time and in LLM calls and tokens."""

from __future__ import annotations

import dataclasses
import random
import re
import time
from pathlib import Path

from bench.harness import fakes, make_abstract, make_papers, make_title, tokens
from bench.report import FigureResult, Row
from bot.app import send_due_once
from bot.pipeline import summarize_all
from bot.services import create_services
from bot.summarizer import MAX_COMPLETION_TOKENS, SYSTEM_PROMPT
from storage import subscriptions
from storage.db import connect
from tests.fakes.arxiv_api import RssItem
from tests.fakes.llm import find_paper, last_user_text
from tests.faults.conftest import seed_subscription

CATEGORIES = ("cs.LG", "cs.CL", "cs.CV", "cs.AI", "stat.ML", "cs.IR")
KEYWORDS = ("transformer", "diffusion", "graph", "privacy", "agent")
_LINK = re.compile(r'href="https://arxiv\.org/abs/([^"]+)"')


async def figure_1(work: Path, quick: bool) -> FigureResult:
    """Digest summarization throughput: `summarize_all` over N fresh papers, LLM 0.5 s each."""
    count, latency, concurrency = (48 if quick else 200), 0.5, 16
    result = FigureResult(1, "digest summarization throughput")
    with fakes(work) as f:
        settings = f.settings("fig1", LLM_CONCURRENCY=str(concurrency), LLM_TIMEOUT="60")
        services = create_services(settings)
        await services.open()
        try:
            papers = make_papers(count, seed=1, month="2502")
            f.llm.set_latency(latency)
            started, loop_cpu = time.perf_counter(), time.thread_time()
            entries = await summarize_all(services, papers)
            wall = time.perf_counter() - started
            loop_cpu = time.thread_time() - loop_cpu
        finally:
            await services.close()
        ideal = count / concurrency * latency
        failed = sum(e.summary is None for e in entries)
        result.rows.append(
            Row(
                "1",
                f"wall / ({count}/{concurrency} x {latency} s)",
                wall / ideal,
                "<= 1.10",
                f"wall {wall:.2f} s, ideal {ideal:.2f} s, {count} papers, {f.llm.count} LLM "
                f"requests, largest number in flight {f.llm.max_in_flight} "
                f"(LLM_CONCURRENCY={concurrency}), {failed} failed; event-loop CPU "
                f"{loop_cpu:.2f} s = {loop_cpu / count * 1000:.1f} ms per paper",
                ("scaled to 48 papers (--quick); " if quick else "")
                + "the pipeline in-process (create_services + summarize_all); the fake LLM's "
                "threads share the process",
            )
        )
    return result


def _feeds(rng: random.Random, per_category: int) -> dict[str, list[RssItem]]:
    """Each category's new papers, plus cross-lists of other categories' papers."""
    new: dict[str, list[RssItem]] = {}
    number = 1
    for category in CATEGORIES:
        new[category] = []
        for _ in range(per_category):
            title = make_title(rng)
            if rng.random() < 0.4:
                title += " with " + rng.choice(KEYWORDS).title()
            new[category].append(
                RssItem(
                    arxiv_id=f"2504.{number:05d}",
                    title=title,
                    abstract=make_abstract(rng),
                    authors=["Alice Author", "Bob Builder"],
                    categories=[category],
                )
            )
            number += 1
    feeds: dict[str, list[RssItem]] = {}
    for category in CATEGORIES:
        others = [i for c in CATEGORIES if c != category for i in new[c]]
        crosses = [
            dataclasses.replace(i, announce_type="cross", categories=[*i.categories, category])
            for i in rng.sample(others, per_category // 3)
        ]
        feeds[category] = new[category] + crosses
    return feeds


async def figure_2(work: Path, quick: bool) -> FigureResult:
    """LLM calls per unique paper in one digest pass of chats with overlapping categories."""
    chats = 10 if quick else 50
    result = FigureResult(2, "LLM calls and tokens per unique paper")
    rng = random.Random(2)
    with fakes(work) as f:
        for category, items in _feeds(rng, 24).items():
            f.rss.set_feed(category, items)
        env = f.env("fig2")
        db_path = Path(env["DATABASE_PATH"])
        for n in range(chats):
            kind = ("private", "supergroup", "channel")[n % 3]
            chat_id = 300_000 + n if kind == "private" else -100_300_000 - n
            f.tg.add_chat(chat_id, type=kind)
            sub = seed_subscription(
                db_path,
                chat_id,
                categories=tuple(rng.sample(CATEGORIES, rng.randint(1, 3))),
                chat_type=kind,
                max_papers=rng.choice((5, 10, 20)),
            )
            if rng.random() < 0.3:
                _set_keywords(db_path, sub, tuple(rng.sample(KEYWORDS, 2)))
        settings = f.settings("fig2")
        started = time.perf_counter()
        sent = await send_due_once(settings)
        wall = time.perf_counter() - started
        delivered = {i for text in f.tg.sent_texts() for i in _LINK.findall(text)}
        requests = list(f.llm.requests)
    calls = len(requests)
    unique = len(delivered)
    result.rows.append(
        Row(
            "2",
            f"LLM calls per unique paper ({chats} chats, overlapping categories)",
            calls / unique if unique else None,
            "<= 1.00",
            f"{calls} LLM requests for {unique} distinct papers delivered; {sent} messages to "
            f"{chats} chats in {wall:.1f} s",
            "scaled to 10 chats (--quick)" if quick else "",
        )
    )
    overheads, papers_tokens, completions = [], [], []
    for request in requests:
        prompt = "".join(str(m.get("content", "")) for m in request.messages)
        paper = find_paper(last_user_text(request.body)) or {}
        own = tokens(str(paper.get("title", ""))) + tokens(str(paper.get("abstract", "")))
        overheads.append(tokens(prompt) - own)
        papers_tokens.append(own)
        completions.append(tokens(request.content or ""))
    if requests:
        overhead = sum(overheads) / len(overheads)
        own = sum(papers_tokens) / len(papers_tokens)
        result.rows.append(
            Row(
                "2b",
                "instruction overhead: prompt tokens per paper beyond its title + abstract",
                None,
                "",
                f"{overhead:.0f} tokens/paper (system prompt alone {tokens(SYSTEM_PROMPT):.0f}); "
                f"the paper itself {own:.0f} tokens; overhead = {overhead / (overhead + own):.0%} "
                "of the prompt",
                "tokens = 1 per CJK character + 1 per 4 other characters (tiktoken not installed)",
            )
        )
        completion = sum(completions) / len(completions)
        result.rows.append(
            Row(
                "2c",
                "completion tokens per paper",
                None,
                "",
                f"{completion:.0f} tokens/paper (the fake LLM's answer; max_tokens cap "
                f"{MAX_COMPLETION_TOKENS}; the prompt's own length limits allow ~80 + 400 CJK "
                "+ the title, ~550 tokens, from a real model)",
                "same tokenizer proxy",
            )
        )
    return result


def _set_keywords(
    db_path: Path, sub: subscriptions.Subscription, keywords: tuple[str, ...]
) -> None:
    db = connect(db_path)
    try:
        subscriptions.save(db, dataclasses.replace(sub, keywords=keywords), None)
    finally:
        db.conn.close()
