"""What the pages read: the filtered conversation list, the handoff queue, the dashboard
figures, one conversation's events, and the console's own review data. Every statement is
built with SQLAlchemy Core (bound parameters only) and runs in one short read transaction."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from typing import Any, Dict, List, Optional, Sequence, Tuple

import sqlalchemy as sa

from staff_console import search
from staff_console.db import (
    Database,
    attention,
    audit,
    conversation_intents,
    conversations,
    corrections,
    daily,
    daily_intents,
    jst_day,
    marks,
    notes,
    search_text,
    tags,
)
from staff_console.labels import JST

PAGE_SIZE = 50
COUNT_CAP = 10000
MAX_TRANSCRIPT_EVENTS = 5000
c = conversations
m = marks


@dataclass
class Filters:
    date_from: str = ""
    date_to: str = ""
    channel: str = ""
    intent: str = ""
    primary: str = ""
    fallback: str = ""
    handoff: str = ""
    distress: str = ""
    urgent: str = ""
    reviewed: str = ""
    tag: str = ""
    q: str = ""
    empty: str = ""          # "1": include conversations without any visitor message
    errors: List[str] = field(default_factory=list)

    @classmethod
    def from_args(cls, args) -> Filters:
        f = cls()
        for fl in fields(cls):
            if fl.name == "errors":
                continue
            value = (args.get(fl.name) or "").strip()
            setattr(f, fl.name, value[:200])
        for name in ("fallback", "handoff", "distress", "urgent", "reviewed", "empty"):
            if getattr(f, name) not in ("", "0", "1"):
                setattr(f, name, "")
        f.q = search.clean_query(f.q)
        for name, label in (("date_from", "開始日"), ("date_to", "終了日")):
            value = getattr(f, name)
            if value:
                try:
                    date.fromisoformat(value)
                except ValueError:
                    f.errors.append(f"{label}は YYYY-MM-DD の形で入力してください")
                    setattr(f, name, "")
        return f

    def query_args(self) -> Dict[str, str]:
        """Non-empty filters, for links (pagination, exports)."""
        return {fl.name: getattr(self, fl.name) for fl in fields(self)
                if fl.name != "errors" and getattr(self, fl.name)}

    @property
    def active(self) -> bool:
        return bool(self.query_args())


def _day_start(value: str) -> float:
    d = date.fromisoformat(value)
    return datetime(d.year, d.month, d.day, tzinfo=JST).timestamp()


# SQLite has no statistics on the console tables (the console never runs ANALYZE on a file
# it shares with Rasa), so for a frequent intent or search term it would fetch every match
# and sort them. For the page query we then write the membership test on ``id + 0``: SQLite
# walks the last_at index newest first and stops after one page (measured: 「借金」 on 100,000
# conversations 32 ms → 2 ms). Rare ones keep the membership-driven plan.
FREQUENT = 1000


def _frequent_intent(conn, intent: str) -> bool:
    n = conn.execute(sa.select(sa.func.count()).select_from(
        sa.select(conversation_intents.c.conversation_id).where(conversation_intents.c.intent == intent)
        .limit(FREQUENT).subquery())).scalar()
    return n >= FREQUENT


def _frequent_match(conn, match: str) -> bool:
    n = conn.execute(sa.text("SELECT count(*) FROM (SELECT rowid FROM console_search WHERE console_search MATCH :m "
                             "LIMIT :k)"), {"m": match, "k": FREQUENT}).scalar()
    return n >= FREQUENT


def _conditions(db: Database, f: Filters, conn=None) -> List[Any]:
    """The WHERE terms for the filters. With ``conn`` (SQLite, page query), frequent intent and
    search memberships are written so that the newest-first index drives the plan."""
    by_order = conn is not None and db.dialect == "sqlite"
    conds: List[Any] = []
    if f.empty != "1":
        conds.append(c.c.turns > 0)
    if f.date_from:
        conds.append(c.c.last_at >= _day_start(f.date_from))
    if f.date_to:
        conds.append(c.c.started_at < _day_start(f.date_to) + 86400)
    if f.channel:
        conds.append(c.c.channel == f.channel)
    if f.primary:
        conds.append(c.c.primary_rec == f.primary)
    for name in ("fallback", "handoff", "distress", "urgent"):
        value = getattr(f, name)
        if value:
            conds.append(c.c[name] == (value == "1"))
    if f.reviewed == "1":
        conds.append(c.c.sender_id.in_(sa.select(m.c.sender_id).where(m.c.reviewed_at.isnot(None))))
    elif f.reviewed == "0":
        conds.append(c.c.sender_id.notin_(sa.select(m.c.sender_id).where(m.c.reviewed_at.isnot(None))))
    if f.intent:
        key = (c.c.id + 0) if by_order and _frequent_intent(conn, f.intent) else c.c.id
        conds.append(key.in_(sa.select(conversation_intents.c.conversation_id)
                             .where(conversation_intents.c.intent == f.intent)))
    if f.tag:
        conds.append(c.c.sender_id.in_(sa.select(tags.c.sender_id).where(tags.c.tag == f.tag)))
    conds += search_conditions(db, f.q, conn if by_order else None)
    return conds


def search_ids(db: Database, query: str, conn=None) -> Optional[Tuple[sa.sql.Select, bool]]:
    """(SELECT of the ids of conversations whose visitors' messages contain every term,
    whether the match is frequent), or None without terms."""
    words = search.terms(query)
    if not words:
        return None
    t = search_text
    sub = sa.select(t.c.conversation_id)
    verify = words
    frequent = False
    if db.search_backend == "fts5":
        match = search.fts_query(" ".join(words))
        if match:
            frequent = conn is not None and _frequent_match(conn, match)
            fts = (sa.select(sa.literal_column("rowid").label("conversation_id"))
                   .select_from(sa.text("console_search"))
                   .where(sa.text("console_search MATCH :fts_match").bindparams(fts_match=match)))
            verify = [w for w in words if not search.is_single_run(w)]
            if not verify:
                return fts, frequent  # the index answers exactly: no text is read
            sub = sub.where(t.c.conversation_id.in_(fts))
    for i, word in enumerate(verify):
        if db.dialect == "sqlite":
            sub = sub.where(sa.func.instr(t.c.text, sa.bindparam(f"term_{i}", word)) > 0)
        else:
            pattern, escape = search.like_pattern(word)
            sub = sub.where(t.c.text.like(sa.bindparam(f"term_{i}", pattern), escape=escape))
    return sub, frequent


def search_conditions(db: Database, query: str, conn=None) -> List[Any]:
    """``c.id IN (conversations whose visitors' messages contain every term)``."""
    found = search_ids(db, query, conn)
    if found is None:
        return []
    sub, frequent = found
    return [((c.c.id + 0) if frequent else c.c.id).in_(sub)]


def _other_filters(f: Filters) -> bool:
    return any(v for k, v in f.query_args().items() if k != "q")


LIST_COLUMNS = [c.c.id, c.c.sender_id, c.c.channel, c.c.started_at, c.c.last_at, c.c.turns, c.c.intents,
                c.c.primary_rec, c.c.fallback, c.c.handoff, c.c.distress, c.c.urgent, c.c.first_text,
                c.c.last_text, c.c.attention_first_at, c.c.attention_last_at,
                m.c.reviewed_at, m.c.reviewed_by, m.c.handled_at, m.c.handled_by]


def _with_marks(columns) -> sa.sql.Select:
    return sa.select(*columns).select_from(c.outerjoin(m, m.c.sender_id == c.c.sender_id))


@dataclass
class Page:
    rows: List[Any]
    total: int
    capped: bool
    page: int
    pages: int
    seconds: float
    tags: Dict[str, List[str]]
    snippets: Dict[str, str]


def list_conversations(db: Database, f: Filters, page: int = 1, page_size: int = PAGE_SIZE) -> Page:
    """One page, newest first. The page's ids are found on the narrow summary columns first,
    then its rows are fetched; the count stops at COUNT_CAP (shown as 「10,000件以上」)."""
    started = time.perf_counter()
    page = max(1, page)
    if f.q and not _other_filters(f):
        # the search box alone: count straight from the search index / text
        # (every conversation with search text has a visitor message: the default filter holds)
        count_stmt = sa.select(sa.func.count()).select_from(
            search_ids(db, f.q)[0].limit(COUNT_CAP + 1).subquery())
    else:
        count_stmt = sa.select(sa.func.count()).select_from(
            sa.select(c.c.id).where(*_conditions(db, f)).limit(COUNT_CAP + 1).subquery())
    with db.read() as conn:
        ids_stmt = (sa.select(c.c.id).where(*_conditions(db, f, conn))
                    .order_by(c.c.last_at.desc(), c.c.id.desc())
                    .limit(page_size).offset((page - 1) * page_size))
        ids = [r[0] for r in conn.execute(ids_stmt)]
        rows = []
        if ids:
            by_id = {r.id: r for r in conn.execute(_with_marks(LIST_COLUMNS).where(c.c.id.in_(ids)))}
            rows = [by_id[i] for i in ids if i in by_id]
        total = conn.execute(count_stmt).scalar() or 0
        tag_map = _tags_for(conn, [r.sender_id for r in rows])
        texts = {}
        if f.q and ids:
            texts = dict(conn.execute(sa.select(search_text.c.conversation_id, search_text.c.text)
                                      .where(search_text.c.conversation_id.in_(ids))).all())
    capped = total > COUNT_CAP
    total = min(total, COUNT_CAP)
    snippets = {}
    for r in rows:
        if r.id in texts:
            snip = search.snippet(texts[r.id], f.q)
            if snip:
                snippets[r.sender_id] = snip
    pages = max(1, -(-total // page_size))
    return Page(rows, total, capped, page, pages, time.perf_counter() - started, tag_map, snippets)


def iter_filtered(db: Database, f: Filters, batch: int = 500):
    """Every conversation matching the filters, newest first, in batches of short reads
    (keyset pagination on (last_at, id), so a long export never holds a transaction)."""
    conds = _conditions(db, f)
    last: Optional[Tuple[float, int]] = None
    while True:
        stmt = _with_marks(list(LIST_COLUMNS)).where(*conds)
        if last is not None:
            stmt = stmt.where(sa.or_(c.c.last_at < last[0], sa.and_(c.c.last_at == last[0], c.c.id < last[1])))
        stmt = stmt.order_by(c.c.last_at.desc(), c.c.id.desc()).limit(batch)
        with db.read() as conn:
            rows = conn.execute(stmt).all()
            tag_map = _tags_for(conn, [r.sender_id for r in rows])
        if not rows:
            return
        yield rows, tag_map
        if len(rows) < batch:
            return
        last = (rows[-1].last_at, rows[-1].id)


def _tags_for(conn, sender_ids: Sequence[str]) -> Dict[str, List[str]]:
    out: Dict[str, List[str]] = {}
    if not sender_ids:
        return out
    for sid, tag in conn.execute(sa.select(tags.c.sender_id, tags.c.tag)
                                 .where(tags.c.sender_id.in_(list(sender_ids))).order_by(tags.c.tag)):
        out.setdefault(sid, []).append(tag)
    return out


# -- handoff queue ------------------------------------------------------------------------
a = attention


def waiting_since():
    """When the conversation entered the queue: its first request for a person (or sign of
    distress), or — when it was marked handled and asked again — the newest request."""
    return sa.case((m.c.handled_at.is_(None), a.c.first_at), else_=a.c.last_at)


def _queue_base(columns):
    return (sa.select(*columns).select_from(a.outerjoin(m, m.c.sender_id == a.c.sender_id))
            .where(sa.or_(m.c.handled_at.is_(None), m.c.handled_at < a.c.last_at)))


def handoff_queue(db: Database, limit: int = 100, only_distress: bool = False):
    since = waiting_since().label("waiting_since")
    ids_stmt = _queue_base([a.c.conversation_id, since, a.c.text])
    count_stmt = _queue_base([sa.func.count()])
    if only_distress:
        ids_stmt = ids_stmt.where(a.c.distress == sa.true())
        count_stmt = count_stmt.where(a.c.distress == sa.true())
    ids_stmt = ids_stmt.order_by(since.asc(), a.c.conversation_id.asc()).limit(limit)
    with db.read() as conn:
        order = conn.execute(ids_stmt).all()
        by_id = {}
        if order:
            by_id = {r.id: r for r in conn.execute(_with_marks(LIST_COLUMNS)
                                                   .where(c.c.id.in_([o[0] for o in order])))}
        total = conn.execute(count_stmt).scalar() or 0
        rows = [QueueRow(by_id[cid], ws, text) for cid, ws, text in order if cid in by_id]
        tag_map = _tags_for(conn, [r.sender_id for r in rows])
    return rows, total, tag_map


class QueueRow:
    """A conversation row plus when it started waiting."""

    def __init__(self, row, waiting_since: float, request_text: Optional[str]) -> None:
        self._row = row
        self.waiting_since = waiting_since
        self.request_text = request_text

    def __getattr__(self, name):
        return getattr(self._row, name)


def queue_size(db: Database) -> int:
    with db.read() as conn:
        return conn.execute(_queue_base([sa.func.count()])).scalar() or 0


# -- one conversation ---------------------------------------------------------------------
def summary(db: Database, sender_id: str):
    with db.read() as conn:
        return conn.execute(_with_marks(list(LIST_COLUMNS) + [c.c.bot_turns, c.c.fallback_count])
                            .where(c.c.sender_id == sender_id)).first()


def events_of(db: Database, sender_id: str, limit: int = MAX_TRANSCRIPT_EVENTS) -> Tuple[List[Tuple[int, str, float, Dict]], bool]:
    """The sender's events in the order Rasa stored them (id), parsed; and whether cut."""
    if not db.events_exist():
        return [], False
    ev = db.events
    with db.read() as conn:
        rows = conn.execute(sa.select(ev.c.id, ev.c.type_name, ev.c.timestamp, ev.c.data)
                            .where(ev.c.sender_id == sender_id).order_by(ev.c.id).limit(limit + 1)).all()
    out = []
    for rid, type_name, ts, data in rows[:limit]:
        try:
            parsed = json.loads(data) if data else {}
        except ValueError:
            parsed = {}
        out.append((rid, type_name, ts, parsed if isinstance(parsed, dict) else {}))
    return out, len(rows) > limit


def events_of_many(db: Database, sender_ids: Sequence[str]) -> Dict[str, List[Tuple[int, str, float, Dict]]]:
    """Events of several senders in one short read (exports)."""
    out: Dict[str, List[Tuple[int, str, float, Dict]]] = {sid: [] for sid in sender_ids}
    if not sender_ids or not db.events_exist():
        return out
    ev = db.events
    with db.read() as conn:
        rows = conn.execute(sa.select(ev.c.sender_id, ev.c.id, ev.c.type_name, ev.c.timestamp, ev.c.data)
                            .where(ev.c.sender_id.in_(list(sender_ids))).order_by(ev.c.id)).all()
    for sid, rid, type_name, ts, data in rows:
        if len(out[sid]) >= MAX_TRANSCRIPT_EVENTS:
            continue
        try:
            parsed = json.loads(data) if data else {}
        except ValueError:
            parsed = {}
        out[sid].append((rid, type_name, ts, parsed if isinstance(parsed, dict) else {}))
    return out


def event_by_id(db: Database, event_id: int):
    ev = db.events
    with db.read() as conn:
        return conn.execute(sa.select(ev.c.id, ev.c.sender_id, ev.c.type_name, ev.c.intent_name, ev.c.data)
                            .where(ev.c.id == event_id)).first()


def review_data(db: Database, sender_id: str):
    with db.read() as conn:
        mark = conn.execute(sa.select(marks).where(marks.c.sender_id == sender_id)).first()
        tag_rows = conn.execute(sa.select(tags).where(tags.c.sender_id == sender_id).order_by(tags.c.tag)).all()
        note_rows = conn.execute(sa.select(notes).where(notes.c.sender_id == sender_id)
                                 .order_by(notes.c.created_at.desc())).all()
        corr = {r.event_id: r for r in conn.execute(sa.select(corrections).where(corrections.c.sender_id == sender_id))}
    return mark, tag_rows, note_rows, corr


# -- choices for the filter form ------------------------------------------------------------
def filter_choices(db: Database, intents: Sequence[str]) -> Dict[str, List[str]]:
    """Intents from the domain (plus nlu_fallback), procedures from labels, tags in use."""
    with db.read() as conn:
        tag_names = [r[0] for r in conn.execute(sa.select(tags.c.tag).distinct().order_by(tags.c.tag).limit(500))]
    return {"intents": list(intents) + (["nlu_fallback"] if "nlu_fallback" not in intents else []),
            "tags": tag_names}


# -- dashboard ----------------------------------------------------------------------------
def dashboard(db: Database, days: int = 30) -> Dict[str, Any]:
    """Figures for conversations (with a visitor message) started in the last ``days`` JST
    days, from the daily roll-up the refresher maintains (console_daily*): a few thousand
    rows at most, whatever the number of conversations."""
    started = time.perf_counter()
    today = datetime.now(JST).date()
    first_day = today - timedelta(days=days - 1)
    first_index = jst_day(datetime(first_day.year, first_day.month, first_day.day, tzinfo=JST).timestamp())
    d = daily
    names = ("conversations", "turns", "fallback_turns", "fallback", "handoff", "distress", "urgent")
    grouped = (sa.select(d.c.day, d.c.channel, d.c.primary_rec, *[sa.func.sum(d.c[n]) for n in names])
               .where(d.c.day >= first_index).group_by(d.c.day, d.c.channel, d.c.primary_rec))
    total = sa.func.sum(daily_intents.c.conversations).label("n")
    top = (sa.select(daily_intents.c.intent, total).where(daily_intents.c.day >= first_index)
           .group_by(daily_intents.c.intent).order_by(total.desc()).limit(15))
    with db.read() as conn:
        groups = conn.execute(grouped).all()
        top_intents = [(r[0], int(r[1])) for r in conn.execute(top) if r[1]]
    per_day: Dict[int, int] = {}
    channels: Dict[str, int] = {}
    primaries: Dict[str, int] = {}
    totals = [0] * 7
    for g_day, channel, primary, *sums in groups:
        sums = [int(v or 0) for v in sums]
        count = sums[0]
        per_day[int(g_day)] = per_day.get(int(g_day), 0) + count
        if count:
            channels[channel] = channels.get(channel, 0) + count
            if primary:
                primaries[primary] = primaries.get(primary, 0) + count
        for k, v in enumerate(sums):
            totals[k] += v
    series = [(first_day + timedelta(days=k), per_day.get(first_index + k, 0)) for k in range(days)]
    conv, turns, fallback_turns, fallback_convs, handoff, distress, urgent = totals
    return {
        "days": days, "series": series, "conversations": conv, "turns": turns,
        "fallback_turns": fallback_turns, "fallback_conversations": fallback_convs,
        "fallback_rate": (fallback_turns / turns) if turns else 0.0,
        "handoff": handoff, "distress": distress, "urgent": urgent,
        "top_intents": top_intents,
        "primaries": sorted(primaries.items(), key=lambda kv: -kv[1]),
        "channels": sorted(((k or None, v) for k, v in channels.items()), key=lambda kv: -kv[1]),
        "seconds": time.perf_counter() - started,
    }


# -- audit and corrections --------------------------------------------------------------------
def audit_page(db: Database, page: int, username: str = "", action: str = "", page_size: int = 100):
    stmt = sa.select(audit)
    if username:
        stmt = stmt.where(audit.c.username == username)
    if action:
        stmt = stmt.where(audit.c.action == action)
    with db.read() as conn:
        rows = conn.execute(stmt.order_by(audit.c.id.desc()).limit(page_size + 1)
                            .offset((max(page, 1) - 1) * page_size)).all()
    return rows[:page_size], len(rows) > page_size


def list_corrections(db: Database):
    with db.read() as conn:
        return conn.execute(sa.select(corrections).order_by(corrections.c.corrected_intent,
                                                             corrections.c.created_at)).all()
