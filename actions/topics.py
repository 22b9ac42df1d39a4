"""Answers to the topic questions, rendered from debt_rules.knowledge."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.render import topic_buttons, utter_messages
from debt_rules import knowledge


def latest_entity(tracker: Tracker, name: str) -> Any:
    return next(tracker.get_latest_entity_values(name), None)


class ActionAnswerTopic(Action):
    """Answers the intent of the latest message with the office's prepared text."""

    def name(self) -> Text:
        return "action_answer_topic"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        intent = (tracker.latest_message.get("intent") or {}).get("name") or "nlu_fallback"
        if intent == "nlu_fallback":
            intent = "fallback"
        if not knowledge.has_topic(intent):
            dispatcher.utter_message(
                text="申し訳ありません。このご質問へのお答えはまだ用意できていません。"
                "事務所のスタッフが会話を確認し、必要に応じてご連絡します。"
            )
            return []
        topic = knowledge.topic(intent, procedure=latest_entity(tracker, "procedure"))
        utter_messages(dispatcher, topic.messages, topic_buttons(topic.buttons))
        return []
