"""Consultation booking requests: the one place a visitor's contact data is kept.

Written by the action server (actions/booking.py) while the visitor fills in the booking
questions, read and updated by staff in the console's booking queue.

* A ``draft`` row holds what the visitor has given so far (contact, name) between turns;
  the tracker store never sees those values (privacy/tracker_store.py redacts them), so
  this row is where they wait. Cancelling deletes it; drafts untouched for
  ``DRAFT_TTL_SECONDS`` are deleted by the next write.
* Consenting turns the draft into a request with status ``new`` and a 受付番号 (``ref``).
  Staff move it through ``contacted`` → ``booked`` → ``closed``.
* Withdrawing (the visitor asks the bot) deletes every request of that conversation:
  nothing of the contact data stays in any table.

All SQL is SQLAlchemy Core with bound parameters.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from typing import Any, Dict, List, Optional

import sqlalchemy as sa

from staff_console.db import Database, bookings

STATUSES = ("new", "contacted", "booked", "closed")
STATUS_LABELS = {"draft": "入力中", "new": "新規", "contacted": "連絡済み", "booked": "予約確定", "closed": "終了"}
METHOD_LABELS = {"phone": "電話", "email": "メール", "line": "LINE"}
DRAFT_FIELDS = ("contact_method", "phone", "email", "name", "preferred_time", "channel")
DRAFT_TTL_SECONDS = 24 * 3600
_REF_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"   # no 0/O, 1/I: read over the phone


class BookingError(ValueError):
    """A request the store refuses; the message is Japanese, for staff."""


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

def get_draft(db: Database, sender_id: str) -> Optional[Dict[str, Any]]:
    with db.read() as conn:
        r = conn.execute(sa.select(bookings).where(
            bookings.c.sender_id == sender_id, bookings.c.status == "draft")).first()
    return _row(r) if r else None


def update_draft(db: Database, sender_id: str, **fields: Any) -> Dict[str, Any]:
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


def discard_draft(db: Database, sender_id: str) -> int:
    """Cancel: delete the draft and everything in it. Returns the rows deleted."""
    with db.write() as conn:
        return conn.execute(bookings.delete().where(
            bookings.c.sender_id == sender_id, bookings.c.status == "draft")).rowcount


def submit(db: Database, sender_id: str, *, consent_text: str, summary: Dict[str, Any]) -> Dict[str, Any]:
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
    return get(db, booking_id=booking_id)


def withdraw(db: Database, sender_id: str) -> int:
    """The visitor withdraws: delete this conversation's requests and drafts entirely."""
    with db.write() as conn:
        return conn.execute(bookings.delete().where(bookings.c.sender_id == sender_id)).rowcount


def open_requests(db: Database, sender_id: str) -> List[Dict[str, Any]]:
    with db.read() as conn:
        rows = conn.execute(sa.select(bookings).where(
            bookings.c.sender_id == sender_id, bookings.c.status != "draft")
            .order_by(bookings.c.id)).fetchall()
    return [_row(r) for r in rows]


# -- the staff side (console) ---------------------------------------------------------

def get(db: Database, ref: Optional[str] = None, booking_id: Optional[int] = None) -> Optional[Dict[str, Any]]:
    q = sa.select(bookings)
    q = q.where(bookings.c.ref == ref) if ref is not None else q.where(bookings.c.id == booking_id)
    with db.read() as conn:
        r = conn.execute(q).first()
    return _row(r) if r else None


def queue(db: Database, status: Optional[str] = None, limit: int = 50, offset: int = 0) -> List[Dict[str, Any]]:
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


def counts(db: Database) -> Dict[str, int]:
    with db.read() as conn:
        rows = conn.execute(sa.select(bookings.c.status, sa.func.count()).where(
            bookings.c.status != "draft").group_by(bookings.c.status)).fetchall()
    out = {s: 0 for s in STATUSES}
    out.update({s: n for s, n in rows})
    return out


def set_status(db: Database, ref: str, status: str, by: str) -> Dict[str, Any]:
    if status not in STATUSES:
        raise BookingError(f"状態「{status}」は使えません（{'・'.join(STATUS_LABELS[s] for s in STATUSES)}）")
    with db.write() as conn:
        n = conn.execute(bookings.update().where(
            bookings.c.ref == ref, bookings.c.status != "draft").values(
            status=status, status_changed_by=by, updated_at=time.time())).rowcount
    if not n:
        raise BookingError("この予約申込みは見つかりません（取り消された可能性があります）")
    return get(db, ref=ref)


# -- one Database per process for the action server ------------------------------------

_lock = threading.Lock()
_db: Optional[Database] = None


def database() -> Database:
    """The console's database (DATABASE_URL, or $VAR_DIR/rasa.db), tables migrated once.
    Opened on first use, never at import: rasa-sdk imports every action module at start."""
    global _db
    with _lock:
        if _db is None:
            from staff_console import migrate
            from staff_console.config import load_settings

            # the action server signs nothing: a placeholder keeps load_settings from
            # creating the console's cookie key file
            db = Database(load_settings(secret_key="not-used-by-the-action-server",
                                        background_refresh=False))
            migrate.upgrade(db)
            _db = db
        return _db
