"""The guided conversations send only sentences from the phrases files: every sentence the
code asks for exists, every sentence the lawyers review is used, and an edit in the data
is what the visitor reads."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest

from conversation import booking_flow, dialogue
from conversation.model import State
from debt_rules import knowledge

ROOT = Path(__file__).resolve().parents[2]
SOURCES = {"dialogue": ROOT / "conversation" / "dialogue.py",
           "booking": ROOT / "conversation" / "booking_flow.py"}
# phrase groups read as a whole (labels by key) rather than one sentence at a time
WHOLE_GROUPS = {"fit": "dialogue", "overpayment_likelihood": "dialogue", "booking_method": "booking"}
BUTTON_GROUPS = {"buttons": "dialogue", "booking_buttons": "booking"}


def _phrases():
    return knowledge._get().data["phrases"]


def _used_keys(source: str):
    """``group.name`` literals and ``_button("name"`` calls in a module's source."""
    keys = set(re.findall(r'"([a-z_]+\.[a-z0-9_]+)"', source))
    buttons = set(re.findall(r'_button\("([a-z_]+)"', source))
    return keys, buttons


def test_every_sentence_the_code_asks_for_exists():
    phrases = _phrases()
    for module, path in SOURCES.items():
        keys, buttons = _used_keys(path.read_text(encoding="utf-8"))
        for key in keys:
            group, name = key.split(".")
            if group in phrases:
                assert name in phrases[group], f"{path.name} asks for {key}, not in the phrases"
        group = "buttons" if module == "dialogue" else "booking_buttons"
        for name in buttons:
            assert name in phrases[group], f"{path.name} asks for button {name}"


def test_every_sentence_in_the_phrases_is_used():
    """A lawyer reviews no sentence that nobody sends."""
    sources = {m: p.read_text(encoding="utf-8") for m, p in SOURCES.items()}
    for group, entries in _phrases().items():
        if group in WHOLE_GROUPS:
            assert f'phrase_group("{group}")' in sources[WHOLE_GROUPS[group]], group
            continue
        if group in BUTTON_GROUPS:
            _, buttons = _used_keys(sources[BUTTON_GROUPS[group]])
            assert set(entries) == buttons, f"{group}: unused {set(entries) - buttons}"
            continue
        used = set().union(*(_used_keys(s)[0] for s in sources.values()))
        for name in entries:
            assert f"{group}.{name}" in used, f"phrases.{group}.{name} is never sent"


def test_no_japanese_sentence_is_left_in_the_flow_modules():
    japanese = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
    for path in SOURCES.values():
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            for literal in re.findall(r'(?<![rR])"([^"]*)"', code):
                if japanese.search(literal) and not line.lstrip().startswith(('"""', "r\"")):
                    pytest.fail(f"{path.name}:{lineno}: visitor text in code: {literal}")


def test_module_constants_still_read_the_data():
    assert booking_flow.CONSENT_TEXT == knowledge.phrase("booking.consent")
    assert booking_flow.WITHDRAW_HINT == knowledge.phrase("booking.withdraw_hint")
    assert booking_flow.METHOD_LABELS == {"phone": "電話", "email": "メール", "line": "LINE"}
    assert dialogue.FIT_LABELS == {"recommended": "向いています", "possible": "検討できます",
                                   "unsuitable": "難しいと考えられます"}
    assert set(dialogue.LIKELIHOOD_LABELS) == {"likely", "possible", "time_barred", "unknown", "unlikely"}
    with pytest.raises(AttributeError):
        dialogue.NO_SUCH_CONSTANT


@pytest.fixture
def edited(monkeypatch):
    """The loaded knowledge with some phrases changed, as if a lawyer had edited them."""
    k = knowledge._get()
    data = copy.deepcopy(k.data)
    data["phrases"]["stop"]["other"]["text"] = "（改訂）承知しました。"
    data["phrases"]["booking"]["consent"]["text"] = "（改訂）同意の文です。"
    data["phrases"]["buttons"]["ask_capabilities"]["text"] = "（改訂）相談できること"
    monkeypatch.setattr(knowledge, "_cache", knowledge._Knowledge(data, k.version))


def test_what_the_visitor_reads_is_the_data(edited):
    r = dialogue.stop(State())
    assert r.messages[0].text == "（改訂）承知しました。"
    assert r.messages[0].buttons[1].title == "（改訂）相談できること"
    assert booking_flow.CONSENT_TEXT == "（改訂）同意の文です。"
    consent = booking_flow._consent_question()
    assert consent.text.startswith("（改訂）同意の文です。")
