"""Consultation booking requests: the one place a visitor's contact data is kept.

Written by the action server (actions/booking.py) while the visitor fills in the booking
questions, read and updated by staff in the console's booking queue (staff_console/).

* A ``draft`` row holds what the visitor has given so far (contact, name) between turns;
  the tracker store never sees those values (privacy/tracker_store.py redacts them), so
  this row is where they wait. Cancelling deletes it; drafts untouched for
  ``DRAFT_TTL_SECONDS`` are deleted by the next write.
* Consenting turns the draft into a request with status ``new`` and a 受付番号 (``ref``).
  Staff move it through ``contacted`` → ``booked`` → ``closed``.
* Withdrawing (the visitor asks the bot) deletes every request of that conversation:
  nothing of the contact data stays in any table.

Every function takes the database as its first argument: anything with ``read()`` and
``write()`` context managers yielding a SQLAlchemy connection (``Handle``). The action
server uses this module's own :func:`database` (DATABASE_URL, or ``$VAR_DIR/rasa.db``);
the console passes its own ``staff_console.db.Database``. This package never imports the
console.

Schema ownership
----------------
The table keeps its historical name ``console_bookings`` and columns, so existing
databases keep working. This module owns it and creates it with
``metadata.create_all(checkfirst=True)`` (:func:`ensure_schema`), not with an Alembic
environment of its own, because:

* it is one table, created once, with no history of changes yet; the only state to know
  is "does the table exist", which the database itself answers. A second Alembic version
  table would be a second record of the same table beside the console's migration 0002;
* the check and the create run in one transaction under the database's own lock
  (``BEGIN IMMEDIATE`` on SQLite, a transaction-level advisory lock on PostgreSQL), so
  any number of action servers and consoles starting together create it once;
* no console migration machinery is loaded by the action server.

The console's migration 0002 (which created the same table) stays as history: the console
calls :func:`ensure_schema` before its Alembic upgrade and records 0002 as applied when the
table is already there (staff_console/migrate.py). The day the table needs a change, that
is the time to give this package an Alembic environment whose first revision adopts the
existing table.

All SQL is SQLAlchemy Core with bound parameters.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import sqlite3
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.pool import QueuePool

from booking.labels import METHOD_LABELS, STATUS_LABELS, STATUSES  # noqa: F401 - re-exported

log = logging.getLogger("booking.store")

ROOT = Path(__file__).resolve().parent.parent
DRAFT_FIELDS = ("contact_method", "phone", "email", "name", "preferred_time", "channel")
DRAFT_TTL_SECONDS = 24 * 3600
_REF_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"   # no 0/O, 1/I: read over the phone
SCHEMA_LOCK_KEY = 0xB00C1E5   # PostgreSQL advisory lock taken while the table is ensured

metadata = sa.MetaData()

# The same table as staff_console/migrations/versions/0002_bookings.py (columns, defaults,
# indexes); tests/booking/test_store.py compares the two on SQLite and PostgreSQL.
bookings = sa.Table(
    "console_bookings", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("ref", sa.String(16), nullable=False, unique=True),   # 受付番号 shown to the visitor
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("channel", sa.String(32)),
    sa.Column("status", sa.String(16), nullable=False, index=True),  # draft|new|contacted|booked|closed
    sa.Column("contact_method", sa.String(16)),                      # phone|email|line
    sa.Column("phone", sa.String(32)),
    sa.Column("email", sa.String(254)),
    sa.Column("name", sa.String(64)),
    sa.Column("preferred_time", sa.String(200)),
    sa.Column("consent_text", sa.Text),
    sa.Column("consented_at", sa.Float),
    sa.Column("primary_rec", sa.String(64)),
    sa.Column("debt_total", sa.BigInteger),
    sa.Column("urgent", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("distress", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("summary", sa.Text),                                   # JSON: assessment summary
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.Column("status_changed_by", sa.String(64)),
)


class BookingError(ValueError):
    """A request the store refuses; the message is Japanese, for staff."""


class StoreConfigError(RuntimeError):
    """DATABASE_URL is unusable for the booking store; one line for the operator."""


class Handle(Protocol):
    """What the functions below need of a database: short read and write transactions."""

    def read(self) -> Any: ...

    def write(self) -> Any: ...


# -- the schema -----------------------------------------------------------------------------

def ensure_schema(db: Handle) -> None:
    """Create ``console_bookings`` (and its indexes) unless it exists; safe to call from
    several processes at once (see the module docstring)."""
    with db.write() as conn:
        if conn.dialect.name == "postgresql":
            # released at commit; DDL is transactional, so a waiter sees the table
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": SCHEMA_LOCK_KEY})
        # on SQLite the write transaction is BEGIN IMMEDIATE: the database's write lock
        metadata.create_all(conn, checkfirst=True)


# -- the action server's own database ------------------------------------------------------------

def database_url_from_env(var_dir: Optional[Path] = None) -> str:
    """DATABASE_URL (``postgres://`` accepted), or SQLite ``$VAR_DIR/rasa.db``."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        if url.startswith("postgres://"):  # Heroku-style spelling SQLAlchemy refuses
            url = "postgresql://" + url[len("postgres://"):]
        return url
    if var_dir is None:
        var_dir = Path(os.environ.get("VAR_DIR") or (ROOT / "var")).resolve()
    return f"sqlite:///{(var_dir / 'rasa.db').resolve()}"


class Database:
    """Engines on the shared database for a process that has no console: the action server.

    Built as the console builds its own (staff_console/db.py): on SQLite a reader engine
    with deferred ``BEGIN`` and a writer with ``BEGIN IMMEDIATE`` (concurrent writers queue
    on the busy timeout instead of failing half-way), ``synchronous=NORMAL`` and the file in
    WAL mode unless ``CONSOLE_SQLITE_WAL=0`` (the journal mode is the file's, shared with
    Rasa and the console, so the console's switch applies); on PostgreSQL one pooled engine
    with bounded statements.
    """

    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        self.dialect = parsed.get_backend_name()
        if self.dialect not in ("sqlite", "postgresql"):
            raise StoreConfigError(f"DATABASE_URL の種類 {self.dialect} には対応していません（sqlite か postgresql）")
        if self.dialect == "sqlite":
            if not parsed.database or parsed.database == ":memory:":
                raise StoreConfigError("DATABASE_URL の SQLite はファイルを指定してください（:memory: は使えません）")
            self.path: Optional[Path] = Path(parsed.database).resolve()
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._prepare_sqlite()
            self.writer = self._sqlite_engine(immediate=True)
            self.reader = self._sqlite_engine(immediate=False)
        else:
            self.path = None
            self.writer = sa.create_engine(parsed, future=True, pool_pre_ping=True, pool_size=2, max_overflow=4,
                                           connect_args={
                                               "options": "-c statement_timeout=30000 -c lock_timeout=10000"
                                                          " -c idle_in_transaction_session_timeout=60000"
                                                          " -c max_parallel_workers_per_gather=0",
                                               "application_name": "booking_store"})
            self.reader = self.writer

    def _prepare_sqlite(self) -> None:
        wal = os.environ.get("CONSOLE_SQLITE_WAL", "1").strip().lower() not in ("0", "false", "no", "off")
        conn = sqlite3.connect(str(self.path), timeout=10, isolation_level=None)
        try:
            mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
            if wal and mode.lower() != "wal":
                for _ in range(20):
                    try:
                        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
                        break
                    except sqlite3.OperationalError:
                        time.sleep(0.25)
                if mode.lower() != "wal":
                    log.warning("SQLite を WAL モードにできませんでした（%s）", mode)
        finally:
            conn.close()

    def _sqlite_engine(self, immediate: bool) -> Engine:
        path = str(self.path)

        def connect():
            conn = sqlite3.connect(path, timeout=10, check_same_thread=False, isolation_level=None)
            conn.execute("PRAGMA busy_timeout=10000")
            if immediate:
                conn.execute("PRAGMA synchronous=NORMAL")
            return conn

        engine = sa.create_engine("sqlite://", creator=connect, poolclass=QueuePool, pool_size=2,
                                  max_overflow=4, future=True)
        begin = "BEGIN IMMEDIATE" if immediate else "BEGIN"

        @sa.event.listens_for(engine, "begin")
        def _begin(conn):  # pysqlite's own transaction handling is off (isolation_level=None)
            conn.exec_driver_sql(begin)

        return engine

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
        """One short write transaction."""
        with self.writer.begin() as conn:
            yield conn

    def dispose(self) -> None:
        self.writer.dispose()
        if self.reader is not self.writer:
            self.reader.dispose()


_lock = threading.Lock()
_db: Optional[Database] = None


def database() -> Database:
    """This process's booking database, table ensured; opened on first use and then kept.
    Never at import: rasa-sdk imports every action module when it starts."""
    global _db
    with _lock:
        if _db is None:
            db = Database(database_url_from_env())
            try:
                ensure_schema(db)
            except Exception:
                db.dispose()
                raise
            _db = db
        return _db


# -- rows ---------------------------------------------------------------------------------------

def new_ref() -> str:
    return "B" + "".join(secrets.choice(_REF_ALPHABET) for _ in range(7))


def _row(r) -> Dict[str, Any]:
    d = dict(r._mapping)
    try:
        d["summary"] = json.loads(d["summary"]) if d.get("summary") else {}
    except ValueError:
        d["summary"] = {}
    return d


# -- the visitor's side (action server) -----------------------------------------------

def get_draft(db: Handle, sender_id: str) -> Optional[Dict[str, Any]]:
    with db.read() as conn:
        r = conn.execute(sa.select(bookings).where(
            bookings.c.sender_id == sender_id, bookings.c.status == "draft")).first()
    return _row(r) if r else None


def update_draft(db: Handle, sender_id: str, **fields: Any) -> Dict[str, Any]:
    """Merge ``fields`` into this conversation's draft, creating it when missing."""
    unknown = set(fields) - set(DRAFT_FIELDS)
    if unknown:
        raise BookingError(f"予約の下書きに保存できない項目です: {', '.join(sorted(unknown))}")
    now = time.time()
    with db.write() as conn:
        conn.execute(bookings.delete().where(
            bookings.c.status == "draft", bookings.c.updated_at < now - DRAFT_TTL_SECONDS))
        r = conn.execute(sa.select(bookings.c.id).where(
            bookings.c.sender_id == sender_id, bookings.c.status == "draft")).first()
        if r is None:
            conn.execute(bookings.insert().values(
                ref=new_ref(), sender_id=sender_id, status="draft", urgent=False, distress=False,
                created_at=now, updated_at=now, **fields))
        elif fields:
            conn.execute(bookings.update().where(bookings.c.id == r.id).values(updated_at=now, **fields))
    return get_draft(db, sender_id) or {}


def discard_draft(db: Handle, sender_id: str) -> int:
    """Cancel: delete the draft and everything in it. Returns the rows deleted."""
    with db.write() as conn:
        return conn.execute(bookings.delete().where(
            bookings.c.sender_id == sender_id, bookings.c.status == "draft")).rowcount


def submit(db: Handle, sender_id: str, *, consent_text: str, summary: Dict[str, Any]) -> Dict[str, Any]:
    """The visitor consented: the draft becomes a ``new`` request. Returns the row."""
    now = time.time()
    with db.write() as conn:
        r = conn.execute(sa.select(bookings.c.id, bookings.c.contact_method).where(
            bookings.c.sender_id == sender_id, bookings.c.status == "draft")).first()
        if r is None or not r.contact_method:
            raise BookingError("申し込み中の予約が見つかりません")
        conn.execute(bookings.update().where(bookings.c.id == r.id).values(
            status="new", consent_text=consent_text, consented_at=now, updated_at=now,
            primary_rec=summary.get("primary"), debt_total=summary.get("debt_total"),
            urgent=bool(summary.get("urgent")), distress=bool(summary.get("distress")),
            summary=json.dumps(summary, ensure_ascii=False)))
        booking_id = r.id
    row = get(db, booking_id=booking_id)
    if row is None:      # written in the transaction above: only a concurrent withdraw removes it
        raise BookingError("この予約申込みは見つかりません（取り消された可能性があります）")
    return row


def withdraw(db: Handle, sender_id: str) -> int:
    """The visitor withdraws: delete this conversation's requests and drafts entirely."""
    with db.write() as conn:
        return conn.execute(bookings.delete().where(bookings.c.sender_id == sender_id)).rowcount


def open_requests(db: Handle, sender_id: str) -> List[Dict[str, Any]]:
    with db.read() as conn:
        rows = conn.execute(sa.select(bookings).where(
            bookings.c.sender_id == sender_id, bookings.c.status != "draft")
            .order_by(bookings.c.id)).fetchall()
    return [_row(r) for r in rows]


# -- the staff side (console) ---------------------------------------------------------

def get(db: Handle, ref: Optional[str] = None, booking_id: Optional[int] = None) -> Optional[Dict[str, Any]]:
    q = sa.select(bookings)
    q = q.where(bookings.c.ref == ref) if ref is not None else q.where(bookings.c.id == booking_id)
    with db.read() as conn:
        r = conn.execute(q).first()
    return _row(r) if r else None


def queue(db: Handle, status: Optional[str] = None, limit: int = 50, offset: int = 0) -> List[Dict[str, Any]]:
    """Requests for the queue, urgent first, then oldest first; drafts never."""
    q = sa.select(bookings).where(bookings.c.status != "draft")
    if status:
        q = q.where(bookings.c.status == status)
    q = q.order_by(
        sa.case((bookings.c.status == "closed", 1), else_=0),
        bookings.c.urgent.desc(), bookings.c.distress.desc(), bookings.c.created_at, bookings.c.id,
    ).limit(limit).offset(offset)
    with db.read() as conn:
        return [_row(r) for r in conn.execute(q).fetchall()]


def counts(db: Handle) -> Dict[str, int]:
    with db.read() as conn:
        rows = conn.execute(sa.select(bookings.c.status, sa.func.count()).where(
            bookings.c.status != "draft").group_by(bookings.c.status)).fetchall()
    out = {s: 0 for s in STATUSES}
    out.update({s: n for s, n in rows})
    return out


def set_status(db: Handle, ref: str, status: str, by: str) -> Dict[str, Any]:
    if status not in STATUSES:
        raise BookingError(f"状態「{status}」は使えません（{'・'.join(STATUS_LABELS[s] for s in STATUSES)}）")
    with db.write() as conn:
        n = conn.execute(bookings.update().where(
            bookings.c.ref == ref, bookings.c.status != "draft").values(
            status=status, status_changed_by=by, updated_at=time.time())).rowcount
    if not n:
        raise BookingError("この予約申込みは見つかりません（取り消された可能性があります）")
    row = get(db, ref=ref)
    if row is None:
        raise BookingError("この予約申込みは見つかりません（取り消された可能性があります）")
    return row
