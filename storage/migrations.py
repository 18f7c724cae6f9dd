"""Numbered schema migrations, applied in order on open, each in one transaction.

Never edit a migration that has shipped: add the next number.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import sqlite_utils


def _m1_papers_summaries_usage(db: sqlite_utils.Database) -> None:
    db.execute(
        """CREATE TABLE papers (
            arxiv_id TEXT PRIMARY KEY,
            version INTEGER NOT NULL,
            title TEXT NOT NULL,
            abstract TEXT NOT NULL,
            authors TEXT NOT NULL DEFAULT '[]',
            categories TEXT NOT NULL DEFAULT '[]',
            fetched_at TEXT NOT NULL
        )"""
    )
    db.execute(
        """CREATE TABLE summaries (
            arxiv_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            model TEXT NOT NULL,
            prompt_version INTEGER NOT NULL,
            title_zh TEXT NOT NULL,
            tldr_zh TEXT NOT NULL,
            abstract_zh TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (arxiv_id, version, model, prompt_version)
        )"""
    )
    db.execute(
        """CREATE TABLE usage (
            user_id INTEGER NOT NULL,
            day TEXT NOT NULL,
            used INTEGER NOT NULL,
            PRIMARY KEY (user_id, day)
        )"""
    )
    db.execute(
        """CREATE TABLE chat_settings (
            chat_id INTEGER PRIMARY KEY,
            autosummary INTEGER NOT NULL DEFAULT 1
        )"""
    )


def _m2_subscriptions_announcements_deliveries(db: sqlite_utils.Database) -> None:
    db.execute(
        """CREATE TABLE subscriptions (
            chat_id INTEGER PRIMARY KEY,
            chat_type TEXT NOT NULL,
            title TEXT NOT NULL DEFAULT '',
            categories TEXT NOT NULL DEFAULT '[]',
            keywords TEXT NOT NULL DEFAULT '[]',
            digest_time TEXT NOT NULL,
            timezone TEXT NOT NULL,
            max_papers INTEGER NOT NULL DEFAULT 20,
            active INTEGER NOT NULL DEFAULT 1,
            first_due_at TEXT NOT NULL,
            created_by INTEGER,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX subscriptions_active ON subscriptions (active)")
    db.execute(
        """CREATE TABLE feed_fetches (
            category TEXT PRIMARY KEY,
            announce_date TEXT,
            fetched_at TEXT NOT NULL
        )"""
    )
    db.execute(
        """CREATE TABLE announcement_items (
            category TEXT NOT NULL,
            announce_date TEXT NOT NULL,
            position INTEGER NOT NULL,
            arxiv_id TEXT NOT NULL,
            announce_type TEXT NOT NULL,
            PRIMARY KEY (category, announce_date, position)
        )"""
    )
    db.execute(
        """CREATE TABLE digest_messages (
            chat_id INTEGER NOT NULL,
            digest_date TEXT NOT NULL,
            message_no INTEGER NOT NULL,
            text TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (chat_id, digest_date, message_no)
        )"""
    )
    db.execute(
        """CREATE TABLE deliveries (
            chat_id INTEGER NOT NULL,
            digest_date TEXT NOT NULL,
            message_no INTEGER NOT NULL,
            status TEXT NOT NULL,
            owner TEXT NOT NULL,
            telegram_message_id INTEGER,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (chat_id, digest_date, message_no)
        )"""
    )


def _m3_processed_updates(db: sqlite_utils.Database) -> None:
    db.execute(
        """CREATE TABLE processed_updates (
            update_id INTEGER PRIMARY KEY,
            seen_at TEXT NOT NULL
        )"""
    )


MIGRATIONS: tuple[Callable[[sqlite_utils.Database], None], ...] = (
    _m1_papers_summaries_usage,
    _m2_subscriptions_announcements_deliveries,
    _m3_processed_updates,
)


def migrate(db: sqlite_utils.Database) -> None:
    """Apply every migration newer than the database's `user_version`."""
    for number, step in enumerate(MIGRATIONS, start=1):
        with db.conn:
            db.conn.execute("BEGIN IMMEDIATE")  # another process may be migrating too
            if db.execute("PRAGMA user_version").fetchone()[0] >= number:
                continue
            step(db)
            db.conn.execute(f"PRAGMA user_version = {number}")


def utc_now() -> str:
    """Timestamps are stored as ISO 8601 UTC text."""
    return datetime.now(UTC).isoformat(timespec="seconds")
