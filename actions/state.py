"""The conversation state in slots: read it from the tracker, write a reply's state back.
Shared by the flow, topic and booking actions."""

from __future__ import annotations

from typing import List

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.render import send_messages
from conversation import dialogue


def state_of(tracker: Tracker) -> dialogue.State:
    return dialogue.State.from_slots(
        tracker.get_slot("flow"), tracker.get_slot("asking"),
        tracker.get_slot("facts"), tracker.get_slot("skipped_facts"), tracker.get_slot("booking"),
        tracker.get_slot("asked_counts"), bool(tracker.get_slot("distress_flag")),
    )


def message_of(tracker: Tracker):
    latest = tracker.latest_message or {}
    intent = (latest.get("intent") or {}).get("name")
    return intent, latest.get("text") or "", latest.get("entities") or [], latest.get("intent_ranking") or []


def apply(dispatcher: CollectingDispatcher, reply: dialogue.Reply) -> List[EventType]:
    send_messages(dispatcher, reply.messages)
    s = reply.state
    events: List[EventType] = [
        SlotSet("flow", s.flow), SlotSet("asking", s.asking),
        SlotSet("facts", s.facts), SlotSet("skipped_facts", s.skipped),
        SlotSet("booking", s.booking or None),
        SlotSet("asked_counts", s.asked or None),
    ]
    if reply.assessment is not None:
        events += [SlotSet("assessment", reply.assessment),
                   SlotSet("diagnosis_primary", reply.assessment.get("primary"))]
    if reply.urgent:
        events.append(SlotSet("urgent_flag", True))
    return events
