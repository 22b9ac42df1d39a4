"""Rasa's SQL tracker store, minus the visitors' contact data.

A booking asks for a phone number or e-mail address and a name. Those values belong in
the booking request only (staff_console/bookings.py), where withdrawing deletes them; a
transcript in Rasa's ``events`` table is kept for staff, exported, searched and indexed,
so nothing there may hold them. Before new events are written this store:

* replaces the text of a visitor message that answered a booking question for a phone
  number, e-mail address or name (``privacy.pii.is_private_answer``, judged with
  the ``asking`` slot as it was when the message arrived) with ``REDACTED_ANSWER``, and
  drops its entities;
* replaces the text of a bot message flagged ``private`` (the booking summary, sent by
  the actions with ``private=True``) with ``REDACTED_SUMMARY``;
* masks any other personal data in a visitor message -- phone numbers, e-mail addresses,
  postal codes, addresses, LINE ids, names in self-introductions (``privacy.pii.mask``).
  Distress messages and the visitor's ways out are never replaced as an answer; the
  words stay for staff, only the personal data in them is masked.

Only what is *stored* changes: the actions and the channels saw the real text during the
turn, which is all the booking needs. Used from endpoints as
``type: privacy.tracker_store.RedactingSQLTrackerStore`` with the SQL store's keys
(runner/stack.py writes it).
"""

from __future__ import annotations

import copy
import logging
from typing import Any, Dict, Iterator, List, Optional

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import BotUttered, Event, Restarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from privacy.pii import Span, find, is_private_answer, mask

logger = logging.getLogger(__name__)

REDACTED_ANSWER = "［予約の連絡先・お名前（予約申込みにのみ保存）］"
REDACTED_SUMMARY = "［予約内容の確認（お名前・連絡先は予約申込みにのみ保存）］"


def redact_user(event: UserUttered, asking: Optional[str]) -> Event:
    text = event.text or ""
    intent = (event.intent or {}).get("name")
    spans: List[Span] = []
    if is_private_answer(asking, intent, text):
        new_text, keep_entities = REDACTED_ANSWER, False
    else:
        spans = find(text)
        if not spans:
            return event
        new_text, keep_entities = mask(text), True
    data: Dict[str, Any] = copy.deepcopy(event.as_dict())
    data["text"] = new_text
    parse = data.get("parse_data") or {}
    parse["text"] = new_text
    # entities found inside a masked number or address would leak it (the others stay;
    # their offsets refer to the visitor's original text)
    parse["entities"] = [] if not keep_entities else [
        e for e in parse.get("entities") or []
        if not any(s.start < (e.get("end") or 0) and (e.get("start") or 0) < s.end for s in spans)]
    data["parse_data"] = parse
    return Event.from_parameters(data)


def redact_bot(event: BotUttered) -> Event:
    if not (event.metadata or {}).get("private"):
        return event
    data = copy.deepcopy(event.as_dict())
    data["text"] = REDACTED_SUMMARY
    return Event.from_parameters(data)


def _asking_before(events: List[Event], start: int) -> Optional[str]:
    """The ``asking`` slot as it was before ``events[start]`` (a per-message save looks back
    only as far as the last time it was set)."""
    for event in reversed(events[:start]):
        if isinstance(event, SlotSet) and event.key == "asking":
            return event.value
        if isinstance(event, Restarted):
            return None
    return None


def redacted(events: List[Event], start: int) -> Iterator[Event]:
    """``events[start:]`` as they may be stored, judging each visitor message by the
    ``asking`` slot set before it."""
    asking = _asking_before(events, start)
    for event in events[start:]:
        if isinstance(event, UserUttered):
            yield redact_user(event, asking)
        elif isinstance(event, BotUttered):
            yield redact_bot(event)
        else:
            yield event
        if isinstance(event, SlotSet) and event.key == "asking":
            asking = event.value
        elif isinstance(event, Restarted):
            asking = None


class RedactingSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore whose stored events never hold booking contact data."""

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator:
        new = list(super()._additional_events(session, tracker))
        if not new:
            return iter(())
        events = list(tracker.events)
        return redacted(events, len(events) - len(new))
