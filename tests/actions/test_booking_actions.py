"""The booking actions with Rasa SDK's Tracker and CollectingDispatcher against a real
SQLite database (the booking store's table, booking/store.py): the events they return, the messages
they send, and what is in the booking table after each step."""

from __future__ import annotations

import sqlite3

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.booking import ActionBookingStart, ActionBookingWithdraw
from actions.flows import ActionFlowStep, ActionStartOver, ActionStopFlow
from conversation.booking_flow import CONSENT_TEXT


@pytest.fixture
def db_file(tmp_path, monkeypatch):
    from booking import store

    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setattr(store, "_db", None)
    yield tmp_path / "rasa.db"
    if store._db is not None:
        store._db.dispose()


class Visitor:
    """Runs the actions as Rasa would, carrying the slots from one turn to the next."""

    def __init__(self, sender="visitor-1", channel="socketio", slots=None):
        self.sender, self.channel, self.slots = sender, channel, dict(slots or {})

    def tracker(self, intent, text, entities=()):
        return Tracker(
            sender_id=self.sender, slots=dict(self.slots), paused=False, followup_action=None,
            active_loop={}, latest_action_name="action_listen",
            events=[{"event": "user", "text": text, "input_channel": self.channel,
                     "parse_data": {"intent": {"name": intent}}}],
            latest_message={"intent": {"name": intent, "confidence": 0.9}, "text": text,
                            "entities": list(entities), "intent_ranking": []},
        )

    async def run(self, action, intent, text, entities=()):
        dispatcher = CollectingDispatcher()
        events = await action.run(dispatcher, self.tracker(intent, text, entities), {})
        for e in events:
            if e.get("event") == "slot":
                self.slots[e["name"]] = e["value"]
        return dispatcher.messages, events

    async def say(self, text, intent="inform"):
        return await self.run(ActionFlowStep(), intent, text)


def rows(path):
    con = sqlite3.connect(path)
    con.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in con.execute("SELECT * FROM console_bookings ORDER BY id")]
    finally:
        con.close()


async def book(v, method="電話", contact="090-1234-5678", when="平日の夜", name="田中"):
    await v.run(ActionBookingStart(), "request_booking", "相談を予約したい")
    await v.say(method)
    if contact:
        await v.say(contact)
    await v.say(when)
    return await v.say(name)


async def test_a_booking_is_stored_with_consent_and_the_assessment_summary(db_file):
    v = Visitor(slots={"assessment": {"primary": "individual_rehabilitation", "debt_total": 6_000_000,
                                      "urgent": ["訴状"], "legal_aid": {"eligible": False}},
                       "urgent_flag": True})
    msgs, _ = await book(v)
    summary = msgs[0]
    assert summary.get("private") is True and "090-1234-5678" in summary["text"]
    assert "090" not in repr(v.slots), "contact data leaked into a slot"
    (draft,) = rows(db_file)
    assert draft["status"] == "draft" and draft["phone"] == "090-1234-5678" and draft["name"] == "田中"

    msgs, events = await v.say("同意して申し込む", intent="affirm")
    (row,) = rows(db_file)
    assert row["status"] == "new" and row["consent_text"] == CONSENT_TEXT and row["consented_at"]
    assert row["primary_rec"] == "individual_rehabilitation" and row["debt_total"] == 6_000_000
    assert row["urgent"] and row["channel"] == "socketio" and row["preferred_time"] == "平日 17〜19時"
    assert row["ref"] in msgs[0]["text"] and msgs[0].get("private") is True
    assert "このご相談の件に限ります" in msgs[1]["text"]
    assert v.slots["flow"] is None and v.slots["booking"] is None


async def test_cancelling_midway_leaves_no_row(db_file):
    v = Visitor()
    await book(v)
    assert rows(db_file)[0]["phone"] == "090-1234-5678"
    msgs, _ = await v.run(ActionStopFlow(), "stop_form", "やめる")
    assert rows(db_file) == [] and "保存していません" in msgs[0]["text"]
    assert v.slots["flow"] is None


async def test_start_over_during_a_booking_deletes_the_draft(db_file):
    v = Visitor()
    await book(v)
    await v.run(ActionStartOver(), "start_over", "最初からやり直したい")
    assert rows(db_file) == []


async def test_withdrawing_deletes_the_request_and_its_contact_data(db_file):
    v = Visitor(sender="visitor-2", channel="rest")
    await book(v, method="メール", contact="hanako@example.jp")
    await v.say("はい", intent="affirm")
    other = Visitor(sender="someone-else")
    await book(other)
    await other.say("はい", intent="affirm")
    assert len(rows(db_file)) == 2

    msgs, events = await v.run(ActionBookingWithdraw(), "withdraw_booking", "予約を取り消したい")
    assert "削除しました" in msgs[0]["text"]
    left = rows(db_file)
    assert [r["sender_id"] for r in left] == ["someone-else"]      # only this visitor's request
    assert text_nowhere(db_file, "hanako@example.jp")

    msgs, _ = await v.run(ActionBookingWithdraw(), "withdraw_booking", "予約を取り消したい")
    assert "見つかりませんでした" in msgs[0]["text"]


def text_nowhere(path, needle: str) -> bool:
    """No column of any table holds ``needle``."""
    con = sqlite3.connect(path)
    try:
        for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type='table' "
                                    "AND sql NOT LIKE 'CREATE VIRTUAL%'"):  # FTS data: own tables
            for row in con.execute(f'SELECT * FROM "{table}"'):
                if any(isinstance(c, str) and needle in c for c in row):
                    return False
        return True
    finally:
        con.close()


async def test_a_second_request_is_not_taken_while_one_is_open(db_file):
    v = Visitor()
    await book(v)
    await v.say("はい", intent="affirm")
    msgs, _ = await v.run(ActionBookingStart(), "request_booking", "予約したい")
    assert "すでに" in msgs[0]["text"] and rows(db_file)[0]["ref"] in msgs[0]["text"]
    assert len(rows(db_file)) == 1


async def test_database_trouble_is_an_apology_not_a_crash(db_file, monkeypatch):
    from booking import store

    def broken():
        raise RuntimeError("database down")

    monkeypatch.setattr(store, "database", broken)
    v = Visitor()
    msgs, events = await v.run(ActionBookingStart(), "request_booking", "予約したい")
    assert events == [] and "ただいま予約を受け付けられません" in msgs[0]["text"]


async def test_denwa_de_to_the_method_question_is_the_answer_not_a_handoff(db_file):
    """「電話でお願いします」 is request_human to the NLU; mid-booking it answers the question."""
    from actions.flows import ActionHandoff

    v = Visitor()
    await v.run(ActionBookingStart(), "request_booking", "相談を予約したい")
    msgs, events = await v.run(ActionHandoff(), "request_human", "電話でお願いします")
    assert v.slots["asking"] == "booking_phone" and "電話番号" in msgs[-1]["text"]
    assert not any(e.get("name") == "handoff_requested" for e in events)
    # outside a booking it is still a handoff
    msgs, events = await Visitor(sender="other").run(ActionHandoff(), "request_human", "電話で話したい")
    assert {"event": "slot", "timestamp": None, "name": "handoff_requested", "value": True} in events


def test_the_action_server_never_loads_the_staff_console(tmp_path):
    """rasa-sdk imports every module of the actions package at start: none of them may pull in
    the console (its settings, secret key or migrations), and none opens the database."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    code = ("import sys, pkgutil, importlib, actions\n"
            "names = [m.name for m in pkgutil.iter_modules(actions.__path__)]\n"
            "for n in names:\n"
            "    importlib.import_module('actions.' + n)\n"
            "from booking import store\n"
            "print(len(names), 'booking' in names, store._db is None,\n"
            "      sorted(n for n in sys.modules if n.split('.')[0] == 'staff_console'))\n")
    env = {**os.environ, "PYTHONPATH": str(root), "VAR_DIR": str(tmp_path), "DATABASE_URL": ""}
    out = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    count, has_booking, unopened, console = out.stdout.split(maxsplit=3)
    assert int(count) >= 5 and has_booking == "True" and unopened == "True"
    assert console.strip() == "[]"
    assert list(tmp_path.iterdir()) == []     # no database file, no console secret
