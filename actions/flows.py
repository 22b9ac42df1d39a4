"""Guided conversations and safety: slots in, debt_rules.dialogue call, messages out."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, Restarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.render import send_messages, topic_messages
from debt_rules import booking, dialogue, knowledge

FLOW_FOR_INTENT = {
    "request_diagnosis": "diagnosis",
    "ask_overpayment": "overpayment",
    "request_recalculation": "recalculation",
    "ask_settlement_refused": "refusal",
}


def state_of(tracker: Tracker) -> dialogue.State:
    return dialogue.State.from_slots(
        tracker.get_slot("flow"), tracker.get_slot("asking"),
        tracker.get_slot("facts"), tracker.get_slot("skipped_facts"), tracker.get_slot("booking"),
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
    ]
    if reply.assessment is not None:
        events += [SlotSet("assessment", reply.assessment),
                   SlotSet("diagnosis_primary", reply.assessment.get("primary"))]
    if reply.urgent:
        events.append(SlotSet("urgent_flag", True))
    return events


class ActionStartFlow(Action):
    """request_diagnosis, ask_overpayment, request_recalculation, ask_settlement_refused."""

    def name(self) -> Text:
        return "action_start_flow"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        intent, text, entities, _ = message_of(tracker)
        flow = FLOW_FOR_INTENT.get(intent, "diagnosis")
        state = state_of(tracker)
        if state.flow == "booking":  # leaving the booking questions half-way: keep nothing
            from actions.booking import discard_draft

            discard_draft(tracker)
            state.booking = {}
        return apply(dispatcher, dialogue.start(flow, state, intent, text, entities))


class ActionFlowStep(Action):
    """An answer to the pending question, a correction, わからない, or an unclear message."""

    def name(self) -> Text:
        return "action_flow_step"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        intent, text, entities, ranking = message_of(tracker)
        state = state_of(tracker)
        if state.flow == "booking":
            from actions.booking import run_step

            return run_step(dispatcher, tracker, state, intent, text, entities)
        return apply(dispatcher, dialogue.step(state, intent, text, entities, ranking))


class ActionStopFlow(Action):
    def name(self) -> Text:
        return "action_stop_flow"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        state = state_of(tracker)
        if state.flow == "booking":  # 「やめる」: the draft and its contact data are deleted
            from actions.booking import run_cancel

            return run_cancel(dispatcher, tracker, state)
        return apply(dispatcher, dialogue.stop(state))


class ActionStartOver(Action):
    """Forget this conversation's answers and begin again (the transcript stays for staff)."""

    def name(self) -> Text:
        return "action_start_over"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        from actions.booking import discard_draft

        discard_draft(tracker)   # a half-filled booking goes with the answers
        send_messages(dispatcher, topic_messages(knowledge.topic("start_over")))
        # keep the safety flags staff filter on
        keep = [SlotSet(name, True) for name in ("distress_flag", "handoff_requested", "urgent_flag")
                if tracker.get_slot(name)]
        return [Restarted()] + keep


class ActionDistress(Action):
    """Thoughts of death or self-harm: the caring reply with hotlines first, flag for staff."""

    def name(self) -> Text:
        return "action_distress"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        send_messages(dispatcher, topic_messages(knowledge.topic("express_distress")))
        return [SlotSet("distress_flag", True), SlotSet("handoff_requested", True)]


class ActionHandoff(Action):
    """The visitor wants a person: say how staff follow up, flag the conversation."""

    def name(self) -> Text:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        state = state_of(tracker)
        intent, text, entities, _ = message_of(tracker)
        if booking.captures(state, intent, text):
            # 「電話でお願いします」 while the booking asks how to contact: the answer, not a handoff
            from actions.booking import run_step

            return run_step(dispatcher, tracker, state, intent, text, entities)
        send_messages(dispatcher, topic_messages(knowledge.topic("request_human")))
        return [SlotSet("handoff_requested", True)]
