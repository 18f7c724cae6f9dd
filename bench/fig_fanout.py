"""Figure 3: a digest fanned out to many chats under Telegram's enforced flood limits.

The bot runs as a subprocess (`arxiv-digest run`), so its peak RSS is its own (figure 7 uses
it). Its catch-up pass at start sends every due digest: each chat subscribes to one category
whose feed renders to a 3-message digest.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench.harness import MemorySampler, fakes, make_papers, memory_kib, start_process, wait_until
from bench.report import FigureResult, Row
from bench.telegram_limits import RateLimitedBotApi, lower_bound
from bot.models import Paper
from tests.fakes.arxiv_api import Paper as FakePaper
from tests.fakes.arxiv_api import RssItem
from tests.faults.conftest import seed_subscription

PAPERS_PER_DIGEST = 6  # renders to 3 messages with the fake LLM's summaries
MESSAGES_PER_DIGEST = 3


def chat_mix(chats: int) -> list[tuple[int, str]]:
    """Half private chats, 30 % groups, 20 % channels."""
    mix: list[tuple[int, str]] = []
    for n in range(chats):
        share = n % 10
        if share < 5:
            mix.append((400_000 + n, "private"))
        elif share < 8:
            mix.append((-100_400_000 - n, "supergroup"))
        else:
            mix.append((-100_500_000 - n, "channel"))
    return mix


def figure_3(work: Path, quick: bool, state: dict[str, Any]) -> FigureResult:
    chats = 40 if quick else 200
    result = FigureResult(3, "digest fan-out under enforced flood limits")
    tg = RateLimitedBotApi()
    with fakes(work, tg=tg) as f:
        papers = make_papers(PAPERS_PER_DIGEST, seed=3, month="2505")
        f.rss.set_feed("cs.LG", [RssItem.from_paper(_as_fake(p)) for p in papers])
        env = f.env("fig3")
        mix = chat_mix(chats)
        for chat_id, kind in mix:
            f.tg.add_chat(chat_id, type=kind)
            seed_subscription(Path(env["DATABASE_PATH"]), chat_id, chat_type=kind)
        wanted = {chat_id for chat_id, _ in mix}
        expected = chats * MESSAGES_PER_DIGEST
        started = time.monotonic()
        process = start_process(env, f.work / "fig3", f.tg)
        assert process.process is not None
        pid = process.process.pid
        try:
            with MemorySampler(pid) as sampler:

                def accepted() -> int:
                    return sum(1 for c in f.tg.sent() if c.chat_id in wanted)

                finished = wait_until(lambda: accepted() >= expected, 600, 0.1, idle=accepted)
                time.sleep(0.5)
                rss_now, rss_peak = memory_kib(pid)
        finally:
            process.stop()
        calls = [c for c in f.tg.calls_to("sendMessage", ok_only=False) if c.chat_id in wanted]
    ok = [c for c in calls if c.ok]
    per_chat = Counter(c.chat_id for c in ok)
    first, last = min(c.time for c in calls), max(c.time for c in ok)
    wall = last - first
    bound = lower_bound(dict.fromkeys(wanted, MESSAGES_PER_DIGEST))
    refused = sum(tg.refused.values())
    by_rule = ", ".join(f"{rule} {n}" for rule, n in tg.refused.most_common()) or "none"
    kinds = Counter(kind for _, kind in mix)
    incomplete = "" if finished else f"; INCOMPLETE: the bot stopped sending after {len(ok)}"
    result.rows.append(
        Row(
            "3",
            f"fan-out wall / lower bound ({chats} chats x {MESSAGES_PER_DIGEST} messages)",
            wall / bound if bound else None,
            "<= 1.10",
            f"wall {wall:.1f} s (first to last digest message), lower bound {bound:.1f} s; "
            f"{len(ok)}/{expected} messages delivered{incomplete}; start to first message "
            f"{first - started:.1f} s; chats: {kinds['private']} private, "
            f"{kinds['supergroup']} groups, {kinds['channel']} channels; "
            f"{sum(1 for n in per_chat.values() if n != MESSAGES_PER_DIGEST)} chats with a "
            "message count other than 3",
            ("scaled to 40 chats (--quick); " if quick else "")
            + "no target in the issue: 1.10 used, as for figure 1",
        )
    )
    result.rows.append(
        Row(
            "3b",
            "429 answers during the fan-out",
            float(refused),
            "<= 0",
            f"{refused} refusals ({by_rule}) out of {len(calls)} sendMessage calls",
            kind="count",
        )
    )
    state["fanout_memory"] = {
        "peak_kib": rss_peak,
        "sampled_peak_kib": max(sampler.samples, default=0),
        "end_kib": rss_now,
        "chats": chats,
    }
    return result


def _as_fake(paper: Paper) -> FakePaper:
    """Our `Paper` as the fakes' `Paper`."""
    return FakePaper(
        arxiv_id=paper.arxiv_id,
        version=paper.version,
        title=paper.title,
        abstract=paper.abstract,
        authors=list(paper.authors),
        categories=list(paper.categories),
    )
