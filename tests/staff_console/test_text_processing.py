"""Search normalisation and bigrams and the export formats (masking and pseudonyms: tests/privacy/test_pii.py)."""

from __future__ import annotations

import csv
import io
import re

import pytest

from staff_console import exports, search


def test_fold_makes_full_width_and_case_comparable():
    assert search.fold("ＬＩＮＥで３００万") == "lineで300万"
    assert search.fold("ｶﾞｲﾄﾞ") == "ガイド"


def test_bigram_document_keeps_runs_and_messages_apart():
    doc = search.document_grams("任意整理を断られました\n借金。破産")
    grams = doc.split(" ")
    assert "断ら" in grams and "られ" in grams
    # the end of one message never forms a bigram with the start of the next
    assert "た借" not in grams and "金破" not in grams
    assert search.BOUNDARY in grams


def test_fts_query_is_a_phrase_of_bigrams_and_never_fts_syntax():
    assert search.fts_query("断られ") == '"断ら られ"'
    assert search.fts_query("金") is None                   # one character: scanned instead
    q = search.fts_query('" OR 1=1 NEAR(a b) *')
    # only quoted phrases of two-character letter/digit tokens, joined by AND
    assert q == '"or" AND "ne ea ar"'
    assert re.fullmatch(r'"\w\w( \w\w)*"( AND "\w\w( \w\w)*")*', q)


def test_single_run_terms_need_no_verification():
    assert search.is_single_run(search.fold("断られ"))
    assert not search.is_single_run(search.fold("断られ。"))
    assert not search.is_single_run("金")


def test_snippet_shows_the_matching_message():
    text = "こんにちは\n任意整理を断られました"
    assert search.snippet(text, "断られ") == "任意整理を断られました"


def test_csv_cells_never_become_formulas():
    buf = io.StringIO()
    csv.writer(buf).writerow([exports._cell(v) for v in ("=HYPERLINK(\"x\")", "+1", "-2", "@SUM(A1)", "普通")])
    row = next(csv.reader(io.StringIO(buf.getvalue())))
    assert row == ["'=HYPERLINK(\"x\")", "'+1", "'-2", "'@SUM(A1)", "普通"]


class _Corr:
    def __init__(self, text, intent):
        self.text, self.corrected_intent = text, intent


def test_corrections_yaml_is_rasa_training_data(tmp_path):
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

    rows = [_Corr("任意整理を断られました", "ask_settlement_refused"),
            _Corr("任意整理を断られました", "ask_settlement_refused"),            # duplicate
            _Corr("電話は090-1234-5678です。人と話したい", "request_human"),
            _Corr("[これ](ほんとう) の意味", "out_of_scope"),
            _Corr("  改行\nまじり  ", "inform")]
    text = exports.corrections_yaml(rows)
    data = RasaYAMLReader().reads(text)
    examples = {(m.get("intent"), m.get("text")) for m in data.intent_examples}
    assert ("ask_settlement_refused", "任意整理を断られました") in examples
    assert ("request_human", "電話は［電話番号］です。人と話したい") in examples
    assert ("inform", "改行 まじり") in examples
    assert len(data.intent_examples) == 4
    assert not data.entity_examples  # the bracketed text was not read as an entity annotation
    assert "090-1234" not in text


@pytest.mark.parametrize("primary, summary, shown", [
    ("bankruptcy", {}, "自己破産"),
    (None, {"diagnosed": True, "candidates": ["individual_rehabilitation", "bankruptcy"]},
     "未決定（候補：個人再生・自己破産）"),
    (None, {"diagnosed": True, "candidates": []}, "未決定"),
    (None, {"diagnosed": False}, "未診断"),
    (None, None, "未診断"),
])
def test_a_booking_shows_what_the_diagnosis_recommended_or_could_not_decide(primary, summary, shown):
    """Seen in the console: a visitor whose diagnosis named two candidates showed as 未診断."""
    from staff_console.labels import booking_summary, recommendation_label

    assert recommendation_label(primary, summary) == shown
    rows = dict(booking_summary({**(summary or {}), "primary": primary}))
    assert rows["推奨された手続き"] == shown and "candidates" not in rows and "diagnosed" not in rows
