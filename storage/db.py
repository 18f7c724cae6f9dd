"""The database handle: one connection, one worker thread, migrations on open.

sqlite-utils is synchronous, so every call runs on a dedicated single thread: the event loop never
blocks on SQLite and there is exactly one writer per process. Other processes (`send-due` next to
`run`) share the file through WAL mode and a busy timeout.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import sqlite_utils

from storage.migrations import migrate

T = TypeVar("T")

BUSY_TIMEOUT_MS = 30_000


def connect(path: Path) -> sqlite_utils.Database:
    """Open (creating it and its folder) and migrate the database at `path`; blocking."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    db = sqlite_utils.Database(conn)
    db.enable_wal()
    db.execute("PRAGMA synchronous = NORMAL")
    migrate(db)
    return db


class Store:
    """Async front of the database: `await store.call(fn, *args)` runs `fn(db, *args)`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite")
        self._db: sqlite_utils.Database | None = None

    async def open(self) -> None:
        self._db = await self._run(connect, self.path)

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        db = self._db
        if db is None:
            raise RuntimeError("Store.open() was not awaited")
        return await self._run(fn, db, *args)

    async def close(self) -> None:
        db, self._db = self._db, None
        if db is not None:
            await self._run(db.conn.close)
        self._executor.shutdown(wait=True)

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, fn, *args)


def backup(source: Path, target: Path) -> None:
    """Write a consistent copy of the database to `target` with SQLite's backup API."""
    target.parent.mkdir(parents=True, exist_ok=True)
    uri = source.resolve().as_uri() + "?mode=ro"  # as_uri quotes '#', '?' and '%' in the path
    src = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    dst = sqlite3.connect(target)
    try:
        with dst:
            src.backup(dst)
    finally:
        dst.close()
        src.close()
