"""Bring the console's tables to the newest migration (Alembic), once per start.

Several console processes may start together (several servers on one PostgreSQL), so the
upgrade runs under a lock: a PostgreSQL advisory lock, or a file lock next to the SQLite file.

The booking table (``console_bookings``) belongs to booking/store.py, which creates it
itself (the action server has no console). Migration 0002 created that same table and
stays as history: the table is ensured first, and a database still before 0002 has 0002
recorded as applied (``alembic stamp``) instead of run, so it never meets an existing table.
"""

from __future__ import annotations

import fcntl
import logging
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext

from booking import store as booking_store
from staff_console.db import Database

HERE = Path(__file__).resolve().parent
VERSION_TABLE = "console_alembic_version"   # as migrations/env.py configures it
BOOKINGS_REVISION = "0002"                  # created console_bookings, now booking.store's
BEFORE_BOOKINGS = (None, "0001")
ADVISORY_KEY = 0x5C0A501E  # any constant shared by every console process
log = logging.getLogger("staff_console.migrate")


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE / "migrations"))
    return cfg


@contextmanager
def _migration_lock(db: Database):
    if db.dialect == "sqlite":
        lock_path = db.path.with_name(db.path.name + ".console-migrate.lock")
        with open(lock_path, "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
    else:
        with db.writer.connect() as conn:
            conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": ADVISORY_KEY})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_KEY})
                conn.commit()


def upgrade(db: Database) -> None:
    if db.dialect == "sqlite":
        db.prepare_sqlite()
    booking_store.ensure_schema(db)
    cfg = alembic_config()
    with _migration_lock(db):
        with db.writer.connect() as conn:
            cfg.attributes["connection"] = conn
            current = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE}).get_current_revision()
            if current in BEFORE_BOOKINGS:
                command.upgrade(cfg, "0001")
                command.stamp(cfg, BOOKINGS_REVISION)
            command.upgrade(cfg, "head")
            conn.commit()
    db.search_backend = detect_search_backend(db)


def detect_search_backend(db: Database) -> str:
    with db.read() as conn:
        if db.dialect == "sqlite":
            found = conn.execute(sa.text(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name='console_search'")).first()
            return "fts5" if found else "scan"
        found = conn.execute(sa.text(
            "SELECT 1 FROM pg_indexes WHERE indexname = 'ix_console_search_text_trgm'")).first()
        return "trgm" if found else "scan"
