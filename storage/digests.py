"""Announcements (the day's papers per category), digest messages and the delivery log.

The delivery log is the only truth about what was sent. Before a message goes out it is claimed
(a row with status `sending` under a unique key per chat, digest date and message number), so two
processes (`run` and `send-due`) never both send it; once Telegram confirms, it becomes `sent`.
`unknown` (the send timed out after it may have reached Telegram) and `failed` (Telegram refused
it) are final too: neither is ever resent. A `sending` claim whose owner died mid-send may be taken
over: that is the one possible duplicate per crash.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

import sqlite_utils

from storage.migrations import utc_now

FINAL = ("sent", "unknown", "failed")


def last_fetch(db: sqlite_utils.Database, category: str) -> tuple[str | None, str] | None:
    """(announcement date or None, fetched_at) of the category's last feed fetch."""
    row = db.execute(
        "SELECT announce_date, fetched_at FROM feed_fetches WHERE category = ?", [category]
    ).fetchone()
    return (row[0], row[1]) if row else None


def save_announcement(
    db: sqlite_utils.Database,
    category: str,
    day: date | None,
    items: Sequence[tuple[str, str]],
    fetched_at: str,
) -> None:
    """Record a fetch of `category` at `fetched_at` and, for a day with papers, its items."""
    with db.conn:
        db.execute("BEGIN IMMEDIATE")
        if day is not None:
            db.execute(
                "DELETE FROM announcement_items WHERE category = ? AND announce_date = ?",
                [category, day.isoformat()],
            )
            db.conn.executemany(
                "INSERT INTO announcement_items VALUES (?, ?, ?, ?, ?)",
                [(category, day.isoformat(), n, i, t) for n, (i, t) in enumerate(items)],
            )
        db.execute(
            "INSERT INTO feed_fetches VALUES (?, ?, ?) ON CONFLICT (category) DO UPDATE"
            " SET announce_date = excluded.announce_date, fetched_at = excluded.fetched_at",
            [category, day.isoformat() if day else None, fetched_at],
        )


def announcement(db: sqlite_utils.Database, category: str, day: str) -> list[tuple[str, str]]:
    """The stored (id, announce type) items of a category's announcement, in feed order."""
    rows = db.execute(
        "SELECT arxiv_id, announce_type FROM announcement_items"
        " WHERE category = ? AND announce_date = ? ORDER BY position",
        [category, day],
    )
    return [(r[0], r[1]) for r in rows.fetchall()]


def earlier_same_announcement(
    db: sqlite_utils.Database, category: str, day: str, ids: Sequence[str]
) -> str | None:
    """The date of an earlier announcement of `category` holding exactly `ids` (a stale feed)."""
    rows = db.execute(
        "SELECT DISTINCT announce_date FROM announcement_items"
        " WHERE category = ? AND announce_date < ? ORDER BY announce_date DESC LIMIT 3",
        [category, day],
    ).fetchall()
    for (earlier,) in rows:
        if sorted(i for i, _ in announcement(db, category, earlier)) == sorted(ids):
            return str(earlier)
    return None


def store_messages(
    db: sqlite_utils.Database, chat_id: int, day: str, texts: Sequence[str], created_at: str
) -> list[str]:
    """Freeze a chat's digest messages for `day`; return the stored ones.

    The first writer's whole digest wins (another process may have rendered it differently).
    """
    with db.conn:
        db.execute("BEGIN IMMEDIATE")
        if not stored_messages(db, chat_id, day):
            db.conn.executemany(
                "INSERT INTO digest_messages VALUES (?, ?, ?, ?, ?)",
                [(chat_id, day, n, text, created_at) for n, text in enumerate(texts)],
            )
    return stored_messages(db, chat_id, day)


def stored_messages(db: sqlite_utils.Database, chat_id: int, day: str) -> list[str]:
    rows = db.execute(
        "SELECT text FROM digest_messages WHERE chat_id = ? AND digest_date = ?"
        " ORDER BY message_no",
        [chat_id, day],
    )
    return [r[0] for r in rows.fetchall()]


def claim(
    db: sqlite_utils.Database,
    chat_id: int,
    day: str,
    number: int,
    owner: str,
    abandoned: Callable[[str, str], bool],
) -> str:
    """Claim message `number` for sending: `claimed`, `final` (nothing to do) or `busy`.

    `busy`: another owner's claim that `abandoned(owner, updated_at)` says is still alive.
    """
    with db.conn:
        db.execute("BEGIN IMMEDIATE")
        row = db.execute(
            "SELECT status, owner, updated_at FROM deliveries"
            " WHERE chat_id = ? AND digest_date = ? AND message_no = ?",
            [chat_id, day, number],
        ).fetchone()
        if row is not None and row[0] in FINAL:
            return "final"
        if row is not None and row[1] != owner and not abandoned(row[1], row[2]):
            return "busy"
        db.execute(
            "INSERT INTO deliveries VALUES (?, ?, ?, 'sending', ?, NULL, ?)"
            " ON CONFLICT (chat_id, digest_date, message_no) DO UPDATE"
            " SET owner = excluded.owner, updated_at = excluded.updated_at",
            [chat_id, day, number, owner, utc_now()],
        )
    return "claimed"


def finish(
    db: sqlite_utils.Database,
    chat_id: int,
    day: str,
    number: int,
    status: str,
    message_id: int | None = None,
) -> None:
    """Record the outcome of a claimed message: `sent`, `unknown` or `failed`."""
    with db.conn:
        db.execute(
            "UPDATE deliveries SET status = ?, telegram_message_id = ?, updated_at = ?"
            " WHERE chat_id = ? AND digest_date = ? AND message_no = ?",
            [status, message_id, utc_now(), chat_id, day, number],
        )


def release(db: sqlite_utils.Database, chat_id: int, day: str, number: int) -> None:
    """Give up a claim without sending (e.g. the chat moved): it may be claimed again."""
    with db.conn:
        db.execute(
            "DELETE FROM deliveries WHERE chat_id = ? AND digest_date = ? AND message_no = ?"
            " AND status = 'sending'",
            [chat_id, day, number],
        )


def received(db: sqlite_utils.Database, chat_id: int, day: str) -> bool:
    """Whether every message of the chat's digest for `day` reached a final state."""
    total, final = db.execute(
        "SELECT COUNT(*), SUM(d.status IN ('sent', 'unknown', 'failed'))"
        " FROM digest_messages m LEFT JOIN deliveries d USING (chat_id, digest_date, message_no)"
        " WHERE m.chat_id = ? AND m.digest_date = ?",
        [chat_id, day],
    ).fetchone()
    return bool(total) and total == final


def started_since(db: sqlite_utils.Database, chat_id: int, since: str) -> bool:
    """Whether a digest for this chat was begun at or after `since` (ISO UTC)."""
    row = db.execute(
        "SELECT 1 FROM digest_messages WHERE chat_id = ? AND created_at >= ? LIMIT 1",
        [chat_id, since],
    ).fetchone()
    return row is not None
