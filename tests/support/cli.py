"""Running the `arxiv-digest` command line as a subprocess against the fakes."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import fake_env
from tests.fakes.arxiv_api import FakeArxivApi, FakeArxivRss
from tests.fakes.llm import FakeLLM
from tests.fakes.telegram import FakeBotApi

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return self.err.splitlines()

    @property
    def messages(self) -> list[str]:
        """The CLI's own lines on stderr (log lines aside)."""
        return [line for line in self.err_lines if line.startswith("arxiv-digest:")]


@dataclass
class Cli:
    """`cli("summarize", "2403.15176")` runs `python -m bot summarize 2403.15176`."""

    tmp_path: Path
    tg: FakeBotApi
    arxiv: FakeArxivApi
    llm: FakeLLM
    rss: FakeArxivRss | None = None

    def env(self, **extra: str) -> dict[str, str]:
        base = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.tmp_path),
            "LANG": "C.UTF-8",
            "PYTHONPATH": str(ROOT),
            "PYTHONIOENCODING": "utf-8",
        }
        return {**base, **fake_env(self.tmp_path, self.tg, self.arxiv, self.llm, self.rss, **extra)}

    def __call__(self, *args: str, env: dict[str, str] | None = None) -> Result:
        done = subprocess.run(  # noqa: S603 - our own interpreter and module, fixed arguments
            [sys.executable, "-m", "bot", *args],
            cwd=self.tmp_path,
            env=self.env() if env is None else env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=60,
            check=False,
        )
        assert "Traceback" not in done.stderr, done.stderr
        return Result(done.returncode, done.stdout, done.stderr)

    @property
    def database(self) -> Path:
        return Path(self.env()["DATABASE_PATH"])
