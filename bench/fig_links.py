"""Figures 4 and 5: answering links (latency against a bare echo bot) and arXiv politeness."""

from __future__ import annotations

from pathlib import Path

from bench.harness import (
    Fakes,
    fakes,
    make_papers,
    percentile,
    seed_cache,
    start_module,
    start_process,
)
from bench.replies import ReplyTracker
from bench.report import FigureResult, Row
from tests.fakes._server import max_overlap, min_start_gap


def _link(arxiv_id: str) -> str:
    return f"https://arxiv.org/abs/{arxiv_id}"


def _burst(tg: ReplyTracker, text: str, messages: int, users: int, base: int) -> list[float]:
    """`messages` messages from `users` users at once; their reply latencies in seconds."""
    warm = [tg.push(text, base + 999) for _ in range(3)]  # imports, first connections
    if not tg.wait(tg.replies + len(warm), 60):
        raise RuntimeError("no reply to the warm-up messages")
    before = tg.replies
    keys = [tg.push(text, base + n % users) for n in range(messages)]
    if not tg.wait(before + messages, 300):
        raise RuntimeError(f"only {tg.replies - before} of {messages} replies arrived")
    return tg.latencies(keys)


def _p(values: list[float], q: float) -> float:
    return percentile(values, q) * 1000


def figure_4(work: Path, quick: bool) -> FigureResult:
    messages, users, fresh = (60, 6, 5) if quick else (200, 20, 20)
    result = FigureResult(4, "link reply latency")
    with fakes(work) as f:
        cached = make_papers(1, seed=4, month="2506")[0]
        env = f.env("fig4", ARXIV_REQUEST_INTERVAL="0")
        seed_cache(Path(env["DATABASE_PATH"]), [cached])
        for paper in make_papers(fresh, seed=41, month="2507"):
            f.api.add_paper(paper.arxiv_id, title=paper.title, abstract=paper.abstract)
        fresh_ids = [p.arxiv_id for p in make_papers(fresh, seed=41, month="2507")]
        tracker = ReplyTracker(f.tg)

        process = start_process(env, f.work / "fig4", f.tg)
        try:
            bot = _burst(tracker, _link(cached.arxiv_id), messages, users, 600_000)
            fresh_latency = []
            for arxiv_id in fresh_ids:
                key = tracker.push(_link(arxiv_id), 650_000)
                if not tracker.wait(tracker.replies + 1, 60):
                    raise RuntimeError("no reply for a fresh paper")
                fresh_latency += tracker.latencies([key])
        finally:
            process.stop()
        echo = _echo(f, tracker, "echo", False, _link(cached.arxiv_id), messages, users)
        like = _echo(f, tracker, "echo-like-bot", True, _link(cached.arxiv_id), messages, users)

    scaled = f"scaled to {messages} messages from {users} users (--quick); " if quick else ""
    result.rows.append(
        Row(
            "4",
            f"cached paper, {messages} messages from {users} users at once: p50 / echo bot p50",
            _p(bot, 0.5) / _p(echo, 0.5),
            "<= 1.50",
            f"bot p50 {_p(bot, 0.5):.0f} ms, p95 {_p(bot, 0.95):.0f} ms; bare echo bot p50 "
            f"{_p(echo, 0.5):.0f} ms, p95 {_p(echo, 0.95):.0f} ms",
            scaled + "update pushed to the fake -> reply received by the fake; both bots are "
            "subprocesses polling the same fake",
        )
    )
    result.rows.append(
        Row(
            "4b",
            "same, p95 / echo bot p95",
            _p(bot, 0.95) / _p(echo, 0.95),
            "",
            f"echo bot set up like arxiv-digest (its rate limiter, 64 updates at once, a typing "
            f"action): p50 {_p(like, 0.5):.0f} ms, p95 {_p(like, 0.95):.0f} ms; "
            f"bot p50 / that p50 = {_p(bot, 0.5) / _p(like, 0.5):.2f}",
        )
    )
    result.rows.append(
        Row(
            "4c",
            f"fresh paper, arXiv and LLM latency 0 ({fresh} one after another): p50 / echo p50",
            _p(fresh_latency, 0.5) / _p(echo, 0.5),
            "",
            f"p50 {_p(fresh_latency, 0.5):.0f} ms, p95 {_p(fresh_latency, 0.95):.0f} ms "
            "(the bot's own overhead: store, arXiv client, LLM client, render)",
        )
    )
    return result


def _echo(
    f: Fakes, tracker: ReplyTracker, name: str, like_bot: bool, text: str, n: int, users: int
) -> list[float]:
    env = {
        "TELEGRAM_BOT_TOKEN": f.tg.token,
        "TELEGRAM_API_URL": f.tg.url,
        "ECHO_LIKE_BOT": "1" if like_bot else "0",
    }
    process = start_module("bench.echo", env, f.work / "fig4" / f"{name}.log", f.tg)
    try:
        return _burst(tracker, text, n, users, 700_000 if like_bot else 680_000)
    finally:
        process.stop()


def figure_5(work: Path, quick: bool) -> FigureResult:
    links, messages, users, interval = (30, 10, 5, 0.2) if quick else (100, 30, 10, 0.2)
    result = FigureResult(5, "arXiv politeness")
    with fakes(work) as f:
        papers = make_papers(links, seed=5, month="2508")
        for paper in papers:
            f.api.add_paper(paper.arxiv_id, title=paper.title, abstract=paper.abstract)
        env = f.env("fig5", ARXIV_REQUEST_INTERVAL=str(interval))
        tracker = ReplyTracker(f.tg)
        process = start_process(env, f.work / "fig5", f.tg)
        try:
            ids = [p.arxiv_id for p in papers]
            chunks = [ids[n::messages] for n in range(messages)]  # 3 or 4 links each
            for n, chunk in enumerate(chunks):
                tracker.push(" ".join(_link(i) for i in chunk), 800_000 + n % users)
            complete = tracker.wait(links, 300)
        finally:
            process.stop()
        requests = list(f.api.requests)
    idle_gap = f.api.min_idle_gap()
    overlap = max_overlap(requests)
    asked = sum(len(r.ids) for r in requests)
    result.rows.append(
        Row(
            "5",
            f"smallest gap between arXiv requests / ARXIV_REQUEST_INTERVAL ({interval} s)",
            idle_gap / interval,
            ">= 1.00",
            f"{len(requests)} requests for {links} links in {messages} messages ({asked} ids "
            f"asked); largest number in flight {overlap} (target 1); smallest gap end->start "
            f"{idle_gap * 1000:.0f} ms, start->start {min_start_gap(requests) * 1000:.0f} ms; "
            f"{tracker.replies} replies" + ("" if complete else " (INCOMPLETE)"),
            "scaled to 30 links in 10 messages (--quick)" if quick else "",
        )
    )
    result.rows.append(
        Row(
            "5b", "largest number of arXiv requests in flight", float(overlap), "<= 1", kind="count"
        )
    )
    return result
