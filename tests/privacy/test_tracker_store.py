"""The tracker store keeps booking contact data out of stored transcripts: a real Rasa
SQLTrackerStore subclass on a real SQLite file, read back with plain SQL as staff tools
and exports read it."""

from __future__ import annotations

import asyncio
import json
import sqlite3

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from privacy.tracker_store import REDACTED_ANSWER, REDACTED_SUMMARY, RedactingSQLTrackerStore

PHONE, EMAIL, NAME = "090-1234-5678", "hanako.tanaka@example.jp", "田中花子"


def user(text, intent="inform", entities=()):
    return UserUttered(text, intent={"name": intent, "confidence": 0.9},
                       entities=list(entities), parse_data={"text": text, "intent": {"name": intent},
                                                            "entities": list(entities)})


@pytest.fixture
def store(tmp_path):
    domain = Domain.from_dict({"slots": {"asking": {"type": "any", "mappings": [{"type": "custom"}]}},
                               "intents": ["inform", "express_distress"]})
    path = tmp_path / "rasa.db"
    return RedactingSQLTrackerStore(domain, dialect="sqlite", db=str(path)), path, domain


def stored_rows(path):
    con = sqlite3.connect(path)
    try:
        return [(t, json.loads(d)) for t, d in con.execute(
            "SELECT type_name, data FROM events ORDER BY id")]
    finally:
        con.close()


def save(store, tracker):
    asyncio.run(store.save(tracker))


def test_booking_answers_and_the_private_summary_are_redacted_and_nothing_else(store):
    s, path, domain = store
    tracker = DialogueStateTracker.from_events("v1", [
        ActionExecuted("action_listen"), user("相談を予約したい", "request_booking"),
        SlotSet("asking", "booking_phone"), BotUttered("電話番号を入力してください"),
        ActionExecuted("action_listen"),
    ], domain.slots)
    save(s, tracker)
    for event in [user(PHONE, entities=[{"entity": "amount", "value": 901234, "start": 0, "end": 8}]),
                  SlotSet("asking", "booking_time"), ActionExecuted("action_listen"),
                  user("火曜の午後"), SlotSet("asking", "booking_name"), ActionExecuted("action_listen"),
                  user(f"{NAME}です"), SlotSet("asking", "booking_consent"),
                  BotUttered(f"【お申し込み内容】{NAME} 様 {PHONE}", metadata={"private": True}),
                  BotUttered("同意しますか？")]:
        tracker.update(event)
    save(s, tracker)

    raw = open(path, "rb").read().decode("utf-8", "ignore")
    for secret in (PHONE, "1234-5678", NAME, "901234"):
        assert secret not in raw, f"{secret} is stored"
    texts = [d.get("text") for t, d in stored_rows(path) if t in ("user", "bot")]
    assert texts == ["相談を予約したい", "電話番号を入力してください", REDACTED_ANSWER, "火曜の午後",
                     REDACTED_ANSWER, REDACTED_SUMMARY, "同意しますか？"]
    phone_event = [d for t, d in stored_rows(path) if t == "user"][1]
    assert phone_event["parse_data"]["entities"] == [] and phone_event["parse_data"]["text"] == REDACTED_ANSWER


def test_a_number_typed_anywhere_else_is_masked_and_other_entities_survive(store):
    s, path, domain = store
    ents = [{"entity": "amount", "value": 3_000_000, "start": 3, "end": 7}]
    tracker = DialogueStateTracker.from_events("v2", [
        ActionExecuted("action_listen"),
        user(f"借金は300万、連絡は{EMAIL}か{PHONE}へ", entities=ents),
    ], domain.slots)
    save(s, tracker)
    (row,) = [d for t, d in stored_rows(path) if t == "user"]
    assert row["text"] == "借金は300万、連絡は［メールアドレス］か［電話番号］へ"
    assert row["parse_data"]["entities"] == ents


def test_distress_while_a_phone_number_is_asked_is_kept_for_staff(store):
    s, path, domain = store
    tracker = DialogueStateTracker.from_events("v3", [
        SlotSet("asking", "booking_phone"), ActionExecuted("action_listen"),
        user("もう死にたい", "express_distress"),
    ], domain.slots)
    save(s, tracker)
    assert [d["text"] for t, d in stored_rows(path) if t == "user"] == ["もう死にたい"]


def test_the_conversation_reads_back_whole_and_in_order(store):
    s, path, domain = store
    events = [SlotSet("asking", "booking_email"), ActionExecuted("action_listen"), user(EMAIL),
              SlotSet("asking", None), BotUttered("ありがとうございます")]
    tracker = DialogueStateTracker.from_events("v4", events, domain.slots)
    save(s, tracker)
    back = asyncio.run(s.retrieve("v4"))
    assert [type(e).__name__ for e in back.events] == [type(e).__name__ for e in events]
    assert back.latest_message.text == REDACTED_ANSWER
    assert back.get_slot("asking") is None
