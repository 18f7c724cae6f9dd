"""The `arxiv-digest` command line, run as a real process (`python -m bot`) against the fakes.

The subprocess inherits no fixtures (the internet guard does not reach it), so its whole
environment is built here and points only at the fakes; cwd is the test's tmp_path, so no stray
`.env` is read.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.models import Paper
from storage import papers
from storage.db import connect
from tests.fakes.arxiv_api import FakeArxivApi
from tests.fakes.llm import FakeLLM
from tests.fakes.telegram import FakeBotApi
from tests.support.cli import Cli

BRAIN = "Brain-grounding of semantic vectors improves neural decoding of visual stimuli"
PERP = "PERP: Rethinking the Prune-Retrain Paradigm in the Era of LLMs"


@pytest.fixture
def cli(
    tmp_path: Path, fake_telegram: FakeBotApi, fake_arxiv: FakeArxivApi, fake_llm: FakeLLM
) -> Cli:
    fake_arxiv.add_paper(
        "2403.15176",
        title=BRAIN,
        abstract="Developing algorithms for accurate and comprehensive neural decoding.",
    )
    fake_arxiv.add_paper(
        "2312.15230",
        version=2,
        title=PERP,
        abstract="Neural Networks can be efficiently compressed through pruning.",
    )
    return Cli(tmp_path, fake_telegram, fake_arxiv, fake_llm)


def test_summarize_prints_the_markdown_digest_and_a_second_run_asks_the_llm_nothing(
    cli: Cli,
) -> None:
    result = cli("summarize", "https://arxiv.org/abs/2403.15176v1", "arXiv:2312.15230")
    assert result.code == 0, result.err
    assert result.messages == []
    lines = result.out.splitlines()
    assert lines[:4] == ["# 摘要", "", "| Ref | Title | Summary |", "| --- | --- | --- |"]
    assert lines[4].startswith(f"| [^1] | [{BRAIN}](https://arxiv.org/abs/2403.15176) | 这篇论文")
    assert lines[5].startswith(f"| [^2] | [{PERP}](https://arxiv.org/abs/2312.15230) | 这篇论文")
    assert lines[4].endswith(" |")
    assert lines[5].endswith(" |")
    assert "# 详细" in lines
    assert f"[^1]: 中文标题：{BRAIN}" in lines
    assert f"[^2]: 中文标题：{PERP}" in lines
    assert "    [https://arxiv.org/abs/2312.15230](https://arxiv.org/abs/2312.15230)" in lines
    assert "    Neural Networks can be efficiently compressed through pruning." in lines
    assert len(cli.arxiv.requests) == 1
    assert sorted(cli.arxiv.requests[0].ids) == ["2312.15230", "2403.15176"]
    assert cli.llm.count == 2

    again = cli("summarize", "2403.15176", "2312.15230")
    assert again.code == 0, again.err
    assert again.out == result.out
    assert cli.llm.count == 2  # summaries cached in DATABASE_PATH


def test_summarize_without_a_valid_id_exits_2_with_one_line(cli: Cli) -> None:
    result = cli("summarize", "not-an-id")
    assert result.code == 2
    assert result.out == ""
    assert result.err_lines == ["arxiv-digest: no valid arXiv link or id given"]
    assert cli.arxiv.requests == []
    assert cli.llm.count == 0


def test_summarize_of_an_unknown_paper_fails_in_one_line_without_asking_the_llm(
    cli: Cli,
) -> None:
    result = cli("summarize", "2403.99999")
    assert result.code != 0
    assert result.out == ""
    assert result.messages == ["arxiv-digest: not found on arXiv: 2403.99999"]
    assert cli.llm.count == 0


def test_summarize_with_arxiv_down_fails_in_one_line(cli: Cli) -> None:
    cli.arxiv.fail_next(503, count=None)
    result = cli("summarize", "2403.15176")
    assert result.code == 1
    assert result.out == ""
    assert len(result.messages) == 1
    assert result.messages[0].startswith("arxiv-digest: arXiv unreachable")
    assert len(cli.arxiv.requests) == 3
    assert cli.llm.count == 0


def test_summarize_with_the_llm_down_still_prints_the_english_digest_and_fails(cli: Cli) -> None:
    cli.llm.fail_next(500, count=None)
    result = cli("summarize", "2403.15176", "2312.15230", env=cli.env(LLM_TIMEOUT="1"))
    assert result.code == 1
    lines = result.out.splitlines()
    assert lines[4] == f"| [^1] | [{BRAIN}](https://arxiv.org/abs/2403.15176) | — |"
    assert lines[5] == f"| [^2] | [{PERP}](https://arxiv.org/abs/2312.15230) | — |"
    assert f"[^1]: {BRAIN} （暂无中文摘要）" in lines
    assert f"[^2]: {PERP} （暂无中文摘要）" in lines
    assert sorted(result.messages) == [
        "arxiv-digest: no Chinese summary for 2312.15230 (LLM failed)",
        "arxiv-digest: no Chinese summary for 2403.15176 (LLM failed)",
    ]
    assert 2 <= cli.llm.count <= 6


def test_run_without_a_token_exits_2_with_one_line_naming_the_variable(cli: Cli) -> None:
    env = cli.env()
    del env["TELEGRAM_BOT_TOKEN"]
    result = cli("run", env=env)
    assert result.code == 2
    assert len(result.err_lines) == 1
    assert result.err_lines[0].startswith("arxiv-digest:")
    assert "TELEGRAM_BOT_TOKEN" in result.err_lines[0]
    assert cli.tg.calls == []


def test_backup_copies_the_database(cli: Cli, tmp_path: Path) -> None:
    database = connect(cli.database)
    paper = Paper(arxiv_id="2403.15176", version=1, title=BRAIN, abstract="Neural decoding.")
    papers.put_papers(database, [paper])
    database.conn.close()
    result = cli("backup", "backups/copy.sqlite3")
    assert result.code == 0, result.err
    copy = sqlite3.connect(tmp_path / "backups" / "copy.sqlite3")
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert copy.execute("SELECT arxiv_id, title FROM papers").fetchall() == [
            ("2403.15176", BRAIN)
        ]
    finally:
        copy.close()


def test_backup_without_a_database_exits_2_with_one_line(cli: Cli, tmp_path: Path) -> None:
    result = cli("backup", "copy.sqlite3")
    assert result.code == 2
    assert result.messages == result.err_lines
    assert len(result.err_lines) == 1
    assert not (tmp_path / "copy.sqlite3").exists()
