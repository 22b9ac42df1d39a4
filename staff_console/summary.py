"""The conversation summaries (``console_conversations``), kept up to date from Rasa's events.

Listing and filtering 100,000 conversations cannot read Rasa's ``events`` table each time,
so the console keeps one summary row per sender (channel, first/last time, turns, intents,
primary recommendation, fallback/handoff/distress/urgent flags, first and last visitor
message, the visitors' text for search) and refreshes it incrementally: each refresh reads
the events with ``id`` above the last one seen (Rasa's primary key, so an index range
scan), in batches of a few thousand, in short read transactions, and folds them into the
summaries of the senders concerned.

Exactly once. PostgreSQL hands out ids from a sequence before commit, so a transaction
with a smaller id can become visible after a larger one (two Rasa servers saving at the
same time). Ids skipped below the newest one read are remembered as *gaps* and looked up
again on later refreshes until they appear or are two minutes old (a rolled-back save
leaves a gap for ever). SQLite has one writer and allocates ids at insert time, so it has
no such gaps. The watermark, the gaps and the summaries change in one write transaction,
guarded by compare-and-set on the stored refresh state, so two console processes never
fold the same events twice.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

import sqlalchemy as sa

from staff_console import search
from staff_console.db import (
    Database,
    attention,
    conversation_intents,
    conversations,
    daily,
    daily_intents,
    jst_day,
    search_text,
    state,
)

log = logging.getLogger("staff_console.summary")

FLAG_SLOTS = {"distress_flag": "distress", "handoff_requested": "handoff", "urgent_flag": "urgent"}
ATTENTION_SLOTS = ("distress_flag", "handoff_requested")
ATTENTION_ACTIONS = ("action_handoff", "action_distress")
FALLBACK_INTENT = "nlu_fallback"
FALLBACK_ACTION = "action_default_fallback"
# ActionStartOver re-sets the flags after Restarted: a carried-over flag, not a new request
FLAG_CARRYING_ACTIONS = ("action_start_over",)
PRIMARY_SLOT = "diagnosis_primary"
SUMMARY_SLOTS = tuple(FLAG_SLOTS) + (PRIMARY_SLOT,)
REFRESH_KEY = "refresh"
GAP_TTL_SECONDS = 120.0
MAX_GAPS = 5000
MAX_SEARCH_CHARS = 20000
ANALYZE_AFTER_EVENTS = 50000
TEXT_PREVIEW_CHARS = 200


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


@dataclass
class EventRow:
    id: int
    sender_id: str
    type_name: str
    timestamp: Optional[float]
    intent_name: Optional[str]
    action_name: Optional[str]
    data: Optional[str]


@dataclass
class Summary:
    sender_id: str
    id: Optional[int] = None
    channel: Optional[str] = None
    started_at: Optional[float] = None
    last_at: Optional[float] = None
    turns: int = 0
    bot_turns: int = 0
    intents: List[str] = field(default_factory=list)
    primary_rec: Optional[str] = None
    fallback: bool = False
    fallback_count: int = 0
    handoff: bool = False
    distress: bool = False
    urgent: bool = False
    attention_first_at: Optional[float] = None
    attention_last_at: Optional[float] = None
    first_text: Optional[str] = None
    last_text: Optional[str] = None
    search_text: str = ""
    max_event_id: int = 0
    st: Dict[str, Any] = field(default_factory=dict)
    # bookkeeping for the write
    old_search_text: Optional[str] = None
    old_intents: frozenset = frozenset()
    old_contribution: Optional[Tuple] = None

    @classmethod
    def from_row(cls, row, text: Optional[str]) -> Summary:
        s = cls(
            sender_id=row.sender_id, id=row.id, channel=row.channel, started_at=row.started_at,
            last_at=row.last_at, turns=row.turns, bot_turns=row.bot_turns,
            intents=[i for i in (row.intents or "").split("|") if i], primary_rec=row.primary_rec,
            fallback=bool(row.fallback), fallback_count=row.fallback_count, handoff=bool(row.handoff),
            distress=bool(row.distress), urgent=bool(row.urgent),
            attention_first_at=row.attention_first_at, attention_last_at=row.attention_last_at,
            first_text=row.first_text, last_text=row.last_text, search_text=text or "",
            max_event_id=row.max_event_id, st=json.loads(row.state or "{}"),
        )
        s.old_search_text = s.search_text
        s.old_intents = frozenset(s.intents)
        s.old_contribution = s.contribution()
        return s

    def contribution(self) -> Optional[Tuple]:
        """What this conversation adds to the dashboard's daily figures: (key, counts,
        intent keys), or None while no visitor has written anything."""
        if self.turns <= 0 or self.started_at is None:
            return None
        day = jst_day(self.started_at)
        key = (day, self.channel or "", self.primary_rec or "")
        counts = (1, self.turns, self.fallback_count, int(self.fallback), int(self.handoff),
                  int(self.distress), int(self.urgent))
        return key, counts, tuple((day, i) for i in self.intents)

    # -- folding one event ---------------------------------------------------------------
    def _activity(self, ts: Optional[float]) -> None:
        if ts is None:
            return
        if not self.st.get("act"):
            self.st["act"] = 1
            self.started_at = self.last_at = ts
            return
        self.started_at = ts if self.started_at is None else min(self.started_at, ts)
        self.last_at = ts if self.last_at is None else max(self.last_at, ts)

    def _raise_attention(self, ts: Optional[float]) -> None:
        if ts is None:
            return
        if self.attention_first_at is None or ts < self.attention_first_at:
            self.st["at"] = self.st.get("lu")  # the visitor message that asked (for the queue)
        self.attention_first_at = ts if self.attention_first_at is None else min(self.attention_first_at, ts)
        self.attention_last_at = ts if self.attention_last_at is None else max(self.attention_last_at, ts)

    def apply(self, ev: EventRow) -> None:
        self.max_event_id = max(self.max_event_id, ev.id)
        ts = ev.timestamp
        if not self.st.get("act") and ts is not None:
            # no visitor or bot message yet: any event dates the conversation
            self.started_at = ts if self.started_at is None else min(self.started_at, ts)
            self.last_at = ts if self.last_at is None else max(self.last_at, ts)
        t = ev.type_name
        if t == "user":
            self._activity(ts)
            data = _load(ev.data)
            self.turns += 1
            text = data.get("text") or ""
            channel = data.get("input_channel")
            if channel and (self.channel is None or ev.id < self.st.get("ce", 1 << 62)):
                self.channel = str(channel)[:32]
                self.st["ce"] = ev.id
            self.st["lu"] = text[:TEXT_PREVIEW_CHARS] if text else None
            if text:
                if ev.id < self.st.get("fte", 1 << 62):
                    self.first_text = text[:TEXT_PREVIEW_CHARS]
                    self.st["fte"] = ev.id
                if ev.id >= self.st.get("lte", 0):
                    self.last_text = text[:TEXT_PREVIEW_CHARS]
                    self.st["lte"] = ev.id
                if len(self.search_text) < MAX_SEARCH_CHARS:
                    line = search.fold(" ".join(text.split()))
                    self.search_text = (self.search_text + "\n" + line) if self.search_text else line
            intent = ev.intent_name or ((data.get("parse_data") or {}).get("intent") or {}).get("name")
            if intent:
                if intent not in self.intents:
                    self.intents.append(intent)
                if intent == FALLBACK_INTENT:
                    self.fallback = True
                    self.fallback_count += 1
        elif t == "bot":
            self._activity(ts)
            self.bot_turns += 1
        elif t == "action":
            name = ev.action_name or ""
            if name in ATTENTION_ACTIONS:
                self._raise_attention(ts)
            if name == FALLBACK_ACTION:
                self.fallback = True
                self.fallback_count += 1
            if name != "action_listen":
                self.st["la"] = name
        elif t == "slot":
            data = _load(ev.data)
            name, value = data.get("name"), data.get("value")
            if name in FLAG_SLOTS and _truthy(value):
                setattr(self, FLAG_SLOTS[name], True)
                if name in ATTENTION_SLOTS and self.st.get("la") not in FLAG_CARRYING_ACTIONS:
                    self._raise_attention(ts)
            elif name == PRIMARY_SLOT and value and ev.id >= self.st.get("pe", 0):
                self.primary_rec = str(value)[:64]
                self.st["pe"] = ev.id

    def row(self, now: float) -> Dict[str, Any]:
        return {
            "sender_id": self.sender_id, "channel": self.channel, "started_at": self.started_at,
            "last_at": self.last_at, "turns": self.turns, "bot_turns": self.bot_turns,
            "intents": ("|" + "|".join(self.intents) + "|") if self.intents else "",
            "primary_rec": self.primary_rec, "fallback": self.fallback,
            "fallback_count": self.fallback_count, "handoff": self.handoff,
            "distress": self.distress, "urgent": self.urgent,
            "attention_first_at": self.attention_first_at, "attention_last_at": self.attention_last_at,
            "first_text": self.first_text, "last_text": self.last_text, "max_event_id": self.max_event_id,
            "state": json.dumps(self.st, separators=(",", ":")), "updated_at": now,
        }


def _load(data: Optional[str]) -> Dict[str, Any]:
    if not data:
        return {}
    try:
        value = json.loads(data)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


@dataclass
class RefreshResult:
    events: int = 0
    conversations: int = 0
    conflict: bool = False
    caught_up: bool = True


class Refresher:
    """Folds new events into the summaries. One per process; thread-safe."""

    def __init__(self, db: Database, batch_size: int = 2000) -> None:
        self.db = db
        self.batch_size = batch_size
        self.lock = threading.Lock()
        self.last_run = 0.0
        self.last_error: Optional[str] = None
        self.behind = False   # a catch-up is under way: pages do not wait for it
        self.background: Optional[threading.Thread] = None
        self._since_analyze = 0

    # -- state -------------------------------------------------------------------------
    def _read_state(self, conn) -> Tuple[Optional[str], int, List[List[float]]]:
        raw = conn.execute(sa.select(state.c.value).where(state.c.key == REFRESH_KEY)).scalar()
        if not raw:
            return None, 0, []
        value = json.loads(raw)
        return raw, int(value.get("watermark", 0)), value.get("gaps", [])

    def progress(self) -> Tuple[int, int]:
        """(events folded, events in the store): the pages say so while catching up."""
        if not self.db.events_exist():
            return 0, 0
        with self.db.read() as conn:
            _, watermark, _ = self._read_state(conn)
            newest = conn.execute(sa.select(sa.func.max(self.db.events.c.id))).scalar() or 0
        return watermark, newest

    # -- one batch ---------------------------------------------------------------------
    def refresh_once(self, limit: Optional[int] = None) -> RefreshResult:
        limit = limit or self.batch_size
        result = RefreshResult()
        if not self.db.events_exist():
            return result
        ev = self.db.events
        cols = [ev.c.id, ev.c.sender_id, ev.c.type_name, ev.c.timestamp, ev.c.intent_name,
                ev.c.action_name,
                # only what the summary needs is parsed: visitor messages and the few slots it
                # reads (SQLTrackerStore stores a slot's name in action_name); never the large
                # facts/assessment values
                sa.case((ev.c.type_name == "user", ev.c.data),
                        ((ev.c.type_name == "slot") & ev.c.action_name.in_(SUMMARY_SLOTS), ev.c.data),
                        else_=sa.null()).label("data")]
        now = time.time()
        with self.db.read() as conn:
            raw_state, watermark, gaps = self._read_state(conn)
            rows = conn.execute(sa.select(*cols).where(ev.c.id > watermark)
                                .order_by(ev.c.id).limit(limit)).all()
            gap_rows = []
            if gaps:
                gap_ids = [int(g[0]) for g in gaps]
                for i in range(0, len(gap_ids), 500):
                    gap_rows += conn.execute(sa.select(*cols).where(ev.c.id.in_(gap_ids[i:i + 500]))).all()
        result.caught_up = len(rows) < limit
        events = [EventRow(*r) for r in rows] + [EventRow(*r) for r in gap_rows]
        if not events and not gaps:
            return result
        # -- gaps -----------------------------------------------------------------------
        found = {e.id for e in events}
        new_gaps = [g for g in gaps if int(g[0]) not in found and now - g[1] < GAP_TTL_SECONDS]
        new_watermark = watermark
        if rows:
            new_watermark = rows[-1][0]
            if self.db.dialect == "postgresql":
                seen = {r[0] for r in rows}
                # only the newest ids can still be in flight; a larger hole is a sequence jump
                low = max(watermark + 1, new_watermark - 2 * MAX_GAPS)
                missing = [i for i in range(low, new_watermark) if i not in seen]
                new_gaps += [[i, now] for i in missing[-MAX_GAPS:]]
        new_gaps = new_gaps[-MAX_GAPS:]
        new_state = json.dumps({"watermark": new_watermark, "gaps": new_gaps}, separators=(",", ":"))
        if not events and raw_state is not None and json.loads(raw_state) == json.loads(new_state):
            return result  # waiting on gaps that have not appeared yet: nothing to write

        events.sort(key=lambda e: e.id)
        senders = list(dict.fromkeys(e.sender_id for e in events))
        summaries: Dict[str, Summary] = {}
        with self.db.read() as conn:
            for i in range(0, len(senders), 500):
                chunk = senders[i:i + 500]
                stmt = (sa.select(conversations, search_text.c.text.label("search_text"))
                        .select_from(conversations.outerjoin(
                            search_text, search_text.c.conversation_id == conversations.c.id))
                        .where(conversations.c.sender_id.in_(chunk)))
                for row in conn.execute(stmt):
                    summaries[row.sender_id] = Summary.from_row(row, row.search_text)
        for e in events:
            s = summaries.get(e.sender_id)
            if s is None:
                s = summaries[e.sender_id] = Summary(sender_id=e.sender_id)
            s.apply(e)

        with self.db.write() as conn:
            q = sa.select(state.c.value).where(state.c.key == REFRESH_KEY)
            if self.db.dialect == "postgresql":
                q = q.with_for_update()
            current = conn.execute(q).scalar()
            if current != raw_state:
                # another console process folded these events meanwhile
                conn.rollback()
                result.conflict = True
                return result
            self._write(conn, list(summaries.values()), now)
            if raw_state is None:
                conn.execute(state.insert().values(key=REFRESH_KEY, value=new_state))
            else:
                conn.execute(state.update().where(state.c.key == REFRESH_KEY).values(value=new_state))
        result.events = len(events)
        result.conversations = len(summaries)
        return result

    def _write(self, conn, summaries: List[Summary], now: float) -> None:
        new = [s for s in summaries if s.id is None]
        old = [s for s in summaries if s.id is not None]
        if new:
            conn.execute(conversations.insert(), [s.row(now) for s in new])
            by_sender = {s.sender_id: s for s in new}
            keys = list(by_sender)
            for i in range(0, len(keys), 500):
                for cid, sid in conn.execute(sa.select(conversations.c.id, conversations.c.sender_id)
                                             .where(conversations.c.sender_id.in_(keys[i:i + 500]))):
                    by_sender[sid].id = cid
        if old:
            # bind names must differ from column names in an executemany UPDATE
            params = [{"v_" + k: v for k, v in s.row(now).items()} | {"_id": s.id} for s in old]
            values = {k: sa.bindparam("v_" + k) for k in old[0].row(now) if k != "sender_id"}
            conn.execute(conversations.update().where(conversations.c.id == sa.bindparam("_id"))
                         .values(**values), params)
        if self.db.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        intent_rows = [{"intent": i, "conversation_id": s.id}
                       for s in summaries for i in s.intents if i not in s.old_intents]
        if intent_rows:
            conn.execute(insert(conversation_intents).on_conflict_do_nothing(), intent_rows)
        attention_rows = [{"conversation_id": s.id, "sender_id": s.sender_id, "first_at": s.attention_first_at,
                           "last_at": s.attention_last_at, "distress": s.distress, "text": s.st.get("at")}
                          for s in summaries if s.attention_first_at is not None]
        if attention_rows:
            stmt = insert(attention)
            conn.execute(stmt.on_conflict_do_update(
                index_elements=[attention.c.conversation_id],
                set_={"first_at": stmt.excluded.first_at, "last_at": stmt.excluded.last_at,
                      "distress": stmt.excluded.distress, "text": stmt.excluded.text}), attention_rows)
        self._write_daily(conn, summaries, insert)
        changed = [s for s in summaries if s.search_text != (s.old_search_text or "")]
        if changed:
            stmt = insert(search_text)
            conn.execute(stmt.on_conflict_do_update(index_elements=[search_text.c.conversation_id],
                                                    set_={"text": stmt.excluded.text}),
                         [{"conversation_id": s.id, "text": s.search_text} for s in changed])
        if self.db.search_backend == "fts5" and changed:
            deletes = [{"id": s.id, "grams": search.document_grams(s.old_search_text)}
                       for s in changed if s.old_search_text]
            if deletes:
                conn.execute(sa.text("INSERT INTO console_search(console_search, rowid, grams) "
                                     "VALUES('delete', :id, :grams)"), deletes)
            conn.execute(sa.text("INSERT INTO console_search(rowid, grams) VALUES(:id, :grams)"),
                         [{"id": s.id, "grams": search.document_grams(s.search_text)} for s in changed])

    @staticmethod
    def _write_daily(conn, summaries: List[Summary], insert) -> None:
        """Move each changed conversation's contribution in the daily figures: subtract what it
        added before, add what it adds now (summed per key for the batch)."""
        counts: Dict[Tuple, List[int]] = {}
        intents: Dict[Tuple, int] = {}

        def add(contrib, sign: int) -> None:
            if contrib is None:
                return
            key, values, intent_keys = contrib
            acc = counts.setdefault(key, [0] * 7)
            for k, v in enumerate(values):
                acc[k] += sign * v
            for ik in intent_keys:
                intents[ik] = intents.get(ik, 0) + sign

        for s in summaries:
            new = s.contribution()
            if new != s.old_contribution:
                add(s.old_contribution, -1)
                add(new, +1)
        names = ("conversations", "turns", "fallback_turns", "fallback", "handoff", "distress", "urgent")
        rows = [dict(zip(("day", "channel", "primary_rec"), key), **dict(zip(names, v)))
                for key, v in counts.items() if any(v)]
        if rows:
            stmt = insert(daily)
            conn.execute(stmt.on_conflict_do_update(
                index_elements=[daily.c.day, daily.c.channel, daily.c.primary_rec],
                set_={n: daily.c[n] + stmt.excluded[n] for n in names}), rows)
        irows = [{"day": d, "intent": i, "conversations": v} for (d, i), v in intents.items() if v]
        if irows:
            stmt = insert(daily_intents)
            conn.execute(stmt.on_conflict_do_update(
                index_elements=[daily_intents.c.day, daily_intents.c.intent],
                set_={"conversations": daily_intents.c.conversations + stmt.excluded.conversations}), irows)

    # -- loops -------------------------------------------------------------------------
    def refresh(self, max_batches: int = 1, wait: float = 5.0) -> RefreshResult:
        """Fold up to ``max_batches`` batches; returns what the last batch did. Waits at most
        ``wait`` seconds for another thread's refresh to finish (then returns stale)."""
        if not self.lock.acquire(timeout=wait):
            return RefreshResult(caught_up=False)
        try:
            total = RefreshResult()
            for _ in range(max_batches):
                r = self.refresh_once()
                total.events += r.events
                total.conversations += r.conversations
                total.conflict = total.conflict or r.conflict
                total.caught_up = r.caught_up
                if r.caught_up or r.conflict:
                    break
            self.last_run = time.time()
            self.last_error = None
            self.behind = not total.caught_up
            self._maybe_analyze(total)
            return total
        except sa.exc.IntegrityError:  # another console process created the state row first
            return RefreshResult(conflict=True, caught_up=False)
        except sa.exc.OperationalError as exc:  # database busy or away: try again later
            self.last_error = str(exc).splitlines()[0]
            log.warning("refresh failed: %s", self.last_error)
            return RefreshResult(caught_up=False)
        finally:
            self.lock.release()

    def _maybe_analyze(self, result: RefreshResult) -> None:
        """PostgreSQL: after folding many events (a first build, a long catch-up), refresh the
        planner's statistics of the console tables instead of waiting for autovacuum, so the
        list queries get good plans at once. (SQLite: the queries are written not to need
        statistics; the console never runs ANALYZE on a file it shares with Rasa.)"""
        self._since_analyze += result.events
        if self.db.dialect != "postgresql" or not result.caught_up or self._since_analyze < ANALYZE_AFTER_EVENTS:
            return
        self._since_analyze = 0
        with self.db.write() as conn:
            conn.exec_driver_sql("ANALYZE console_conversations, console_search_text, console_conversation_intents, "
                                 "console_attention, console_daily, console_daily_intents")

    def catch_up(self, retries: int = 5) -> RefreshResult:
        """Fold every event there is now (the `refresh` command, tests, the benchmark)."""
        total = RefreshResult()
        errors = 0
        while True:
            r = self.refresh(max_batches=1)
            total.events += r.events
            total.conversations += r.conversations
            if r.caught_up and not r.conflict:
                return total
            if self.last_error and not r.conflict:
                errors += 1
                if errors > retries:
                    raise RuntimeError(f"会話の集計を更新できません: {self.last_error}")
                time.sleep(1.0)
            elif r.conflict:
                time.sleep(0.05)

    def start_background(self, interval: float, stop: threading.Event) -> threading.Thread:
        def loop():
            while not stop.is_set():
                try:
                    r = self.refresh(max_batches=1)
                except Exception:  # never let the refresher die; the pages say it is stale
                    log.exception("refresh crashed")
                    r = RefreshResult()
                # catching up: next batch soon, but leave the bot's writes room in between
                stop.wait(0.05 if not r.caught_up else interval)

        thread = threading.Thread(target=loop, name="console-refresh", daemon=True)
        thread.start()
        self.background = thread
        return thread

    def rebuild(self) -> None:
        """Forget every summary and fold all events again (after a change to how summaries are
        computed). Reviews, tags and notes are kept: they are keyed by sender id."""
        with self.lock:
            with self.db.write() as conn:
                if self.db.search_backend == "fts5":
                    conn.execute(sa.text("INSERT INTO console_search(console_search) VALUES('delete-all')"))
                conn.execute(conversation_intents.delete())
                conn.execute(attention.delete())
                conn.execute(daily.delete())
                conn.execute(daily_intents.delete())
                conn.execute(search_text.delete())
                conn.execute(conversations.delete())
                conn.execute(state.delete().where(state.c.key == REFRESH_KEY))
        self.catch_up()
