"""Guided conversations and safety: slots in, conversation.dialogue call, messages out."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, Restarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.booking import discard_draft, run_cancel, run_step
from actions.render import send_messages, topic_messages
from actions.state import apply, message_of, state_of
from conversation import booking_flow, dialogue
from debt_rules import knowledge

FLOW_FOR_INTENT = {
    "request_diagnosis": "diagnosis",
    "ask_overpayment": "overpayment",
    "request_recalculation": "recalculation",
    "ask_settlement_refused": "refusal",
}


class ActionStartFlow(Action):
    """request_diagnosis, ask_overpayment, request_recalculation, ask_settlement_refused."""

    def name(self) -> str:
        return "action_start_flow"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[str, Any]) -> List[EventType]:
        intent, text, entities, _ = message_of(tracker)
        flow = FLOW_FOR_INTENT.get(intent, "diagnosis")
        state = state_of(tracker)
        if state.flow == "booking":  # leaving the booking questions half-way: keep nothing
            discard_draft(tracker)
            state.booking = {}
        return apply(dispatcher, dialogue.start(flow, state, intent, text, entities))


class ActionFlowStep(Action):
    """An answer to the pending question, a correction, わからない, or an unclear message."""

    def name(self) -> str:
        return "action_flow_step"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[str, Any]) -> List[EventType]:
        intent, text, entities, ranking = message_of(tracker)
        state = state_of(tracker)
        if state.flow == "booking":
            return run_step(dispatcher, tracker, state, intent, text, entities)
        return apply(dispatcher, dialogue.step(state, intent, text, entities, ranking,
                                              assessment=tracker.get_slot("assessment")))


class ActionStopFlow(Action):
    def name(self) -> str:
        return "action_stop_flow"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[str, Any]) -> List[EventType]:
        state = state_of(tracker)
        if state.flow == "booking":  # 「やめる」: the draft and its contact data are deleted
            return run_cancel(dispatcher, tracker, state)
        return apply(dispatcher, dialogue.stop(state))


class ActionStartOver(Action):
    """Forget this conversation's answers and begin again (the transcript stays for staff)."""

    def name(self) -> str:
        return "action_start_over"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[str, Any]) -> List[EventType]:
        discard_draft(tracker)   # a half-filled booking goes with the answers
        send_messages(dispatcher, topic_messages(knowledge.topic("start_over")))
        # keep the safety flags staff filter on
        keep = [SlotSet(name, True) for name in ("distress_flag", "handoff_requested", "urgent_flag")
                if tracker.get_slot(name)]
        return [Restarted()] + keep


class ActionDistress(Action):
    """Thoughts of death or self-harm: the caring reply with hotlines first, flag for staff."""

    def name(self) -> str:
        return "action_distress"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[str, Any]) -> List[EventType]:
        send_messages(dispatcher, topic_messages(knowledge.topic("express_distress")))
        return [SlotSet("distress_flag", True), SlotSet("handoff_requested", True)]


class ActionHandoff(Action):
    """The visitor wants a person: say how staff follow up, flag the conversation."""

    def name(self) -> str:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[str, Any]) -> List[EventType]:
        state = state_of(tracker)
        intent, text, entities, _ = message_of(tracker)
        if booking_flow.captures(state, intent, text):
            # 「電話でお願いします」 while the booking asks how to contact: the answer, not a handoff
            return run_step(dispatcher, tracker, state, intent, text, entities)
        send_messages(dispatcher, topic_messages(knowledge.topic("request_human")))
        return [SlotSet("handoff_requested", True)]
