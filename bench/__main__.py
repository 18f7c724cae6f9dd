"""`python -m bench [--only N] [--quick] [--keep]`: run the benchmark figures and print them.

Exit status: 0 when every figure ran (whatever it measured), 1 when one could not run, 2 for
bad arguments. Nothing is asserted about wall-clock time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import inspect
import logging
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

# python-telegram-bot 22 warns unless RetryAfter.retry_after is a timedelta: opt in, as the bot.
os.environ.setdefault("PTB_TIMEDELTA", "1")

from bench.fig_fanout import figure_3
from bench.fig_links import figure_4, figure_5
from bench.fig_memory import figure_7
from bench.fig_store import figure_6
from bench.fig_summaries import figure_1, figure_2
from bench.report import FigureResult, furthest, markdown_table, print_figure

Outcome = FigureResult | Awaitable[FigureResult]
Figure = Callable[[Path, bool, dict[str, Any]], Outcome]


def _plain(fn: Callable[[Path, bool], Outcome]) -> Figure:
    """A figure that needs no state shared with the others."""

    def run(work: Path, quick: bool, state: dict[str, Any]) -> Outcome:
        return fn(work, quick)

    return run


def _run(figure: Figure, work: Path, quick: bool, state: dict[str, Any]) -> FigureResult:
    """Run one figure: the in-process ones are coroutines, each on its own event loop."""
    outcome = figure(work, quick, state)
    if inspect.isawaitable(outcome):
        return asyncio.run(_await(outcome))
    return outcome


async def _await(outcome: Awaitable[FigureResult]) -> FigureResult:
    return await outcome


FIGURES: dict[int, tuple[str, Figure]] = {
    1: ("digest summarization throughput", _plain(figure_1)),
    2: ("LLM calls and tokens per unique paper", _plain(figure_2)),
    3: ("digest fan-out under enforced flood limits", figure_3),
    4: ("link reply latency", _plain(figure_4)),
    5: ("arXiv politeness", _plain(figure_5)),
    6: ("scale of the store", _plain(figure_6)),
    7: ("memory of the bot process", figure_7),
}


def machine() -> str:
    cores = os.cpu_count()
    # nproc honours the CPU affinity the process may be limited to
    with contextlib.suppress(OSError, ValueError, subprocess.CalledProcessError):
        nproc = subprocess.run(["nproc"], capture_output=True, text=True, check=True)  # noqa: S607
        cores = int(nproc.stdout)
    return (
        f"{cores} cores, {platform.machine()}, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmarks of arxiv-digest against local fake servers (bench/README.md).",
    )
    parser.add_argument(
        "--only", type=int, choices=sorted(FIGURES), metavar="N", help="run only figure N (1-7)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="smaller workloads: a smoke run of a minute or two"
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the work folder (databases, bot logs) after the run",
    )
    return parser


def _logging(work: Path) -> None:
    """The in-process bot's own log lines go to a file, not between the figures."""
    handler = logging.FileHandler(work / "bench.log")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    for noisy in ("httpx", "httpcore", "httpx2", "urllib3", "openai._base_client"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="arxiv-digest-bench-"))
    _logging(work)
    chosen = [args.only] if args.only else sorted(FIGURES)
    print(f"arxiv-digest benchmark, {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}")
    print(f"machine: {machine()}")
    print(f"mode: {'quick' if args.quick else 'full'}; figures {', '.join(map(str, chosen))}")
    print(f"work folder: {work}")
    results: list[FigureResult] = []
    state: dict[str, Any] = {}
    started = time.monotonic()
    for number in chosen:
        title, figure = FIGURES[number]
        began = time.monotonic()
        try:
            result = _run(figure, work / f"figure-{number}", args.quick, state)
        except Exception as exc:  # reported: the run goes on with the next figure
            result = FigureResult(number, title, error=f"{type(exc).__name__}: {exc}")
            (work / f"figure-{number}-error.txt").write_text(traceback.format_exc())
        result.seconds = time.monotonic() - began
        results.append(result)
        print_figure(result)
        sys.stdout.flush()
    print(f"\ntotal {time.monotonic() - started:.0f} s\n")
    print(markdown_table(results))
    worst = furthest(results)
    if worst is not None:
        print(
            f"\nfurthest from its target: {worst.figure} {worst.name} "
            f"(ratio {worst.ratio:.2f}, target {worst.target})"
        )
    failed = [r for r in results if r.error]
    if failed or args.keep:
        print(f"\nwork folder kept: {work} (bot logs, databases, tracebacks)")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
