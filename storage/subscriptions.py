"""Subscriptions: one row per chat (private chat, group or channel)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlite_utils

from bot.models import Subscription
from storage.migrations import utc_now


def get(db: sqlite_utils.Database, chat_id: int) -> Subscription | None:
    rows = list(db.query("SELECT * FROM subscriptions WHERE chat_id = ?", [chat_id]))
    return _subscription(rows[0]) if rows else None


def active(db: sqlite_utils.Database) -> list[Subscription]:
    """Every active subscription."""
    rows = db.query("SELECT * FROM subscriptions WHERE active = 1 ORDER BY chat_id")
    return [_subscription(r) for r in rows]


def save(db: sqlite_utils.Database, sub: Subscription, actor: int | None) -> None:
    """Insert or replace the subscription, keeping who created it and when."""
    now = utc_now()
    row = {
        "chat_id": sub.chat_id,
        "chat_type": sub.chat_type,
        "title": sub.title,
        "categories": json.dumps(list(sub.categories)),
        "keywords": json.dumps(list(sub.keywords), ensure_ascii=False),
        "digest_time": sub.digest_time,
        "timezone": sub.timezone,
        "max_papers": sub.max_papers,
        "active": int(sub.active),
        "first_due_at": sub.first_due_at.isoformat(),
        "updated_at": now,
    }
    with db.conn:
        db.execute(
            "INSERT INTO subscriptions (chat_id, chat_type, title, categories, keywords,"
            " digest_time, timezone, max_papers, active, first_due_at, created_by, created_at,"
            " updated_at) VALUES (:chat_id, :chat_type, :title, :categories, :keywords,"
            " :digest_time, :timezone, :max_papers, :active, :first_due_at, :created_by, :now,"
            " :updated_at) ON CONFLICT (chat_id) DO UPDATE SET chat_type = excluded.chat_type,"
            " title = excluded.title, categories = excluded.categories,"
            " keywords = excluded.keywords, digest_time = excluded.digest_time,"
            " timezone = excluded.timezone, max_papers = excluded.max_papers,"
            " active = excluded.active, first_due_at = excluded.first_due_at,"
            " updated_at = excluded.updated_at",
            {**row, "created_by": actor, "now": now},
        )


def delete(db: sqlite_utils.Database, chat_id: int) -> bool:
    """Remove the subscription; whether there was one."""
    with db.conn:
        cursor = db.execute("DELETE FROM subscriptions WHERE chat_id = ?", [chat_id])
    return cursor.rowcount > 0


def set_active(db: sqlite_utils.Database, chat_id: int, is_active: bool) -> None:
    with db.conn:
        db.execute(
            "UPDATE subscriptions SET active = ?, updated_at = ? WHERE chat_id = ?",
            [int(is_active), utc_now(), chat_id],
        )


def migrate_chat(db: sqlite_utils.Database, old_id: int, new_id: int) -> None:
    """A group became a supergroup: move everything of `old_id` to `new_id`, atomically.

    If the new id already has a subscription (the migration was seen twice), the old row is
    dropped rather than duplicated.
    """
    with db.conn:
        db.execute("BEGIN IMMEDIATE")
        if get(db, new_id) is None:
            db.execute(
                "UPDATE subscriptions SET chat_id = ?, chat_type = 'supergroup' WHERE chat_id = ?",
                [new_id, old_id],
            )
        db.execute("DELETE FROM subscriptions WHERE chat_id = ?", [old_id])
        for table in ("digest_messages", "deliveries", "chat_settings"):
            db.execute(
                f"UPDATE OR IGNORE {table} SET chat_id = ? WHERE chat_id = ?", [new_id, old_id]
            )
            db.execute(f"DELETE FROM {table} WHERE chat_id = ?", [old_id])


def _subscription(row: dict[str, Any]) -> Subscription:
    return Subscription(
        chat_id=row["chat_id"],
        chat_type=row["chat_type"],
        title=row["title"],
        categories=tuple(json.loads(row["categories"])),
        keywords=tuple(json.loads(row["keywords"])),
        digest_time=row["digest_time"],
        timezone=row["timezone"],
        max_papers=row["max_papers"],
        active=bool(row["active"]),
        first_due_at=datetime.fromisoformat(row["first_due_at"]),
    )
