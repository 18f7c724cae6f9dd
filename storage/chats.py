"""Per-chat settings that are not part of a subscription (auto-summary in groups), and the
record of Telegram updates already handled (a crash before Telegram learnt our offset makes it
send them again)."""

from __future__ import annotations

import sqlite_utils

from storage.migrations import utc_now


def autosummary_enabled(db: sqlite_utils.Database, chat_id: int) -> bool:
    """Whether plain links posted in this chat get summaries (default: yes)."""
    sql = "SELECT autosummary FROM chat_settings WHERE chat_id = ?"
    row = db.execute(sql, [chat_id]).fetchone()
    return bool(row[0]) if row else True


def set_autosummary(db: sqlite_utils.Database, chat_id: int, enabled: bool) -> None:
    with db.conn:
        db.execute(
            "INSERT INTO chat_settings (chat_id, autosummary) VALUES (?, ?)"
            " ON CONFLICT (chat_id) DO UPDATE SET autosummary = excluded.autosummary",
            [chat_id, int(enabled)],
        )


KEEP_UPDATES = 100_000


def first_sighting(db: sqlite_utils.Database, update_id: int) -> bool:
    """Record an update id; False if it was handled before (a replay)."""
    with db.conn:
        cursor = db.execute(
            "INSERT OR IGNORE INTO processed_updates VALUES (?, ?)", [update_id, utc_now()]
        )
        if update_id % 1000 == 0:  # keep the table small: old ids are never replayed
            db.execute(
                "DELETE FROM processed_updates WHERE update_id < ?", [update_id - KEEP_UPDATES]
            )
    return cursor.rowcount == 1
