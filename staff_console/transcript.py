"""One conversation's events (Rasa's tracker-store dicts) as turns for the page and exports.

A turn is what the visitor wrote (text, intent and confidence, the runner-up intents,
entities, channel) followed by everything the bot did until the next message: actions run,
slots set (the assessment shown is kept whole), messages sent with their buttons.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

HIDDEN_ACTIONS = {"action_listen", "action_session_start"}
LOW_CONFIDENCE = 0.5


@dataclass
class Item:
    kind: str                      # user | bot | action | slot | assessment | session | restart | other
    ts: Optional[float]
    event_id: int
    data: Dict[str, Any] = field(default_factory=dict)


@dataclass
class Turn:
    user: Optional[Item]
    items: List[Item] = field(default_factory=list)


def _user(event_id: int, ts, d: Dict[str, Any]) -> Item:
    parse = d.get("parse_data") or {}
    intent = parse.get("intent") or {}
    ranking = [r for r in (parse.get("intent_ranking") or []) if isinstance(r, dict)]
    entities = [e for e in (parse.get("entities") or d.get("entities") or []) if isinstance(e, dict)]
    confidence = intent.get("confidence")
    return Item("user", ts, event_id, {
        "text": d.get("text") or "",
        "intent": intent.get("name"),
        "confidence": float(confidence) if isinstance(confidence, (int, float)) else None,
        "low": isinstance(confidence, (int, float)) and confidence < LOW_CONFIDENCE,
        "ranking": [(r.get("name"), r.get("confidence")) for r in ranking[1:4]],
        "entities": [{"entity": e.get("entity"), "value": e.get("value"), "text": _span(d, e),
                      "extractor": e.get("extractor"), "confidence": e.get("confidence_entity"),
                      "role": e.get("role"), "group": e.get("group")} for e in entities],
        "channel": d.get("input_channel"),
        "button": (d.get("text") or "").startswith("/"),
    })


def _span(d: Dict[str, Any], e: Dict[str, Any]) -> Optional[str]:
    text = d.get("text") or ""
    start, end = e.get("start"), e.get("end")
    if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text):
        return text[start:end]
    return None


def _bot(event_id: int, ts, d: Dict[str, Any]) -> Item:
    data = d.get("data") or {}
    buttons = [b for b in (data.get("buttons") or []) if isinstance(b, dict)]
    quick = [b for b in (data.get("quick_replies") or []) if isinstance(b, dict)]
    return Item("bot", ts, event_id, {
        "text": d.get("text") or "",
        "buttons": [{"title": b.get("title") or "", "payload": b.get("payload") or ""} for b in buttons + quick],
        "image": data.get("image"),
        "attachment": data.get("attachment"),
        "custom": data.get("custom"),
        "utter_action": (d.get("metadata") or {}).get("utter_action"),
    })


def build(events) -> List[Turn]:
    """``events``: (id, type_name, timestamp, data dict) in id order."""
    turns: List[Turn] = [Turn(None)]
    for event_id, type_name, ts, d in events:
        ts = d.get("timestamp", ts)
        if type_name == "user":
            turns.append(Turn(_user(event_id, ts, d)))
            continue
        cur = turns[-1]
        if type_name == "bot":
            cur.items.append(_bot(event_id, ts, d))
        elif type_name == "action":
            name = d.get("name") or ""
            if name not in HIDDEN_ACTIONS:
                cur.items.append(Item("action", ts, event_id, {
                    "name": name, "policy": d.get("policy"), "confidence": d.get("confidence")}))
        elif type_name == "slot":
            name = d.get("name")
            kind = "assessment" if name == "assessment" and isinstance(d.get("value"), dict) else "slot"
            cur.items.append(Item(kind, ts, event_id, {"name": name, "value": d.get("value")}))
        elif type_name == "session_started":
            if cur.user is None and not cur.items and len(turns) == 1:
                cur.items.append(Item("session", ts, event_id))
            else:
                turns.append(Turn(None, [Item("session", ts, event_id)]))
        elif type_name == "restart":
            cur.items.append(Item("restart", ts, event_id))
        elif type_name in ("user_featurization", "action_execution_rejected"):
            continue
        else:
            cur.items.append(Item("other", ts, event_id, {"type": type_name}))
    if turns[0].user is None and not turns[0].items:
        turns.pop(0)
    return turns
