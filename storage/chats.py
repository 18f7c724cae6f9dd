"""Per-chat settings that are not part of a subscription (auto-summary in groups)."""

from __future__ import annotations

import sqlite_utils


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
