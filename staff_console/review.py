"""The console's own changes: review and handled marks, tags, notes, intent corrections,
and the audit log. Each is one short write transaction on a console_* table."""

from __future__ import annotations

import json
import re
import time
from typing import Any, Dict, Optional

import sqlalchemy as sa

from staff_console.db import Database, audit, corrections, marks, notes, tags

TAG_RE = re.compile(r"^[^\s<>\"'&]{1,30}$")
MAX_NOTE = 4000


class ReviewError(ValueError):
    """A change the staff member asked for that cannot be made (message in Japanese)."""


def log(db: Database, username: Optional[str], action: str, target: Optional[str] = None,
        detail: Optional[Dict[str, Any]] = None, ip: Optional[str] = None) -> None:
    with db.write() as conn:
        conn.execute(audit.insert().values(
            at=time.time(), username=(username or None), action=action, target=target[:255] if target else None,
            detail=json.dumps(detail, ensure_ascii=False) if detail else None, ip=(ip or "")[:64] or None))


def _upsert_mark(conn, sender_id: str, **values) -> None:
    row = conn.execute(sa.select(marks.c.sender_id).where(marks.c.sender_id == sender_id)).first()
    if row is None:
        conn.execute(marks.insert().values(sender_id=sender_id, **values))
    else:
        conn.execute(marks.update().where(marks.c.sender_id == sender_id).values(**values))


def set_reviewed(db: Database, sender_id: str, username: str, reviewed: bool) -> None:
    with db.write() as conn:
        _upsert_mark(conn, sender_id, reviewed_at=time.time() if reviewed else None,
                     reviewed_by=username if reviewed else None)


def set_handled(db: Database, sender_id: str, username: str, handled: bool) -> None:
    with db.write() as conn:
        _upsert_mark(conn, sender_id, handled_at=time.time() if handled else None,
                     handled_by=username if handled else None)


def clean_tag(tag: str) -> str:
    tag = " ".join((tag or "").split())
    if not TAG_RE.match(tag):
        raise ReviewError("タグは空白や記号（< > \" ' &）を含まない30文字以内の言葉にしてください")
    return tag


def add_tag(db: Database, sender_id: str, tag: str, username: str) -> str:
    tag = clean_tag(tag)
    with db.write() as conn:
        exists = conn.execute(sa.select(tags.c.id).where(tags.c.sender_id == sender_id, tags.c.tag == tag)).first()
        if not exists:
            conn.execute(tags.insert().values(sender_id=sender_id, tag=tag, created_at=time.time(),
                                              created_by=username))
    return tag


def remove_tag(db: Database, sender_id: str, tag: str) -> None:
    with db.write() as conn:
        conn.execute(tags.delete().where(tags.c.sender_id == sender_id, tags.c.tag == tag))


def add_note(db: Database, sender_id: str, body: str, username: str) -> None:
    body = (body or "").strip()
    if not body:
        raise ReviewError("メモが空です")
    if len(body) > MAX_NOTE:
        raise ReviewError(f"メモは{MAX_NOTE}文字以内にしてください")
    with db.write() as conn:
        conn.execute(notes.insert().values(sender_id=sender_id, body=body, created_at=time.time(),
                                           created_by=username))


def correct_intent(db: Database, event, intent: str, username: str) -> None:
    """Record the right intent for one visitor message (a Rasa ``user`` event)."""
    data = json.loads(event.data or "{}")
    text = " ".join((data.get("text") or "").split())
    if not text or text.startswith("/"):
        raise ReviewError("ボタンで送られたメッセージや空のメッセージは学習データにできません")
    now = time.time()
    values = dict(sender_id=event.sender_id, text=text, original_intent=event.intent_name,
                  corrected_intent=intent, created_at=now, created_by=username)
    with db.write() as conn:
        row = conn.execute(sa.select(corrections.c.id).where(corrections.c.event_id == event.id)).first()
        if row is None:
            conn.execute(corrections.insert().values(event_id=event.id, **values))
        else:
            conn.execute(corrections.update().where(corrections.c.id == row.id).values(**values))


def delete_correction(db: Database, correction_id: int):
    with db.write() as conn:
        row = conn.execute(sa.select(corrections).where(corrections.c.id == correction_id)).first()
        if row:
            conn.execute(corrections.delete().where(corrections.c.id == correction_id))
    return row
