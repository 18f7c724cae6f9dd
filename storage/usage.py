"""Per-user daily quota of fresh (not cached) summaries.

Papers are reserved before the LLM is asked and released when summarizing failed, so a user
never pays quota for a failure and concurrent requests cannot overrun the quota.
"""

from __future__ import annotations

import sqlite_utils


def reserve(db: sqlite_utils.Database, user_id: int, day: str, wanted: int, quota: int) -> int:
    """Reserve up to `wanted` papers of today's quota; return how many were granted."""
    with db.conn:
        db.execute("BEGIN IMMEDIATE")  # read and write under one lock: other processes too
        row = db.execute(
            "SELECT used FROM usage WHERE user_id = ? AND day = ?", [user_id, day]
        ).fetchone()
        used = row[0] if row else 0
        granted = max(0, min(wanted, quota - used))
        if granted:
            db.execute(
                "INSERT INTO usage (user_id, day, used) VALUES (?, ?, ?)"
                " ON CONFLICT (user_id, day) DO UPDATE SET used = used + excluded.used",
                [user_id, day, granted],
            )
    return granted


def release(db: sqlite_utils.Database, user_id: int, day: str, count: int) -> None:
    """Give back `count` reserved papers (their summary failed)."""
    if count <= 0:
        return
    with db.conn:
        db.execute(
            "UPDATE usage SET used = MAX(0, used - ?) WHERE user_id = ? AND day = ?",
            [count, user_id, day],
        )


def used(db: sqlite_utils.Database, user_id: int, day: str) -> int:
    """Fresh summaries the user has had on `day`."""
    row = db.execute(
        "SELECT used FROM usage WHERE user_id = ? AND day = ?", [user_id, day]
    ).fetchone()
    return int(row[0]) if row else 0
