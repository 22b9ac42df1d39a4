"""Reading what a test stack stored: Rasa's ``events`` table in its SQLite file."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any, Dict, List, Tuple


class Events:
    """Rasa's ``events`` table in a stack's SQLite file (read-only; empty while the file
    or the table does not exist yet)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _query(self, sql: str, args: tuple = ()) -> list:
        if not self.path.exists():
            return []
        with sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=10) as db:
            try:
                return db.execute(sql, args).fetchall()
            except sqlite3.OperationalError:  # no table yet
                return []

    def rows(self, sender: str) -> List[Tuple[str, Dict[str, Any]]]:
        return [(t, json.loads(d)) for t, d in self._query(
            "SELECT type_name, data FROM events WHERE sender_id = ? ORDER BY id", (sender,))]

    def user_events(self, sender: str) -> List[Dict[str, Any]]:
        return [d for t, d in self.rows(sender) if t == "user"]

    def count(self) -> int:
        return self._query("SELECT COUNT(*) FROM events")[0][0] if self.path.exists() else 0

    def senders(self) -> List[str]:
        return [r[0] for r in self._query("SELECT DISTINCT sender_id FROM events")]


def stack_events(stack: Any) -> Events:
    """The events of a stack started with the default (SQLite) tracker store."""
    return Events(stack.var_dir / "rasa.db")


def assert_no_half_events(events: Events, sender: str) -> None:
    """Every stored user event is whole: text a string, an intent, and Rasa went on to
    run at least one action after it."""
    rows = events.rows(sender)
    for i, (kind, data) in enumerate(rows):
        if kind != "user":
            continue
        assert isinstance(data.get("text"), str), data
        assert (data.get("parse_data") or {}).get("intent", {}).get("name"), data
        assert any(k == "action" for k, _ in rows[i + 1:]), f"user event without any action after it: {rows}"
