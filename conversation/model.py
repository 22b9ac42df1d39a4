"""What a conversation step takes and gives: the state kept in slots, and the messages
with their buttons. Shared by the flows (dialogue.py, booking_flow.py) and the Rasa
actions. No Rasa import."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Optional

FLOWS = ("diagnosis", "overpayment", "recalculation", "refusal", "booking")


@dataclass
class Button:
    title: str
    intent: str
    entities: Dict[str, Any] = field(default_factory=dict)


@dataclass
class Message:
    text: str
    buttons: List[Button] = field(default_factory=list)
    private: bool = False     # holds a visitor's contact data: kept out of the transcript


@dataclass
class State:
    flow: Optional[str] = None
    asking: Optional[str] = None
    facts: Dict[str, Any] = field(default_factory=dict)
    skipped: List[str] = field(default_factory=list)
    booking: Dict[str, Any] = field(default_factory=dict)   # booking flow: method, time (no contact data)
    asked: Dict[str, int] = field(default_factory=dict)     # how many times each fact was asked
    distress: bool = False                                  # the visitor showed distress earlier

    @classmethod
    def from_slots(cls, flow, asking, facts, skipped, booking=None, asked=None, distress=False) -> State:
        return cls(flow if flow in FLOWS else None, asking, dict(facts or {}), list(skipped or []),
                   dict(booking or {}), {str(k): int(v) for k, v in dict(asked or {}).items()}, bool(distress))


@dataclass
class Reply:
    state: State
    messages: List[Message]
    assessment: Optional[Dict[str, Any]] = None
    urgent: bool = False
    booking_ops: List[Dict[str, Any]] = field(default_factory=list)   # for the booking store

    def as_dict(self) -> Dict[str, Any]:
        return asdict(self)

