"""SQLite storage: migrations, papers and cached summaries, the daily quota, chat settings and
backups, on a real database file."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
import sqlite_utils

from bot.models import Paper, Summary
from storage import chats, papers, usage
from storage.db import Store, backup, connect
from storage.migrations import MIGRATIONS, migrate

TABLES = {"papers", "summaries", "usage", "chat_settings"}
DAY = "2024-03-22"
PAPER = Paper(
    arxiv_id="2403.15176",
    version=2,
    title="Brain-grounding of semantic vectors",
    abstract="We decode $a<b$ & more.",
    authors=("Shirin Vafaei", "Ryohei Fukuma", "Zoë Ünal"),
    categories=("q-bio.NC", "cs.LG"),
)
OLD = Paper(arxiv_id="hep-th/9901001", version=1, title="Old", abstract="Strings.")
SUMMARY = Summary(title_zh="语义向量的脑基础", tldr_zh="一句话。", abstract_zh="中文摘要。")


@pytest.fixture
def db(tmp_path: Path) -> Iterator[sqlite_utils.Database]:
    database = connect(tmp_path / "db.sqlite3")
    yield database
    database.conn.close()


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = Store(tmp_path / "store.sqlite3")
    await opened.open()
    yield opened
    await opened.close()


def user_version(database: sqlite_utils.Database) -> int:
    return int(database.execute("PRAGMA user_version").fetchone()[0])


def integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


# --- schema -----------------------------------------------------------------------------------


def test_opening_creates_the_folder_the_tables_and_sets_the_user_version(tmp_path: Path) -> None:
    database = connect(tmp_path / "new" / "folder" / "db.sqlite3")
    try:
        assert set(database.table_names()) >= TABLES
        assert user_version(database) == len(MIGRATIONS)
        assert database.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        database.conn.close()


def test_opening_twice_is_idempotent_and_keeps_the_data(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    first = connect(path)
    papers.put_papers(first, [PAPER])
    first.conn.close()
    second = connect(path)
    try:
        migrate(second)
        assert user_version(second) == len(MIGRATIONS)
        assert papers.get_papers(second, [PAPER.arxiv_id], "") == {PAPER.arxiv_id: PAPER}
    finally:
        second.conn.close()


async def test_the_store_runs_calls_only_once_opened(tmp_path: Path) -> None:
    unopened = Store(tmp_path / "db.sqlite3")
    with pytest.raises(RuntimeError, match="open"):
        await unopened.call(papers.get_papers, ["2403.15176"], "")
    await unopened.close()


# --- papers and summaries ---------------------------------------------------------------------


async def test_papers_round_trip_with_authors_and_categories(store: Store) -> None:
    await store.call(papers.put_papers, [PAPER, OLD])
    found = await store.call(papers.get_papers, [PAPER.arxiv_id, OLD.arxiv_id, "2403.99999"], "")
    assert found == {PAPER.arxiv_id: PAPER, OLD.arxiv_id: OLD}
    assert isinstance(found[PAPER.arxiv_id].authors, tuple)
    assert isinstance(found[PAPER.arxiv_id].categories, tuple)


def test_no_ids_find_no_papers(db: sqlite_utils.Database) -> None:
    papers.put_papers(db, [PAPER])
    assert papers.get_papers(db, [], "") == {}


def test_only_papers_fetched_after_the_given_time_are_returned(db: sqlite_utils.Database) -> None:
    papers.put_papers(db, [PAPER])
    assert papers.get_papers(db, [PAPER.arxiv_id], "2000-01-01T00:00:00+00:00") == {
        PAPER.arxiv_id: PAPER
    }
    assert papers.get_papers(db, [PAPER.arxiv_id], "9999-01-01T00:00:00+00:00") == {}


def test_storing_a_paper_again_refreshes_it(db: sqlite_utils.Database) -> None:
    papers.put_papers(db, [OLD])
    newer = Paper(arxiv_id=OLD.arxiv_id, version=3, title="Old, revised", abstract="Branes.")
    papers.put_papers(db, [newer])
    assert papers.get_papers(db, [OLD.arxiv_id], "") == {OLD.arxiv_id: newer}
    assert db.execute("SELECT count(*) FROM papers").fetchone()[0] == 1


def test_summaries_are_keyed_by_paper_version_model_and_prompt_version(
    db: sqlite_utils.Database,
) -> None:
    papers.put_summary(db, PAPER, "m", 1, SUMMARY)
    assert papers.get_summary(db, PAPER, "m", 1) == SUMMARY
    other_version = Paper(arxiv_id=PAPER.arxiv_id, version=3, title="t", abstract="a")
    assert papers.get_summary(db, other_version, "m", 1) is None
    assert papers.get_summary(db, PAPER, "other-model", 1) is None
    assert papers.get_summary(db, PAPER, "m", 2) is None
    assert papers.get_summary(db, OLD, "m", 1) is None


def test_caching_a_summary_again_replaces_it(db: sqlite_utils.Database) -> None:
    papers.put_summary(db, PAPER, "m", 1, SUMMARY)
    better = Summary(title_zh="新标题", tldr_zh="新的一句话。", abstract_zh="新摘要。")
    papers.put_summary(db, PAPER, "m", 1, better)
    assert papers.get_summary(db, PAPER, "m", 1) == better
    assert db.execute("SELECT count(*) FROM summaries").fetchone()[0] == 1


# --- the daily quota --------------------------------------------------------------------------


def test_reserve_grants_up_to_the_quota_and_no_further(db: sqlite_utils.Database) -> None:
    assert usage.reserve(db, 7, DAY, 3, 5) == 3
    assert usage.reserve(db, 7, DAY, 3, 5) == 2
    assert usage.reserve(db, 7, DAY, 1, 5) == 0
    assert usage.used(db, 7, DAY) == 5


def test_the_quota_is_per_user_and_per_day(db: sqlite_utils.Database) -> None:
    assert usage.reserve(db, 7, DAY, 5, 5) == 5
    assert usage.reserve(db, 8, DAY, 5, 5) == 5
    assert usage.reserve(db, 7, "2024-03-23", 5, 5) == 5
    assert usage.used(db, 9, DAY) == 0


def test_a_zero_quota_grants_nothing(db: sqlite_utils.Database) -> None:
    assert usage.reserve(db, 7, DAY, 2, 0) == 0
    assert usage.used(db, 7, DAY) == 0


def test_release_gives_back_but_never_below_zero(db: sqlite_utils.Database) -> None:
    usage.reserve(db, 7, DAY, 4, 5)
    usage.release(db, 7, DAY, 3)
    assert usage.used(db, 7, DAY) == 1
    assert usage.reserve(db, 7, DAY, 10, 5) == 4
    usage.release(db, 7, DAY, 100)
    assert usage.used(db, 7, DAY) == 0
    usage.release(db, 8, DAY, 1)  # nothing reserved: nothing happens
    assert usage.used(db, 8, DAY) == 0


async def test_many_concurrent_reservations_never_exceed_the_quota(store: Store) -> None:
    granted = await asyncio.gather(*(store.call(usage.reserve, 7, DAY, 3, 20) for _ in range(30)))
    assert sum(granted) == 20
    assert await store.call(usage.used, 7, DAY) == 20


def on_begin(event: threading.Event) -> Callable[[str], None]:
    """A trace callback (it observes, never alters) that sets `event` when a transaction starts."""

    def trace(sql: str) -> None:
        if sql.startswith("BEGIN"):
            event.set()

    return trace


def reserve_one(database: sqlite_utils.Database, granted: list[int]) -> None:
    granted.append(usage.reserve(database, 7, DAY, 1, 10))


def test_reservations_from_two_connections_never_exceed_the_quota(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    first, second, blocker = connect(path), connect(path), connect(path)
    try:
        usage.reserve(first, 7, DAY, 9, 10)
        ready = [threading.Event(), threading.Event()]
        for database, event in zip((first, second), ready, strict=True):
            database.conn.set_trace_callback(on_begin(event))
        blocker.conn.execute("BEGIN IMMEDIATE")  # another writer holds the lock for a moment
        granted: list[int] = []
        threads = [threading.Thread(target=reserve_one, args=(d, granted)) for d in (first, second)]
        for thread in threads:
            thread.start()
        assert all(event.wait(10) for event in ready)
        blocker.conn.rollback()
        for thread in threads:
            thread.join(10)
        assert usage.used(blocker, 7, DAY) <= 10
        assert sum(granted) == 1
    finally:
        for database in (first, second, blocker):
            database.conn.close()


# --- chat settings ----------------------------------------------------------------------------


async def test_autosummary_is_on_by_default_and_toggles_per_chat(store: Store) -> None:
    assert await store.call(chats.autosummary_enabled, -100123) is True
    await store.call(chats.set_autosummary, -100123, False)
    assert await store.call(chats.autosummary_enabled, -100123) is False
    assert await store.call(chats.autosummary_enabled, -100456) is True
    await store.call(chats.set_autosummary, -100123, True)
    assert await store.call(chats.autosummary_enabled, -100123) is True


# --- backup -----------------------------------------------------------------------------------


async def test_a_backup_while_the_store_is_open_is_a_sound_copy_with_the_rows(
    store: Store, tmp_path: Path
) -> None:
    await store.call(papers.put_papers, [PAPER, OLD])
    await store.call(papers.put_summary, PAPER, "m", 1, SUMMARY)
    await store.call(usage.reserve, 7, DAY, 2, 5)
    target = tmp_path / "backups" / "copy.sqlite3"
    await asyncio.to_thread(backup, store.path, target)
    assert integrity(target) == "ok"
    copy = sqlite_utils.Database(target)
    try:
        assert papers.get_papers(copy, [PAPER.arxiv_id, OLD.arxiv_id], "") == {
            PAPER.arxiv_id: PAPER,
            OLD.arxiv_id: OLD,
        }
        assert papers.get_summary(copy, PAPER, "m", 1) == SUMMARY
        assert usage.used(copy, 7, DAY) == 2
        assert user_version(copy) == len(MIGRATIONS)
    finally:
        copy.conn.close()


def test_a_backup_works_whatever_the_file_name(tmp_path: Path) -> None:
    source = tmp_path / "bot#1" / "db.sqlite3"
    database = connect(source)
    papers.put_papers(database, [PAPER])
    database.conn.close()
    target = tmp_path / "copy.sqlite3"
    backup(source, target)
    copy = sqlite_utils.Database(target)
    try:
        assert papers.get_papers(copy, [PAPER.arxiv_id], "") == {PAPER.arxiv_id: PAPER}
    finally:
        copy.conn.close()
