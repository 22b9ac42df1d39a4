"""Turning debt_rules results into Rasa messages (text and quick-reply buttons)."""

from __future__ import annotations

import json
from typing import Any, Dict, Iterable, List, Optional

from rasa_sdk.executor import CollectingDispatcher


def payload(intent: str, entities: Optional[Dict[str, Any]] = None) -> str:
    """A button payload Rasa parses without NLU: ``/intent{"entity": "value"}``."""
    if not entities:
        return f"/{intent}"
    return f"/{intent}{json.dumps(entities, ensure_ascii=False, separators=(',', ':'))}"


def topic_buttons(buttons: Iterable[Dict[str, Any]]) -> List[Dict[str, str]]:
    return [
        {"title": b["title"], "payload": payload(b["intent"], b.get("entities") or None)}
        for b in buttons
    ]


def utter_messages(
    dispatcher: CollectingDispatcher,
    messages: List[str],
    buttons: Optional[List[Dict[str, str]]] = None,
) -> None:
    """One message per idea; buttons ride on the last one (LINE shows only those)."""
    for i, text in enumerate(messages):
        last = i == len(messages) - 1
        if last and buttons:
            dispatcher.utter_message(text=text, buttons=buttons)
        else:
            dispatcher.utter_message(text=text)
