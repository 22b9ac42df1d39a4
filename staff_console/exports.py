"""Exports: conversations as CSV and JSONL with personal data masked, and intent
corrections as Rasa NLU training data (YAML) ready to add to ``data/nlu/``.

Booking requests as CSV: the contact value, name and anything the visitor typed are masked
(090-****-5678, t***@example.com, 山＊＊); the 受付番号 stays so staff can find the request.

Masking (privacy/pii.py, the product's one personal-data detector): sender ids become
stable pseudonyms (HMAC with a key kept in console_state, never exported), and names,
phone numbers, e-mail addresses, postal codes, addresses and LINE ids in any text are
replaced by labels such as ［電話番号］. Money amounts are kept. Staff notes are never
exported (they are free text about a person).
"""

from __future__ import annotations

import csv
import io
import json
import re
import secrets
from datetime import datetime
from typing import Dict, Iterator, List, Optional

import sqlalchemy as sa

from booking.store import bookings
from privacy.pii import contact_for_export, mask_for_export, mask_value_for_export, name_for_export, pseudonym
from staff_console import queries, transcript
from staff_console.db import Database, state
from staff_console.labels import JST

PSEUDONYM_KEY = "pseudonym_key"
CSV_COLUMNS = ["conversation", "channel", "started_jst", "last_jst", "visitor_messages", "intents",
               "primary_recommendation", "fallback", "handoff_requested", "distress", "urgent",
               "reviewed", "tags", "first_message"]


def pseudonym_key(db: Database) -> bytes:
    with db.read() as conn:
        value = conn.execute(sa.select(state.c.value).where(state.c.key == PSEUDONYM_KEY)).scalar()
    if value:
        return bytes.fromhex(value)
    with db.write() as conn:
        value = conn.execute(sa.select(state.c.value).where(state.c.key == PSEUDONYM_KEY)).scalar()
        if not value:
            value = secrets.token_hex(32)
            conn.execute(state.insert().values(key=PSEUDONYM_KEY, value=value))
    return bytes.fromhex(value)


def iso_jst(ts) -> str:
    return datetime.fromtimestamp(float(ts), JST).isoformat(timespec="seconds") if ts is not None else ""


def _cell(value) -> str:
    """A CSV cell that a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        text = "'" + text
    return text


def _intents(row) -> List[str]:
    return [i for i in (row.intents or "").split("|") if i]


def conversations_csv(db: Database, f: queries.Filters, counter: Dict[str, int]) -> Iterator[str]:
    key = pseudonym_key(db)
    buf = io.StringIO()
    writer = csv.writer(buf)
    yield "\ufeff"  # BOM: spreadsheet software in Japan then reads UTF-8 correctly
    writer.writerow(CSV_COLUMNS)
    for rows, tag_map in queries.iter_filtered(db, f):
        for r in rows:
            writer.writerow([_cell(v) for v in (
                pseudonym(r.sender_id, key), r.channel or "", iso_jst(r.started_at), iso_jst(r.last_at),
                r.turns, " ".join(_intents(r)), r.primary_rec or "", int(bool(r.fallback)),
                int(bool(r.handoff)), int(bool(r.distress)), int(bool(r.urgent)),
                int(r.reviewed_at is not None), " ".join(tag_map.get(r.sender_id, [])),
                mask_for_export(r.first_text or ""))])
            counter["n"] = counter.get("n", 0) + 1
        yield buf.getvalue()
        buf.seek(0)
        buf.truncate()
    if buf.getvalue():
        yield buf.getvalue()


BOOKING_COLUMNS = ["ref", "created_jst", "status", "contact_method", "contact_masked", "name_masked",
                   "preferred_time", "primary_recommendation", "debt_total", "urgent", "distress", "consented_jst"]


def booking_filter(status: Optional[str]):
    """Requests only (drafts are never shown to staff), optionally of one status."""
    cond = [bookings.c.status != "draft"]
    if status:
        cond.append(bookings.c.status == status)
    return cond


def count_bookings(db: Database, status: Optional[str] = None) -> int:
    with db.read() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(bookings)
                            .where(*booking_filter(status))).scalar() or 0


def bookings_csv(db: Database, status: Optional[str], counter: Dict[str, int], batch: int = 500) -> Iterator[str]:
    """Oldest first, read in batches by id in short read transactions."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    yield "\ufeff"
    writer.writerow(BOOKING_COLUMNS)
    last_id = 0
    while True:
        with db.read() as conn:
            rows = conn.execute(sa.select(bookings).where(*booking_filter(status), bookings.c.id > last_id)
                                .order_by(bookings.c.id).limit(batch)).fetchall()
        if not rows:
            break
        for r in rows:
            writer.writerow([_cell(v) for v in (
                r.ref, iso_jst(r.created_at), r.status, r.contact_method or "",
                contact_for_export(r.contact_method, r.phone, r.email), name_for_export(r.name),
                mask_for_export(r.preferred_time or ""), r.primary_rec or "",
                "" if r.debt_total is None else int(r.debt_total), int(bool(r.urgent)), int(bool(r.distress)),
                iso_jst(r.consented_at))])
            counter["n"] = counter.get("n", 0) + 1
        last_id = rows[-1].id
        yield buf.getvalue()
        buf.seek(0)
        buf.truncate()


def masked_messages(events) -> List[Dict]:
    out: List[Dict] = []
    for turn in transcript.build(events):
        items = ([turn.user] if turn.user else []) + turn.items
        for it in items:
            d = it.data
            at = iso_jst(it.ts) if it.ts else None
            if it.kind == "user":
                out.append({"at": at, "from": "visitor", "text": mask_for_export(d["text"]),
                            "intent": d["intent"], "confidence": d["confidence"],
                            "entities": [{"entity": e["entity"], "value": mask_value_for_export(e["value"])}
                                         for e in d["entities"]]})
            elif it.kind == "bot":
                out.append({"at": at, "from": "bot", "text": mask_for_export(d["text"]),
                            "buttons": [mask_for_export(b["title"]) for b in d["buttons"]]})
            elif it.kind == "action":
                out.append({"at": at, "action": d["name"]})
            elif it.kind in ("slot", "assessment"):
                out.append({"at": at, "slot": d["name"], "value": mask_value_for_export(d["value"])})
            elif it.kind == "session":
                out.append({"at": at, "session_started": True})
            elif it.kind == "restart":
                out.append({"at": at, "restarted": True})
    return out


def conversations_jsonl(db: Database, f: queries.Filters, counter: Dict[str, int]) -> Iterator[str]:
    key = pseudonym_key(db)
    for rows, tag_map in queries.iter_filtered(db, f, batch=100):
        chunk = []
        events_by_sender = queries.events_of_many(db, [r.sender_id for r in rows])
        for r in rows:
            events = events_by_sender.get(r.sender_id, [])
            record = {
                "conversation": pseudonym(r.sender_id, key), "channel": r.channel,
                "started": iso_jst(r.started_at), "last": iso_jst(r.last_at), "visitor_messages": r.turns,
                "intents": _intents(r), "primary_recommendation": r.primary_rec,
                "flags": {"fallback": bool(r.fallback), "handoff_requested": bool(r.handoff),
                          "distress": bool(r.distress), "urgent": bool(r.urgent)},
                "reviewed": r.reviewed_at is not None, "tags": tag_map.get(r.sender_id, []),
                "messages": masked_messages(events),
            }
            chunk.append(json.dumps(record, ensure_ascii=False) + "\n")
            counter["n"] = counter.get("n", 0) + 1
        yield "".join(chunk)


_ENTITY_SYNTAX = re.compile(r"\[[^\]]*\][({]")


def nlu_example(text: str) -> str:
    """One training example line: masked, on one line, and never read as Rasa's
    ``[text](entity)`` annotation syntax."""
    text = " ".join(mask_for_export(text).split())
    if _ENTITY_SYNTAX.search(text):
        text = text.replace("[", "［").replace("]", "］")
    return text


def corrections_yaml(rows) -> str:
    by_intent: Dict[str, List[str]] = {}
    for r in rows:
        example = nlu_example(r.text)
        if example and example not in by_intent.setdefault(r.corrected_intent, []):
            by_intent[r.corrected_intent].append(example)
    lines = [
        "# スタッフコンソールで修正した発話（個人情報はマスク済み）。",
        f"# 書き出し: {datetime.now(JST).strftime('%Y-%m-%d %H:%M')} JST、{sum(map(len, by_intent.values()))}件。",
        "# 内容を確認してから data/nlu/ に追加し、モデルを学習し直してください。",
        'version: "3.1"',
        "nlu:",
    ]
    for intent in sorted(by_intent):
        lines.append(f"- intent: {intent}")
        lines.append("  examples: |")
        lines += [f"    - {ex}" for ex in by_intent[intent]]
    if not by_intent:
        lines[-1] = "nlu: []"
    return "\n".join(lines) + "\n"
