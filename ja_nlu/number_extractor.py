"""Rasa 3.6 entity extractor for Japanese numbers: amount, count, year, percent.

A thin wrapper around :func:`ja_nlu.numbers.find_numbers`; see that module for what is
recognised and how values resolve (「三百万」→3000000, 「平成17年」→2005, 「15年前」→this
year − 15). Rule-based and not trainable: these entities should not be annotated for
DIET as well, or they would come out twice.
"""

from __future__ import annotations

import datetime
from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_CONFIDENCE,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from ja_nlu.numbers import find_numbers

ENTITY_TYPES = ("amount", "count", "year", "percent")


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False
)
class JapaneseNumberExtractor(GraphComponent, EntityExtractorMixin):
    """Extracts amount, count, year and percent from Japanese text."""

    @staticmethod
    def supported_languages() -> List[str]:
        return ["ja"]

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        # which of amount, count, year, percent to extract
        return {"entities": list(ENTITY_TYPES)}

    def __init__(self, config: Dict[str, Any]) -> None:
        self.entity_types = set(config.get("entities") or ENTITY_TYPES)
        unknown = self.entity_types - set(ENTITY_TYPES)
        if unknown:
            raise ValueError(
                f"JapaneseNumberExtractor: 未対応のエンティティ {sorted(unknown)}"
                f"（対応: {list(ENTITY_TYPES)}）"
            )

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> JapaneseNumberExtractor:
        return cls(config)

    def extract(self, text: str) -> List[Dict[str, Any]]:
        today = datetime.date.today()
        return [
            {
                ENTITY_ATTRIBUTE_TYPE: m.entity,
                ENTITY_ATTRIBUTE_START: m.start,
                ENTITY_ATTRIBUTE_END: m.end,
                ENTITY_ATTRIBUTE_VALUE: m.value,
                ENTITY_ATTRIBUTE_CONFIDENCE: 1.0,
            }
            for m in find_numbers(text, today)
            if m.entity in self.entity_types
        ]

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not text:
                continue
            found = self.add_extractor_name(self.extract(text))
            if found:
                message.set(
                    ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True
                )
        return messages
