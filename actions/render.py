"""Turning debt_rules messages into Rasa messages (text and quick-reply buttons)."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

from rasa_sdk.executor import CollectingDispatcher

from conversation.model import Button, Message


def payload(intent: str, entities: Optional[Dict[str, Any]] = None) -> str:
    """A button payload Rasa parses without NLU: ``/intent{"entity":"value"}``."""
    if not entities:
        return f"/{intent}"
    return f"/{intent}{json.dumps(entities, ensure_ascii=False, separators=(',', ':'))}"


def topic_messages(topic) -> List[Message]:
    """A knowledge topic as messages, its buttons on the last one."""
    messages = [Message(text) for text in topic.messages]
    if messages:
        messages[-1].buttons = [Button(b["title"], b["intent"], b.get("entities") or {})
                                for b in topic.buttons]
    return messages


def send_messages(dispatcher: CollectingDispatcher, messages: List[Message]) -> None:
    """One message per idea; buttons ride on the message that carries them (LINE shows
    only the last message's quick replies, so flows put them last)."""
    for m in messages:
        kwargs = {"private": True} if m.private else {}   # privacy/tracker_store.py redacts these
        buttons = [{"title": b.title, "payload": payload(b.intent, b.entities)} for b in m.buttons]
        if buttons:
            dispatcher.utter_message(text=m.text, buttons=buttons, **kwargs)
        else:
            dispatcher.utter_message(text=m.text, **kwargs)
