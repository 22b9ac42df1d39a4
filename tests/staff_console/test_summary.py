"""The conversation summaries the list, filters, queue and dashboard read, built from events
that Rasa's SQLTrackerStore wrote, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import sqlalchemy as sa

from staff_console import queries
from staff_console.db import conversations, daily
from staff_console.summary import Refresher
from tests.staff_console.helpers import action, bot, session_start, slot, user


def summary_of(console, sender_id):
    with console.db.read() as conn:
        return conn.execute(sa.select(conversations).where(conversations.c.sender_id == sender_id)).first()


def test_summary_of_a_conversation(console):
    t = console.tick
    console.add("s1", session_start(t()) + [
        user("こんにちは", "greet", 0.97, channel="line", ts=t()), action("utter_greet", t()), bot("こんにちは。", ts=t()),
        user("もう死にたい", "express_distress", 0.91, channel="line", ts=t()), action("action_distress", t()),
        bot("いのちの電話 0570-783-556", ts=t()), slot("distress_flag", True, t()), slot("handoff_requested", True, t()),
        user("あああ", "nlu_fallback", 0.2, channel="line", ts=t()), action("action_default_fallback", t()),
        slot("diagnosis_primary", "bankruptcy", t()),
    ])
    console.refresh()
    row = summary_of(console, "s1")
    assert row.channel == "line"
    assert row.turns == 3 and row.bot_turns == 2
    assert row.intents == "|greet|express_distress|nlu_fallback|"
    assert row.distress and row.handoff and not row.urgent
    assert row.fallback and row.fallback_count == 2          # the intent and the fallback action
    assert row.primary_rec == "bankruptcy"
    assert row.first_text == "こんにちは" and row.last_text == "あああ"
    assert row.attention_first_at is not None


def test_new_events_update_the_summary_and_the_search_index(console):
    t = console.tick
    console.add("s2", session_start(t()) + [user("こんにちは", "greet", ts=t()), bot("こんにちは。", ts=t())])
    console.refresh()
    assert queries.list_conversations(console.db, queries.Filters(q="断られ")).total == 0
    console.add("s2", [user("任意整理を断られました", "ask_settlement_refused", ts=t()), bot("そうでしたか。", ts=t()),
                       slot("urgent_flag", True, t())])
    console.refresh()
    row = summary_of(console, "s2")
    assert row.turns == 2 and row.urgent and row.last_text == "任意整理を断られました"
    page = queries.list_conversations(console.db, queries.Filters(q="断られ"))
    assert [r.sender_id for r in page.rows] == ["s2"]
    # the old text is still found too (the index entry was replaced, not duplicated)
    assert queries.list_conversations(console.db, queries.Filters(q="こんにちは")).total == 1


def test_start_over_carries_flags_without_queueing_again(console):
    t = console.tick
    from rasa.shared.core.events import Restarted

    console.add("s3", session_start(t()) + [user("人と話したい", "request_human", ts=t()), action("action_handoff", t()),
                                            slot("handoff_requested", True, t())])
    console.refresh()
    first = summary_of(console, "s3")
    console.add("s3", [user("最初から", "start_over", ts=t()), action("action_start_over", t()),
                       Restarted(timestamp=t()), slot("handoff_requested", True, t())])
    console.refresh()
    after = summary_of(console, "s3")
    assert after.handoff
    assert after.attention_last_at == first.attention_last_at   # carried over, not a new request
    console.add("s3", [user("やっぱり人と話したい", "request_human", ts=t()), action("action_handoff", t()),
                       slot("handoff_requested", True, t())])
    console.refresh()
    assert summary_of(console, "s3").attention_last_at > first.attention_last_at


def test_conversation_without_messages_is_hidden_by_default(console):
    console.add("empty", session_start(console.tick()))
    console.add("talk", session_start(console.tick()) + [user("こんにちは", "greet", ts=console.tick())])
    console.refresh()
    assert [r.sender_id for r in queries.list_conversations(console.db, queries.Filters()).rows] == ["talk"]
    shown = queries.list_conversations(console.db, queries.Filters(empty="1")).rows
    assert {r.sender_id for r in shown} == {"talk", "empty"}


def test_daily_figures_follow_changes(console):
    t = console.tick
    console.add("d1", session_start(t()) + [user("診断して", "request_diagnosis", ts=t())])
    console.refresh()
    console.add("d1", [slot("diagnosis_primary", "voluntary_settlement", t()), user("あああ", "nlu_fallback", 0.1, ts=t())])
    console.add("d2", session_start(t()) + [user("こんにちは", "greet", channel="rest", ts=t())])
    console.refresh()
    d = queries.dashboard(console.db, 7)
    assert d["conversations"] == 2 and d["turns"] == 3
    assert d["primaries"] == [("voluntary_settlement", 1)]
    assert dict(d["channels"]) == {"socketio": 1, "rest": 1}
    assert dict(d["top_intents"]) == {"request_diagnosis": 1, "nlu_fallback": 1, "greet": 1}
    assert d["fallback_turns"] == 1 and d["fallback_conversations"] == 1
    with console.db.read() as conn:  # the earlier contribution was moved, not added twice
        assert conn.execute(sa.select(sa.func.sum(daily.c.conversations))).scalar() == 2


def test_two_refreshers_never_fold_the_same_events_twice(console):
    t = console.tick
    for i in range(20):
        console.add(f"c{i}", session_start(t()) + [user("こんにちは", "greet", ts=t()), bot("はい", ts=t())])
    other = Refresher(console.db, batch_size=7)
    mine = Refresher(console.db, batch_size=11)
    while True:
        a, b = other.refresh_once(), mine.refresh_once()
        if a.caught_up and b.caught_up and not a.conflict and not b.conflict:
            break
    with console.db.read() as conn:
        turns = conn.execute(sa.select(sa.func.sum(conversations.c.turns))).scalar()
        n = conn.execute(sa.select(sa.func.count()).select_from(conversations)).scalar()
    assert (n, turns) == (20, 20)


def test_postgresql_late_commit_is_not_missed(postgres_url, tmp_path, domain):
    """PostgreSQL allocates ids before commit: an event with a smaller id can appear after a
    larger one was read. The refresher remembers the gap and folds the late event."""
    from tests.staff_console.conftest import Console

    console = Console(postgres_url, tmp_path, domain)
    try:
        t = console.tick
        console.add("early", session_start(t()) + [user("こんにちは", "greet", ts=t())])
        with console.db.writer.begin() as conn:  # reserve an id, as an open Rasa transaction would
            late_id = conn.execute(sa.text("SELECT nextval(pg_get_serial_sequence('events', 'id'))")).scalar()
        console.add("later", session_start(t()) + [user("借金の相談です", "ask_debt_consolidation", ts=t())])
        console.refresh()
        assert summary_of(console, "late") is None
        data = json.dumps({"event": "user", "timestamp": t(), "text": "遅れて届いた", "input_channel": "rest",
                           "parse_data": {"intent": {"name": "greet", "confidence": 0.9}, "entities": []}})
        with console.store.engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO events (id, sender_id, type_name, timestamp, intent_name, action_name, data) "
                                 "VALUES (:id, 'late', 'user', :ts, 'greet', NULL, :data)"),
                         {"id": late_id, "ts": t(), "data": data})
        console.refresh()
        row = summary_of(console, "late")
        assert row is not None and row.turns == 1 and row.first_text == "遅れて届いた"
    finally:
        console.close()
