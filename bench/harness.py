"""Shared machinery: the fakes, settings pointing at them, the bot as a subprocess, workloads.

The fakes are the test suite's (`tests.fakes`), imported as plain classes; `fake_env` and
`seed_subscription` come from the test harness too, so the bot is configured exactly as the tests
configure it: only through the environment variables of the README.
"""

from __future__ import annotations

import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.config import Settings, load_settings
from bot.models import Paper, Summary
from bot.summarizer import PROMPT_VERSION
from storage import papers as paper_store
from storage.db import connect
from tests.conftest import fake_env
from tests.fakes.arxiv_api import FakeArxivApi, FakeArxivRss
from tests.fakes.llm import FakeLLM
from tests.fakes.telegram import FakeBotApi
from tests.faults.conftest import BotProcess

MODEL = "fake-model"  # LLM_MODEL in `fake_env`: the cache key of the bot's summaries

_WORDS = [
    "model",
    "learning",
    "neural",
    "network",
    "training",
    "data",
    "method",
    "task",
    "performance",
    "approach",
    "results",
    "graph",
    "language",
    "representation",
    "attention",
    "optimization",
    "robust",
    "efficient",
    "sparse",
    "inference",
    "benchmark",
    "evaluation",
    "generalization",
    "adversarial",
    "reinforcement",
    "policy",
    "agent",
    "reward",
    "signal",
    "diffusion",
    "generative",
    "latent",
    "variational",
    "bayesian",
    "uncertainty",
    "calibration",
    "causal",
    "structure",
    "retrieval",
    "transformer",
    "scaling",
    "compute",
    "memory",
    "distillation",
    "pruning",
    "quantization",
    "kernel",
    "theory",
    "bound",
    "convergence",
    "gradient",
    "stochastic",
    "regret",
    "online",
    "federated",
    "privacy",
    "fairness",
]


# ------------------------------------------------------------------ text and tokens


def is_cjk(char: str) -> bool:
    code = ord(char)
    return (
        0x3000 <= code <= 0x303F  # CJK punctuation
        or 0x3400 <= code <= 0x4DBF
        or 0x4E00 <= code <= 0x9FFF
        or 0xF900 <= code <= 0xFAFF
        or 0xFF00 <= code <= 0xFFEF  # full-width forms
    )


def tokens(text: str) -> float:
    """Token count proxy: one token per CJK character, one per 4 other characters."""
    cjk = sum(1 for c in text if is_cjk(c))
    return cjk + (len(text) - cjk) / 4


def sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(words)).capitalize() + "."


def make_title(rng: random.Random) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(rng.randint(7, 12))).title()


def make_abstract(rng: random.Random, chars: int = 1100) -> str:
    """An English abstract of about `chars` characters (arXiv's median is ~1,000-1,200)."""
    parts: list[str] = []
    while sum(len(p) + 1 for p in parts) < chars:
        parts.append(sentence(rng, rng.randint(12, 24)))
    return " ".join(parts)


def paper_id(n: int, month: str = "2501") -> str:
    return f"{month}.{n:05d}"


def make_papers(count: int, seed: int, month: str = "2501", start: int = 1) -> list[Paper]:
    rng = random.Random(seed)
    return [
        Paper(
            arxiv_id=paper_id(start + n, month),
            version=1,
            title=make_title(rng),
            abstract=make_abstract(rng),
            authors=("Alice Author", "Bob Builder", "Carol Coder"),
            categories=("cs.LG",),
        )
        for n in range(count)
    ]


def fake_summary(paper: Paper) -> Summary:
    """A summary of a real model's size (~300 CJK characters of abstract), to seed the cache."""
    return Summary(
        title_zh="关于" + "与".join(["模型", "学习", "推理"]) + "的研究：" + paper.title[:40],
        tldr_zh="本文提出一种新方法，在多个基准上显著提升了性能，并分析了其适用条件。",
        abstract_zh="本文研究了一个重要问题，提出了一种新的方法。" * 14 + "实验表明该方法有效。",
    )


def seed_cache(db_path: Path, papers: Sequence[Paper]) -> None:
    """Store papers and their summaries, as the bot would after summarizing them."""
    db = connect(db_path)
    try:
        paper_store.put_papers(db, papers)
        with db.conn:
            db.conn.executemany(
                "INSERT OR REPLACE INTO summaries VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (p.arxiv_id, p.version, MODEL, PROMPT_VERSION, *_summary_row(p), "2025-01-01")
                    for p in papers
                ],
            )
    finally:
        db.conn.close()


def _summary_row(paper: Paper) -> tuple[str, str, str]:
    s = fake_summary(paper)
    return s.title_zh, s.tldr_zh, s.abstract_zh


# ------------------------------------------------------------------ statistics


def percentile(values: Sequence[float], q: float) -> float:
    """The q-quantile (0..1) by linear interpolation; nan for no values."""
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    index = min(max(round(q * 100), 1), 99)
    return cuts[index - 1]


# ------------------------------------------------------------------ the fakes


@dataclass
class Fakes:
    tg: FakeBotApi
    api: FakeArxivApi
    rss: FakeArxivRss
    llm: FakeLLM
    work: Path

    def env(self, name: str, **extra: str) -> dict[str, str]:
        """The bot's environment for a run called `name` (its own database and folder)."""
        folder = self.work / name
        folder.mkdir(parents=True, exist_ok=True)
        return fake_env(folder, self.tg, self.api, self.llm, self.rss, **extra)

    def settings(self, name: str, **extra: str) -> Settings:
        return load_settings(self.env(name, **extra), env_file=None)

    def crashed(self) -> list[str]:
        return [e for f in (self.tg, self.api, self.rss, self.llm) for e in f.errors]


@contextmanager
def fakes(work: Path, tg: FakeBotApi | None = None) -> Iterator[Fakes]:
    """Started fakes (a given Telegram fake, or a plain one), closed afterwards."""
    with ExitStack() as stack:
        started = Fakes(
            tg=stack.enter_context(tg or FakeBotApi()),
            api=stack.enter_context(FakeArxivApi()),
            rss=stack.enter_context(FakeArxivRss()),
            llm=stack.enter_context(FakeLLM()),
            work=work,
        )
        yield started
        errors = started.crashed()
        if errors:
            raise RuntimeError("a fake server crashed while answering:\n" + errors[0])


# ------------------------------------------------------------------ the bot as a process


def process_env(env: dict[str, str], log_level: str = "INFO") -> dict[str, str]:
    """What a subprocess gets: the fakes' settings, PATH, a log level (the default: INFO)."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "PTB_TIMEDELTA": "1",
        "LOG_LEVEL": log_level,
        **env,
    }


def start_process(
    env: dict[str, str], cwd: Path, tg: FakeBotApi, timeout: float = 60
) -> BotProcess:
    """`arxiv-digest run` as a subprocess; returns once it polls the fake Bot API."""
    process = BotProcess(process_env(env), cwd)
    before = len(tg.calls)
    process.start()
    wait_polling(tg, before, process, timeout)
    return process


def wait_polling(tg: FakeBotApi, since: int, process: Any, timeout: float) -> None:
    """Wait until a process makes its first getUpdates call after call number `since`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(c.method == "getUpdates" for c in tg.calls[since:]):
            return
        popen = getattr(process, "process", process)
        if popen is not None and popen.poll() is not None:
            raise RuntimeError(f"the bot process exited at start (status {popen.returncode})")
        time.sleep(0.05)
    raise RuntimeError("the bot process did not start polling in time")


def memory_kib(pid: int) -> tuple[int, int]:
    """(current RSS, peak RSS) of a process in KiB, from /proc (Linux)."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values["VmRSS"], values["VmHWM"]


class MemorySampler:
    """Samples a process's RSS every `interval` s in a thread (peak also from VmHWM)."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        self.pid = pid
        self.interval = interval
        self.samples: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.samples.append(memory_kib(self.pid)[0])
            except (OSError, KeyError):
                return
            self._stop.wait(self.interval)


def wait_until(
    check: Callable[[], bool],
    timeout: float,
    step: float = 0.05,
    idle: Callable[[], int] | None = None,
) -> bool:
    """Poll `check` until true or `timeout`; with `idle` (a progress counter), also give up
    once it has not moved for 30 s. Whether `check` became true."""
    deadline = time.monotonic() + timeout
    last_progress, last_value = time.monotonic(), idle() if idle else 0
    while time.monotonic() < deadline:
        if check():
            return True
        if idle is not None:
            value = idle()
            if value != last_value:
                last_value, last_progress = value, time.monotonic()
            elif time.monotonic() - last_progress > 30:
                return False
        time.sleep(step)
    return check()


# ------------------------------------------------------------------ other processes

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Process:
    """A Python module run as a subprocess from the project root (the echo bot)."""

    def __init__(self, module: str, env: dict[str, str], log: Path) -> None:
        self.module = module
        self.env = {**process_env(env), "PYTHONPATH": str(PROJECT_ROOT)}
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("wb") as sink:
            self.process = subprocess.Popen(  # noqa: S603  # our own interpreter and module
                [sys.executable, "-m", self.module],
                cwd=PROJECT_ROOT,
                env=self.env,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )

    def stop(self, timeout: float = 30) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(timeout=timeout)


def start_module(module: str, env: dict[str, str], log: Path, tg: FakeBotApi) -> Process:
    process = Process(module, env, log)
    before = len(tg.calls)
    process.start()
    wait_polling(tg, before, process, 60)
    return process
