"""Database access: Rasa's ``events`` table (read only) and the console's own tables.

Two engines over the same database:

* ``reader`` — every read, of Rasa's ``events`` and of the console tables. On SQLite the
  file is opened with ``mode=ro`` (the console cannot write Rasa's data by accident) and
  each read is one short deferred transaction; in WAL mode a reader never blocks Rasa's
  writer. On PostgreSQL reads are plain MVCC snapshots with a statement timeout.
* ``writer`` — the console's own writes only (summaries, accounts, reviews, audit log),
  in short ``BEGIN IMMEDIATE`` transactions on SQLite so that concurrent writers queue on
  the busy timeout instead of failing half-way.

Rasa's ``events`` schema is never created or altered here: if the table does not exist
yet (Rasa has not started), the console shows no conversations rather than creating it.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.pool import QueuePool

from staff_console.config import ConfigError, Settings

log = logging.getLogger("staff_console.db")

metadata = sa.MetaData()

# -- Rasa's table (rasa/core/tracker_store.py SQLTrackerStore.SQLEvent), read only --------
def events_table(schema: Optional[str] = None) -> sa.Table:
    md = sa.MetaData()
    return sa.Table(
        "events", md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sender_id", sa.String(255)),
        sa.Column("type_name", sa.String(255)),
        sa.Column("timestamp", sa.Float),
        sa.Column("intent_name", sa.String(255)),
        sa.Column("action_name", sa.String(255)),
        sa.Column("data", sa.Text),
        schema=schema,
    )


# -- the console's tables (created by migrations/versions/*; keep in step) ---------------
# (console_bookings, created by migration 0002, is now booking.store's: booking/store.py)
users = sa.Table(
    "console_users", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("is_admin", sa.Boolean, nullable=False),
    sa.Column("is_active", sa.Boolean, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.Column("password_changed_at", sa.Float, nullable=False),
    sa.Column("last_login_at", sa.Float),
)

sessions = sa.Table(
    "console_sessions", metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.Integer, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("last_seen_at", sa.Float, nullable=False),
    sa.Column("ip", sa.String(64)),
    sa.Column("user_agent", sa.String(200)),
)

login_throttle = sa.Table(
    "console_login_throttle", metadata,
    sa.Column("username_key", sa.String(64), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("first_failure_at", sa.Float, nullable=False),
    sa.Column("locked_until", sa.Float),
)

conversations = sa.Table(
    "console_conversations", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False, unique=True),
    sa.Column("channel", sa.String(32)),
    sa.Column("started_at", sa.Float),
    sa.Column("last_at", sa.Float),
    sa.Column("turns", sa.Integer, nullable=False),
    sa.Column("bot_turns", sa.Integer, nullable=False),
    sa.Column("intents", sa.Text, nullable=False),          # "|greet|ask_cost|"
    sa.Column("primary_rec", sa.String(64)),
    sa.Column("fallback", sa.Boolean, nullable=False),
    sa.Column("fallback_count", sa.Integer, nullable=False),
    sa.Column("handoff", sa.Boolean, nullable=False),
    sa.Column("distress", sa.Boolean, nullable=False),
    sa.Column("urgent", sa.Boolean, nullable=False),
    sa.Column("attention_first_at", sa.Float),
    sa.Column("attention_last_at", sa.Float),
    sa.Column("first_text", sa.Text),
    sa.Column("last_text", sa.Text),
    sa.Column("max_event_id", sa.Integer, nullable=False),
    sa.Column("state", sa.Text, nullable=False),            # JSON: incremental refresh state
    sa.Column("updated_at", sa.Float, nullable=False),
)

attention = sa.Table(
    "console_attention", metadata,
    sa.Column("conversation_id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False, unique=True),
    sa.Column("first_at", sa.Float, nullable=False),
    sa.Column("last_at", sa.Float, nullable=False),
    sa.Column("distress", sa.Boolean, nullable=False),
    sa.Column("text", sa.Text),                           # the visitor message that asked
)

search_text = sa.Table(
    "console_search_text", metadata,
    sa.Column("conversation_id", sa.Integer, primary_key=True),
    sa.Column("text", sa.Text, nullable=False),           # NFKC, lower case, one message a line
)

conversation_intents = sa.Table(
    "console_conversation_intents", metadata,
    sa.Column("intent", sa.String(255), primary_key=True),
    sa.Column("conversation_id", sa.Integer, primary_key=True),
)

daily = sa.Table(
    "console_daily", metadata,
    sa.Column("day", sa.Integer, primary_key=True),             # JST day number of started_at
    sa.Column("channel", sa.String(32), primary_key=True),      # "" when unknown
    sa.Column("primary_rec", sa.String(64), primary_key=True),  # "" when none
    sa.Column("conversations", sa.Integer, nullable=False),
    sa.Column("turns", sa.Integer, nullable=False),
    sa.Column("fallback_turns", sa.Integer, nullable=False),
    sa.Column("fallback", sa.Integer, nullable=False),
    sa.Column("handoff", sa.Integer, nullable=False),
    sa.Column("distress", sa.Integer, nullable=False),
    sa.Column("urgent", sa.Integer, nullable=False),
)

daily_intents = sa.Table(
    "console_daily_intents", metadata,
    sa.Column("day", sa.Integer, primary_key=True),
    sa.Column("intent", sa.String(255), primary_key=True),
    sa.Column("conversations", sa.Integer, nullable=False),
)

marks = sa.Table(
    "console_marks", metadata,
    sa.Column("sender_id", sa.String(255), primary_key=True),
    sa.Column("reviewed_at", sa.Float),
    sa.Column("reviewed_by", sa.String(64)),
    sa.Column("handled_at", sa.Float),
    sa.Column("handled_by", sa.String(64)),
)

tags = sa.Table(
    "console_tags", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False),
    sa.Column("tag", sa.String(50), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("created_by", sa.String(64), nullable=False),
)

notes = sa.Table(
    "console_notes", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("created_by", sa.String(64), nullable=False),
)

corrections = sa.Table(
    "console_corrections", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("event_id", sa.Integer, nullable=False, unique=True),
    sa.Column("sender_id", sa.String(255), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("original_intent", sa.String(255)),
    sa.Column("corrected_intent", sa.String(255), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("created_by", sa.String(64), nullable=False),
)

audit = sa.Table(
    "console_audit", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("username", sa.String(64)),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("target", sa.String(255)),
    sa.Column("detail", sa.Text),
    sa.Column("ip", sa.String(64)),
)

state = sa.Table(
    "console_state", metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)


def _sqlite_path(url) -> Path:
    if not url.database or url.database == ":memory:":
        raise ConfigError("DATABASE_URL の SQLite はファイルを指定してください（:memory: は使えません）")
    return Path(url.database).resolve()


class Database:
    """The two engines and what the rest of the console needs to know about the store."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        url = make_url(settings.database_url)
        self.dialect = url.get_backend_name()
        if self.dialect not in ("sqlite", "postgresql"):
            raise ConfigError(f"DATABASE_URL の種類 {self.dialect} には対応していません（sqlite か postgresql）")
        self.events = events_table(settings.postgres_schema if self.dialect == "postgresql" else None)
        self._events_exist = False
        self._events_lock = threading.Lock()
        self.search_backend = None  # set after migrations: "fts5" | "trgm" | "scan"
        if self.dialect == "sqlite":
            self.path = _sqlite_path(url)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.writer = self._sqlite_engine(readonly=False)
            self.reader = self._sqlite_engine(readonly=True)
        else:
            self.path = None
            self.writer = sa.create_engine(url, future=True, pool_pre_ping=True, pool_size=5,
                                           max_overflow=5, connect_args={
                                               # bounded statements; no parallel workers (the
                                               # console's queries are small, and the cores are
                                               # the bot's)
                                               "options": "-c statement_timeout=30000 -c lock_timeout=10000"
                                                          " -c idle_in_transaction_session_timeout=60000"
                                                          " -c max_parallel_workers_per_gather=0",
                                               "application_name": "staff_console"})
            self.reader = self.writer

    # -- SQLite ----------------------------------------------------------------------
    def _sqlite_engine(self, readonly: bool) -> Engine:
        path = str(self.path)

        def connect():
            if readonly:
                conn = sqlite3.connect(f"file:{quote(path)}?mode=ro", uri=True, timeout=10,
                                       check_same_thread=False, isolation_level=None)
            else:
                conn = sqlite3.connect(path, timeout=10, check_same_thread=False, isolation_level=None)
                conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=10000")
            return conn

        engine = sa.create_engine("sqlite://", creator=connect, poolclass=QueuePool, pool_size=4,
                                  max_overflow=8, future=True)
        begin = "BEGIN" if readonly else "BEGIN IMMEDIATE"

        @sa.event.listens_for(engine, "begin")
        def _begin(conn):  # pysqlite's own transaction handling is off (isolation_level=None)
            conn.exec_driver_sql(begin)

        return engine

    def prepare_sqlite(self) -> None:
        """Create the file if needed and switch it to WAL (readers never block Rasa's writer).
        journal_mode is a property of the file, not of any table; Rasa works unchanged."""
        conn = sqlite3.connect(str(self.path), timeout=10, isolation_level=None)
        try:
            mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
            if self.settings.sqlite_wal and mode.lower() != "wal":
                for _ in range(20):
                    try:
                        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
                        break
                    except sqlite3.OperationalError:
                        time.sleep(0.25)
                if mode.lower() != "wal":
                    log.warning("SQLite を WAL モードにできませんでした（%s）。読み取りが Rasa の書き込みを待たせることがあります", mode)
        finally:
            conn.close()

    # -- transactions ------------------------------------------------------------------
    @contextmanager
    def read(self) -> Iterator[Connection]:
        """One short read transaction."""
        with self.reader.connect() as conn:
            try:
                yield conn
            finally:
                conn.rollback()

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One short write transaction (console tables only)."""
        with self.writer.begin() as conn:
            yield conn

    def events_exist(self) -> bool:
        """Whether Rasa has created its events table yet (cached once true)."""
        if self._events_exist:
            return True
        with self._events_lock:
            with self.read() as conn:
                self._events_exist = sa.inspect(conn).has_table("events", schema=self.events.schema)
        return self._events_exist

    def dispose(self) -> None:
        self.writer.dispose()
        if self.reader is not self.writer:
            self.reader.dispose()


JST_OFFSET = 9 * 3600


def jst_day(ts: float) -> int:
    """Days since 1970-01-01 in Japan time (no daylight saving in Japan)."""
    return int((ts + JST_OFFSET) // 86400)

