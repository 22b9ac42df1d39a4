"""Rasa 3.6 intent override for messages a learned classifier must not decide alone.

Placed after the intent classifier in config.yml. It changes the predicted intent only
in three cases, each listed with its patterns in ``data/message_guard.yml``:

* **distress**: thoughts of death or self-harm, explicit or implicit (消えたい,
  朝が来なければ, 電車に飛び込みたい…), anywhere in the message, also inside a
  3,000-character story. A bag-of-words classifier averages such a phrase away in a long
  message; safety cannot depend on that (product.md: hotlines before anything else).
* **other_language**: no Japanese letters and a few words in another script.
* **emoji_only**: no letters or digits at all (emoji, symbols, punctuation).

Why hand-written: these are a few fixed phrase lists that staff must be able to read and
extend, and a miss costs too much to leave to a statistical model; Rasa's
RegexFeaturizer only adds features (the classifier may still ignore them) and its
RegexEntityExtractor yields entities, not intents. The override keeps the classifier's
ranking below the forced intent, so the console still shows what the model thought.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional

import yaml
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

DATA = Path(__file__).resolve().parent / "data" / "message_guard.yml"
DISTRESS, OTHER_LANGUAGE, EMOJI_ONLY = "express_distress", "other_language", "emoji_only"

_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uff66-\uff9f]")
_LATIN = re.compile(r"[A-Za-z]")
_OTHER_SCRIPT = re.compile(r"[\uac00-\ud7af\u0400-\u04ff\u0e00-\u0e7f\u0600-\u06ff\u0900-\u097f]")  # Hangul, Cyrillic, Thai, Arabic, Devanagari
_WORD = re.compile(r"[A-Za-z\uac00-\ud7af\u0400-\u04ff\u0e00-\u0e7f\u0600-\u06ff\u0900-\u097f]+")


def fold(text: str) -> str:
    """NFKC, lower case, katakana -> hiragana: 「ｼﾆﾀｲ」「シニタイ」 read as 「しにたい」."""
    out = []
    for ch in unicodedata.normalize("NFKC", text or "").lower():
        code = ord(ch)
        out.append(chr(code - 0x60) if 0x30A1 <= code <= 0x30F6 else ch)
    return "".join(out)


class Guard:
    """The three checks, from the data file; pure Python so tests and the actions can use it."""

    def __init__(self, data: Dict[str, Any]) -> None:
        d = data["distress"]
        self._distress = re.compile("|".join(f"(?:{fold(p)})" for p in d["patterns"]))
        self._except = re.compile("|".join(f"(?:{fold(p)})" for p in d.get("except") or ["(?!)"]))
        lang = data["other_language"]
        self._min_latin = int(lang["min_latin_letters"])
        self._min_words = int(lang["min_words"])

    def is_distress(self, text: str) -> bool:
        folded = fold(text)
        for m in self._distress.finditer(folded):
            around = folded[max(0, m.start() - 10):m.end() + 10]
            if not self._except.search(around):
                return True
        return False

    def is_other_language(self, text: str) -> bool:
        t = unicodedata.normalize("NFKC", text or "")
        if _JAPANESE.search(t):
            return False
        if _OTHER_SCRIPT.search(t):
            return True
        return len(_LATIN.findall(t)) >= self._min_latin and len(_WORD.findall(t)) >= self._min_words

    @staticmethod
    def is_emoji_only(text: str) -> bool:
        t = (text or "").strip()
        if not t:
            return False
        return not any(unicodedata.category(ch)[0] in "LN" for ch in t)

    def override(self, text: str) -> Optional[str]:
        """The intent this message must have, or None to keep the classifier's."""
        if text.startswith("/"):
            return None            # a button payload
        if self.is_distress(text):
            return DISTRESS
        if self.is_emoji_only(text):
            return EMOJI_ONLY
        if self.is_other_language(text):
            return OTHER_LANGUAGE
        return None


@lru_cache(maxsize=1)
def guard() -> Guard:
    """Loaded once per process."""
    with open(DATA, encoding="utf-8") as fh:
        return Guard(yaml.safe_load(fh))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class MessageGuard(GraphComponent):
    """Forces express_distress, other_language or emoji_only where data/message_guard.yml says."""

    @staticmethod
    def supported_languages() -> List[str]:
        return ["ja"]

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {}

    @classmethod
    def create(cls, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> MessageGuard:
        return cls()

    def __init__(self) -> None:
        self._guard = guard()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            forced = self._guard.override(message.get(TEXT) or "")
            if forced is None:
                continue
            top = {INTENT_NAME_KEY: forced, PREDICTED_CONFIDENCE_KEY: 1.0}
            ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get(INTENT_NAME_KEY) != forced]
            message.set(INTENT, top, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [top] + ranking, add_to_output=True)
        return messages
