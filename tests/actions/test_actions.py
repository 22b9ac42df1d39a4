"""The custom actions with Rasa SDK's Tracker and CollectingDispatcher: the events they
return and the messages they send."""

import json

from rasa_sdk import Tracker
from rasa_sdk.events import Restarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.flows import (
    ActionDistress,
    ActionFlowStep,
    ActionHandoff,
    ActionStartFlow,
    ActionStartOver,
    ActionStopFlow,
)
from actions.topics import ActionAnswerTopic

HOTLINES = ("0570-783-556", "0120-279-338", "0570-064-556")


def tracker(intent, text="", entities=(), slots=None, ranking=()):
    return Tracker(
        sender_id="t", slots=slots or {}, events=[], paused=False, followup_action=None,
        active_loop={}, latest_action_name="action_listen",
        latest_message={"intent": {"name": intent, "confidence": 0.9}, "text": text,
                        "entities": list(entities), "intent_ranking": list(ranking)},
    )


async def run(action, t):
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, t, {})
    return dispatcher.messages, events


def slot(events, name):
    values = [e["value"] for e in events if e.get("event") == "slot" and e.get("name") == name]
    assert values, f"slot {name} not set in {events}"
    return values[-1]


async def test_topic_answer_with_buttons_as_payloads():
    msgs, events = await run(ActionAnswerTopic(), tracker("ask_individual_rehabilitation", "個人再生とは"))
    assert len(msgs) >= 2 and events == []
    buttons = msgs[-1]["buttons"]
    assert any(b["payload"] == "/request_diagnosis" for b in buttons)
    assert all(b["payload"].startswith("/") for b in buttons)


async def test_topic_answer_uses_the_procedure_variant():
    plain, _ = await run(ActionAnswerTopic(), tracker("ask_cost", "費用は"))
    bankrupt, _ = await run(ActionAnswerTopic(), tracker(
        "ask_cost", "自己破産の費用", [{"entity": "procedure", "value": "bankruptcy"}]))
    assert [m["text"] for m in plain] != [m["text"] for m in bankrupt]


async def test_lawsuit_sets_the_urgent_flag():
    _, events = await run(ActionAnswerTopic(), tracker("ask_lawsuit_seizure", "訴状が届いた"))
    assert events == [SlotSet("urgent_flag", True)]


async def test_diagnosis_starts_and_keeps_state_in_slots():
    text = "消費者金融で300万"
    msgs, events = await run(ActionStartFlow(), tracker("request_diagnosis", text, [
        {"entity": "lender_type", "value": "consumer_finance", "start": 0, "end": 5},
        {"entity": "amount", "value": 3000000, "start": 6, "end": 10}]))
    assert slot(events, "flow") == "diagnosis"
    facts = slot(events, "facts")
    assert facts["lender_types"] == ["consumer_finance"] and facts["debt_total"] == 3000000
    # the amount with its lender is also kept as one debt (issue 15: several debts per message)
    assert facts.get("debts", [{"lender_type": "consumer_finance", "balance": 3000000}]) == [
        {"lender_type": "consumer_finance", "balance": 3000000}]
    asking = slot(events, "asking")
    assert asking and msgs[-1]["buttons"][-1]["title"] == "わからない"
    assert json.loads(msgs[-1]["buttons"][-1]["payload"][len("/dont_know"):]) == {"answer_field": asking}


async def test_flow_step_reads_state_from_slots():
    slots = {"flow": "diagnosis", "asking": "monthly_capacity",
             "facts": {"debt_total": 3000000, "lender_types": ["consumer_finance"]}, "skipped_facts": []}
    text = "5万円"
    _, events = await run(ActionFlowStep(), tracker("inform", text, [
        {"entity": "amount", "value": 50000, "start": 0, "end": 3}], slots))
    assert slot(events, "facts")["monthly_capacity"] == 50000


async def test_result_sets_assessment_and_primary():
    slots = {"flow": "diagnosis", "asking": "household_size",
             "facts": {"debt_total": 3000000, "lender_types": ["consumer_finance"], "monthly_capacity": 100000,
                       "stable_income": True, "seizure_or_lawsuit": False, "owns_home": False,
                       "cause": "living", "monthly_take_home": 200000},
             "skipped_facts": []}
    for _ in range(10):   # わからない to whatever else the engine still asks
        msgs, events = await run(ActionFlowStep(), tracker("dont_know", "わからない", [], slots))
        if slot(events, "flow") is None:
            break
        slots = {k: slot(events, k2) for k, k2 in (("flow", "flow"), ("asking", "asking"),
                                                    ("facts", "facts"), ("skipped_facts", "skipped_facts"))}
    assert slot(events, "flow") is None
    assert slot(events, "diagnosis_primary") == "voluntary_settlement"
    assert slot(events, "assessment")["debt_total"] == 3000000
    assert any("診断結果" in m["text"] for m in msgs)


async def test_distress_answers_with_hotlines_and_flags():
    msgs, events = await run(ActionDistress(), tracker("express_distress", "もう死にたい",
                                                       slots={"flow": "diagnosis", "asking": "debt_total"}))
    text = "".join(m["text"] for m in msgs)
    assert all(n in text for n in HOTLINES)
    assert all(n in msgs[0]["text"] for n in HOTLINES)   # before anything else
    assert SlotSet("distress_flag", True) in events


async def test_handoff_flags():
    msgs, events = await run(ActionHandoff(), tracker("request_human", "人と話したい"))
    assert msgs and SlotSet("handoff_requested", True) in events


async def test_stop_and_start_over():
    msgs, events = await run(ActionStopFlow(), tracker("stop_form", "やめたい", slots={
        "flow": "diagnosis", "asking": "debt_total", "facts": {"cause": "living"}}))
    assert slot(events, "flow") is None and slot(events, "facts") == {"cause": "living"}
    msgs, events = await run(ActionStartOver(), tracker("start_over", "最初から", slots={"distress_flag": True}))
    assert events[0] == Restarted() and SlotSet("distress_flag", True) in events
    assert msgs


async def test_unclear_message_offers_the_likeliest_topics():
    msgs, _ = await run(ActionFlowStep(), tracker("nlu_fallback", "あれってどうなの", ranking=[
        {"name": "nlu_fallback", "confidence": 0.5}, {"name": "ask_kanpo", "confidence": 0.3},
        {"name": "ask_cost", "confidence": 0.2}]))
    payloads = [b["payload"] for b in msgs[-1]["buttons"]]
    assert payloads[:2] == ["/ask_kanpo", "/ask_cost"]
