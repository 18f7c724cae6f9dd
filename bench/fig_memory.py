"""Figure 7: the bot process's memory, at its peak during the fan-out and over many replies."""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

from bench.fig_fanout import figure_3
from bench.harness import fakes, make_papers, memory_kib, seed_cache, start_process
from bench.replies import ReplyTracker
from bench.report import FigureResult, Row

LINKS_PER_MESSAGE = 10
USERS = 100
WAVE = 20  # messages pushed at once; the next wave once every reply of this one arrived


def _settled_rss(pid: int) -> int:
    """RSS in KiB after a short pause (the smallest of a few readings)."""
    readings = []
    for _ in range(5):
        time.sleep(0.2)
        readings.append(memory_kib(pid)[0])
    return min(readings)


def figure_7(work: Path, quick: bool, state: dict[str, Any]) -> FigureResult:
    total, checkpoint = (1_000, 400) if quick else (10_000, 2_000)
    result = FigureResult(7, "memory of the bot process")
    if "fanout_memory" not in state:
        result.notes.append("figure 3 was not run before: its fan-out was run now for the peak")
        figure_3(work / "fig7-fanout", quick, state)
    fanout = state["fanout_memory"]
    result.rows.append(
        Row(
            "7",
            f"peak RSS of the bot process during the fan-out of figure 3 ({fanout['chats']} chats)",
            None,
            "",
            f"{fanout['peak_kib'] / 1024:.0f} MiB (VmHWM of the subprocess; sampled every "
            f"0.1 s: {fanout['sampled_peak_kib'] / 1024:.0f} MiB)",
        )
    )
    rng = random.Random(7)
    with fakes(work) as f:
        papers = make_papers(500, seed=7, month="2510")
        env = f.env("fig7")
        seed_cache(Path(env["DATABASE_PATH"]), papers)
        tracker = ReplyTracker(f.tg)
        process = start_process(env, f.work / "fig7", f.tg)
        assert process.process is not None
        pid = process.process.pid
        marks: list[tuple[int, int, float]] = []  # (replies, RSS KiB, seconds)
        started = time.monotonic()
        try:
            marks.append((0, _settled_rss(pid), 0.0))
            pushed = 0
            for goal in (checkpoint, total):
                while tracker.replies < goal:
                    for _ in range(WAVE):
                        ids = rng.sample(papers, LINKS_PER_MESSAGE)
                        text = " ".join(f"https://arxiv.org/abs/{p.arxiv_id}" for p in ids)
                        tracker.push(text, 900_000 + pushed % USERS)
                        pushed += 1
                    if not tracker.wait(pushed * LINKS_PER_MESSAGE, 300):
                        raise RuntimeError(f"replies stalled at {tracker.replies}")
                marks.append((tracker.replies, _settled_rss(pid), time.monotonic() - started))
            peak = memory_kib(pid)[1]
        finally:
            process.stop()
    (_, start_kib, _), (at_checkpoint, mid_kib, _), (at_end, end_kib, end_s) = marks
    growth = (end_kib - mid_kib) / 1024
    per_thousand = growth / ((at_end - at_checkpoint) / 1000)
    result.rows.append(
        Row(
            "7b",
            f"RSS after {at_end:,} link replies / after {at_checkpoint:,}",
            end_kib / mid_kib,
            "<= 1.05",
            f"{start_kib / 1024:.0f} MiB idle, {mid_kib / 1024:.0f} MiB after {at_checkpoint:,} "
            f"replies, {end_kib / 1024:.0f} MiB after {at_end:,} (growth {growth:+.1f} MiB, "
            f"{per_thousand:+.2f} MiB per 1,000 replies); peak {peak / 1024:.0f} MiB; "
            f"{at_end / end_s:.0f} replies/s ({LINKS_PER_MESSAGE} links per message, {USERS} "
            "users, 500 cached papers)",
            (f"scaled to {total:,} replies (--quick); " if quick else "")
            + "the pace is set by the bot's rate limiter (~30 requests/s: the typing action and "
            "each reply count)",
        )
    )
    return result
