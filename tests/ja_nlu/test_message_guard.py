"""The message guard: distress anywhere, other languages, emoji only (issue 15)."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from ja_nlu.message_guard import DATA, DISTRESS, EMOJI_ONLY, OTHER_LANGUAGE, guard

SPEC = yaml.safe_load(DATA.read_text(encoding="utf-8"))
CHECKS = {"distress": "is_distress", "other_language": "is_other_language", "emoji_only": "is_emoji_only"}


@pytest.mark.parametrize("kind, text", [(k, e) for k in CHECKS for e in SPEC[k]["examples"]])
def test_every_listed_example_is_recognised(kind, text):
    assert getattr(guard(), CHECKS[kind])(text), text


@pytest.mark.parametrize("kind, text", [(k, e) for k in CHECKS for e in SPEC[k]["not_examples"]])
def test_every_listed_counter_example_is_left_alone(kind, text):
    assert not getattr(guard(), CHECKS[kind])(text), text


@pytest.mark.parametrize("text", [
    "ｼﾆﾀｲ",                       # half-width katakana
    "もう消えてしまいたいです…",
    "目が覚めなければいいのに",
    "線路に飛び込もうかと思った",
    "首をつることばかり考えてしまう",
    "死んで保険金で返すしかないのかな",
])
def test_implicit_and_oddly_typed_distress(text):
    assert guard().override(text) == DISTRESS


STORY = ("夫に内緒でカードローンを使っていて、気づいたら4社で280万円になっていました。毎月の返済は9万円で、"
         "パートの給料は手取り13万円です。子どもの学費もあり、どうしたらいいかわかりません。")


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=40), st.sampled_from(SPEC["distress"]["examples"]))
def test_distress_is_found_inside_a_long_story(position, phrase):
    # a 3,000-character paste with the phrase somewhere in it
    parts = [STORY] * 40
    parts.insert(position, phrase + "。")
    text = "".join(parts)[:3300]
    if phrase not in text:
        text = text[:3100] + phrase
    assert len(text) >= 3000
    assert guard().override(text) == DISTRESS


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("借金返済任意整理自己破産費用いくらですか300万円アコムプロミス毎月手取り")),
               min_size=1, max_size=80))
def test_ordinary_japanese_is_never_overridden(text):
    assert guard().override(text) is None


def test_button_payloads_are_never_overridden():
    assert guard().override('/inform{"answer_field": "cause"}') is None


def test_english_and_emoji():
    assert guard().override("I have a lot of debt, what should I do?") == OTHER_LANGUAGE
    assert guard().override("🙏🙏") == EMOJI_ONLY
    assert guard().override("ACOMとプロミス") is None
