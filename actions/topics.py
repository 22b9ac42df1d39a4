"""Answers to the topic questions, rendered from debt_rules.knowledge."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.booking import run_step
from actions.render import send_messages, topic_messages
from actions.state import state_of
from conversation import booking_flow, dialogue
from debt_rules import knowledge

URGENT_INTENTS = {"ask_lawsuit_seizure", "ask_loan_shark", "ask_ignore_demand"}


class ActionAnswerTopic(Action):
    """Answers the latest message's intent with the office's prepared text; when a guided
    flow was interrupted by the question, asks its pending question again after."""

    def name(self) -> str:
        return "action_answer_topic"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[str, Any]) -> List[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name") or "fallback"
        state = state_of(tracker)
        text = tracker.latest_message.get("text") or ""
        if booking_flow.captures(state, intent, text):
            # a name or an address the NLU took for a topic: it answers the booking question
            return run_step(dispatcher, tracker, state, intent, text,
                            tracker.latest_message.get("entities") or [])
        procedure = next(tracker.get_latest_entity_values("procedure"), None)
        if not knowledge.has_topic(intent):
            dispatcher.utter_message(
                text="申し訳ありません。このご質問へのお答えはまだ用意できていません。"
                "事務所のスタッフが会話を確認し、必要に応じてご連絡します。"
            )
            return []
        # the text picks a by_keyword variant (車, 家族…) when the entry has one
        messages = topic_messages(knowledge.topic(intent, procedure=procedure, text=text))
        pending = dialogue.pending_question(state)
        if pending is not None:
            messages.append(pending)
        send_messages(dispatcher, messages)
        return [SlotSet("urgent_flag", True)] if intent in URGENT_INTENTS else []
