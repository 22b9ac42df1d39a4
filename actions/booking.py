"""Consultation booking: slots and the stored draft in, conversation.booking_flow call, messages out.

The visitor's contact data goes to the booking store (booking/store.py) and nowhere else:
not into slots, and the tracker store redacts it from the transcript. The store opens its
database on the first booking step, not when rasa-sdk imports this module, and the action
server never loads the staff console.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.render import send_messages
from actions.state import apply, state_of
from booking import store
from conversation import booking_flow, dialogue

log = logging.getLogger(__name__)


def context_of(tracker: Tracker, with_draft: bool = True) -> booking_flow.Context:
    """What conversation.booking_flow needs besides the state (the draft is read from the store)."""
    db = store.database()
    return booking_flow.Context(
        channel=tracker.get_latest_input_channel(),
        draft=(store.get_draft(db, tracker.sender_id) or {}) if with_draft else {},
        assessment=tracker.get_slot("assessment"),
        urgent=bool(tracker.get_slot("urgent_flag")),
        distress=bool(tracker.get_slot("distress_flag")),
        handoff=bool(tracker.get_slot("handoff_requested")),
        open_refs=[r["ref"] for r in store.open_requests(db, tracker.sender_id)],
    )


def perform(tracker: Tracker, reply: dialogue.Reply, ctx: booking_flow.Context) -> dialogue.Reply:
    """Carry out the reply's booking operations; a submit adds the confirmation."""
    db = store.database()
    for op in reply.booking_ops:
        if op["op"] == "discard":
            store.discard_draft(db, tracker.sender_id)
        elif op["op"] == "save":
            store.update_draft(db, tracker.sender_id, **op["fields"])
        elif op["op"] == "submit":
            row = store.submit(db, tracker.sender_id, consent_text=op["consent_text"], summary=op["summary"])
            reply.messages.extend(booking_flow.confirmation(row, ctx))
            log.info("booking %s submitted for %s", row["ref"], tracker.sender_id)
    return reply


def run_step(dispatcher: CollectingDispatcher, tracker: Tracker, state: dialogue.State,
             intent: Optional[str], text: str, entities: List[Dict[str, Any]]) -> List[EventType]:
    """One answer to the pending booking question (called by the flow and topic actions)."""
    try:
        ctx = context_of(tracker)
        reply = perform(tracker, booking_flow.step(state, intent, text, entities, ctx), ctx)
    except Exception:
        log.exception("booking step failed for %s", tracker.sender_id)
        send_messages(dispatcher, booking_flow.unavailable())
        return []
    return apply(dispatcher, reply)


def run_cancel(dispatcher: CollectingDispatcher, tracker: Tracker, state: dialogue.State) -> List[EventType]:
    reply = booking_flow.cancel(state)
    try:
        perform(tracker, reply, booking_flow.Context())
    except Exception:
        log.exception("discarding the booking draft of %s failed", tracker.sender_id)
    return apply(dispatcher, reply)


def discard_draft(tracker: Tracker) -> None:
    """Delete a half-filled booking (another flow started, start over); never fails the turn."""
    if tracker.get_slot("flow") != "booking":
        return
    try:
        store.discard_draft(store.database(), tracker.sender_id)
    except Exception:
        log.exception("discarding the booking draft of %s failed", tracker.sender_id)


class ActionBookingStart(Action):
    """request_booking, or a 相談を予約する button: ask the booking questions."""

    def name(self) -> str:
        return "action_booking_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[str, Any]) -> List[EventType]:
        try:
            ctx = context_of(tracker, with_draft=False)
            reply = perform(tracker, booking_flow.start(state_of(tracker), ctx), ctx)
        except Exception:
            log.exception("starting a booking failed for %s", tracker.sender_id)
            send_messages(dispatcher, booking_flow.unavailable())
            return []
        return apply(dispatcher, reply)


class ActionBookingWithdraw(Action):
    """The visitor withdraws: delete their requests and any draft, contact data included."""

    def name(self) -> str:
        return "action_booking_withdraw"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[str, Any]) -> List[EventType]:
        try:
            count = store.withdraw(store.database(), tracker.sender_id)
        except Exception:
            log.exception("withdrawing the booking of %s failed", tracker.sender_id)
            send_messages(dispatcher, booking_flow.unavailable())
            return []
        send_messages(dispatcher, booking_flow.withdrawn(count))
        events: List[EventType] = [SlotSet("booking", None)]
        if tracker.get_slot("flow") == "booking":
            events += [SlotSet("flow", None), SlotSet("asking", None)]
        return events
