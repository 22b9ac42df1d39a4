"""Rasa 3.6 entity extractor for enumerated Japanese entities (lender_type, procedure).

Patterns come from the training data: every element of a lookup table named after an
entity, and every annotated example of that entity. Each pattern resolves to its
synonym value (「アコム」→ consumer_finance), so no EntitySynonymMapper is needed.

Why not Rasa's RegexEntityExtractor with lookup tables: it returns overlapping matches
(「カード」 inside 「カードローン」 gives credit_card and bank_card_loan at once), its
``\\b`` word boundaries never match inside Japanese, and it matches raw characters, so
「ＡＣＯＭ」「ﾌﾟﾛﾐｽ」「ぷろみす」 miss 「ACOM」「プロミス」. Here text and patterns are both
folded (NFKC, lower case, katakana→hiragana) with a map back to the original offsets,
matches are leftmost-longest and never overlap, and a match must start and end on
token boundaries so 「親」 does not fire inside 「親切」.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from typing import Any, Dict, List, Optional, Tuple

import rasa.shared.utils.io
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
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
from rasa.shared.nlu.training_data.training_data import TrainingData

logger = logging.getLogger(__name__)

_VOICED_MARKS = ("\uff9e", "\uff9f")  # half-width ﾞ ﾟ combine with the kana before them
PATTERNS_FILE = "patterns.json"


def fold(text: str) -> Tuple[str, List[int]]:
    """Fold ``text`` for matching; return the folded text and, per folded character,
    the index of the original character it came from."""
    out: List[str] = []
    origin: List[int] = []
    i = 0
    while i < len(text):
        j = i + 1
        if j < len(text) and text[j] in _VOICED_MARKS:
            j += 1  # ﾌﾟ -> プ: normalise the pair together
        piece = unicodedata.normalize("NFKC", text[i:j]).lower()
        for ch in piece:
            code = ord(ch)
            if 0x30A1 <= code <= 0x30F6:  # katakana -> hiragana
                ch = chr(code - 0x60)
            out.append(ch)
            origin.append(i)
        i = j
    return "".join(out), origin


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True
)
class JapaneseLookupExtractor(GraphComponent, EntityExtractorMixin):
    """Extracts enumerated entities from lookup tables and annotations, width-folded."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {
            # entities to extract; each needs a lookup table or annotated examples
            "entities": ["lender_type", "procedure"],
            # patterns shorter than this (after folding) are ignored as too ambiguous
            "min_pattern_length": 2,
            "require_token_boundaries": True,
        }

    @staticmethod
    def supported_languages() -> List[str]:
        return ["ja"]

    def __init__(
        self,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        patterns: Optional[Dict[str, List[str]]] = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        # folded pattern -> [entity, value]
        self.patterns: Dict[str, List[str]] = patterns or {}
        self._regex = self._compile(self.patterns)

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> JapaneseLookupExtractor:
        return cls(config, model_storage, resource)

    @staticmethod
    def _compile(patterns: Dict[str, List[str]]) -> Optional[re.Pattern]:
        if not patterns:
            return None
        ordered = sorted(patterns, key=lambda p: (-len(p), p))  # longest first
        return re.compile("|".join(re.escape(p) for p in ordered))

    def train(self, training_data: TrainingData) -> Resource:
        entities = set(self._config["entities"])
        synonyms = {k.lower(): v for k, v in training_data.entity_synonyms.items()}
        patterns: Dict[str, List[str]] = {}

        def add(surface: str, entity: str, value: str) -> None:
            key, _ = fold(surface.strip())
            if len(key) < self._config["min_pattern_length"]:
                return
            if key in patterns and patterns[key] != [entity, value]:
                logger.warning(
                    f"JapaneseLookupExtractor: 「{surface}」 is both {patterns[key]} and "
                    f"{[entity, value]}; keeping the first."
                )
                return
            patterns[key] = [entity, value]

        for table in training_data.lookup_tables:
            if table["name"] not in entities:
                continue
            for element in table["elements"]:
                add(element, table["name"], synonyms.get(element.lower(), element))
        for example in training_data.entity_examples:
            for ent in example.get(ENTITIES, []):
                if ent[ENTITY_ATTRIBUTE_TYPE] in entities:
                    surface = example.get(TEXT)[
                        ent[ENTITY_ATTRIBUTE_START] : ent[ENTITY_ATTRIBUTE_END]
                    ]
                    value = ent.get(ENTITY_ATTRIBUTE_VALUE, surface)
                    add(surface, ent[ENTITY_ATTRIBUTE_TYPE], synonyms.get(value.lower(), value))
        if not patterns:
            rasa.shared.utils.io.raise_warning(
                f"JapaneseLookupExtractor: no lookup table or annotation for {sorted(entities)}."
            )
        self.patterns = patterns
        self._regex = self._compile(patterns)
        self.persist()
        return self._resource

    def persist(self) -> None:
        with self._model_storage.write_to(self._resource) as model_dir:
            rasa.shared.utils.io.dump_obj_as_json_to_file(
                model_dir / PATTERNS_FILE, self.patterns
            )

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> JapaneseLookupExtractor:
        try:
            with model_storage.read_from(resource) as model_dir:
                patterns = rasa.shared.utils.io.read_json_file(model_dir / PATTERNS_FILE)
        except (ValueError, FileNotFoundError):
            logger.warning("JapaneseLookupExtractor: no stored patterns; extracting nothing.")
            patterns = {}
        return cls(config, model_storage, resource, patterns)

    def extract(self, text: str, tokens: Optional[List[Any]] = None) -> List[Dict[str, Any]]:
        if not text or self._regex is None:
            return []
        folded, origin = fold(text)
        starts = ends = None
        if tokens and self._config["require_token_boundaries"]:
            starts = {t.start for t in tokens}
            ends = {t.end for t in tokens}
        found = []
        for m in self._regex.finditer(folded):
            start = origin[m.start()]
            end = origin[m.end() - 1] + 1
            while end < len(text) and text[end] in _VOICED_MARKS:
                end += 1
            if starts is not None and (start not in starts or end not in ends):
                continue
            entity, value = self.patterns[m.group(0)]
            found.append(
                {
                    ENTITY_ATTRIBUTE_TYPE: entity,
                    ENTITY_ATTRIBUTE_START: start,
                    ENTITY_ATTRIBUTE_END: end,
                    ENTITY_ATTRIBUTE_VALUE: value,
                    ENTITY_ATTRIBUTE_CONFIDENCE: 1.0,
                }
            )
        return found

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            found = self.extract(message.get(TEXT), message.get(TOKENS_NAMES[TEXT]))
            if found:
                message.set(
                    ENTITIES,
                    message.get(ENTITIES, []) + self.add_extractor_name(found),
                    add_to_output=True,
                )
        return messages
