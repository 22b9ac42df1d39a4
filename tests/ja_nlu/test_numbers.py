"""The number parser: spec examples, traps, and round-trip properties."""

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ja_nlu.numbers import NumberFormatError, find_numbers, parse_number

TODAY = datetime.date(2026, 11, 23)
DIGITS = "〇一二三四五六七八九"


def found(text):
    return [(m.entity, m.text, m.value) for m in find_numbers(text, TODAY)]


@pytest.mark.parametrize(
    "text, expected",
    [
        # intents.md, amount
        ("300万円", [("amount", "300万円", 3000000)]),
        ("三百万", [("amount", "三百万", 3000000)]),
        ("３００万", [("amount", "３００万", 3000000)]),
        ("1,200,000円", [("amount", "1,200,000円", 1200000)]),
        ("150万くらい", [("amount", "150万", 1500000)]),
        ("1億2千万", [("amount", "1億2千万", 120000000)]),
        # count
        ("5社", [("count", "5社", 5)]),
        ("三件", [("count", "三件", 3)]),
        ("２人", [("count", "２人", 2)]),
        # year
        ("2005年", [("year", "2005年", 2005)]),
        ("平成17年", [("year", "平成17年", 2005)]),
        ("H17", [("year", "H17", 2005)]),
        ("昭和63年", [("year", "昭和63年", 1988)]),
        ("令和2年", [("year", "令和2年", 2020)]),
        ("15年前", [("year", "15年前", 2011)]),
        ("平成元年", [("year", "平成元年", 1989)]),
        # percent
        ("29.2%", [("percent", "29.2%", 29.2)]),
        ("年18パーセント", [("percent", "18パーセント", 18.0)]),
        ("18％", [("percent", "18％", 18.0)]),
    ],
)
def test_spec_examples(text, expected):
    assert found(text) == expected


def test_question_carrying_facts():
    assert found("消費者金融3社で200万、任意整理できますか") == [
        ("count", "3社", 3), ("amount", "200万", 2000000)]


@pytest.mark.parametrize(
    "text",
    ["千葉に住んでいます", "十分に払えない", "万が一のとき", "一番いい方法", "5年で返済", "12年経つけど",
     "三井住友カード", "iPhone15の分割", "2005-04-01,500000,0", "PS5を買った"],
)
def test_words_that_are_not_numbers(text):
    assert found(text) == []


def test_offsets_index_the_original_text():
    text = "ＡＣＯＭで計２５０万、年２９．２％、平成１７年から"
    for m in find_numbers(text, TODAY):
        assert text[m.start:m.end] == m.text
    assert found(text) == [("amount", "２５０万", 2500000), ("percent", "２９．２％", 29.2),
                           ("year", "平成１７年", 2005)]


def test_story_with_many_numbers():
    text = "2005年ごろからアコムで50万、レイクで30万借りて、月3万5千円返してます。3社です。"
    assert found(text) == [("year", "2005年", 2005), ("amount", "50万", 500000),
                           ("amount", "30万", 300000), ("amount", "3万5千円", 35000),
                           ("count", "3社", 3)]


@pytest.mark.parametrize("bad", ["十十", "万万", "百千", "1,2", ""])
def test_malformed_runs_raise(bad):
    with pytest.raises(NumberFormatError):
        parse_number(bad)


def test_long_text_is_fine():
    text = "借金は300万円です。" * 2000
    assert len(find_numbers(text, TODAY)) == 2000


# ---- properties -------------------------------------------------------------------

def kanji_below_10000(n: int) -> str:
    out = ""
    for unit, char in ((1000, "千"), (100, "百"), (10, "十")):
        d, n = divmod(n, unit)
        if d:
            out += ("" if d == 1 else DIGITS[d]) + char
    if n:
        out += DIGITS[n]
    return out


def to_kanji(n: int) -> str:
    if n == 0:
        return "〇"
    out = ""
    for unit, char in ((10**12, "兆"), (10**8, "億"), (10**4, "万")):
        d, n = divmod(n, unit)
        if d:
            out += kanji_below_10000(d) + char
    return out + kanji_below_10000(n)


def to_mixed(n: int) -> str:
    """Arabic digits with kanji big units: 1億2000万3456."""
    out = ""
    for unit, char in ((10**12, "兆"), (10**8, "億"), (10**4, "万")):
        d, n = divmod(n, unit)
        if d:
            out += str(d) + char
    return out + (str(n) if n else "")


def to_fullwidth(s: str) -> str:
    return s.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789,"})


integers = st.integers(min_value=1, max_value=10**13 - 1)


@given(integers)
def test_kanji_round_trip(n):
    assert parse_number(to_kanji(n)) == n
    assert found(to_kanji(n) + "円") == [("amount", to_kanji(n) + "円", n)]


@given(integers)
def test_mixed_units_round_trip(n):
    assert parse_number(to_mixed(n)) == n


@given(integers)
def test_comma_grouped_yen_round_trip(n):
    text = f"{n:,}円"
    assert found(text) == [("amount", text, n)]
    wide = to_fullwidth(f"{n:,}") + "円"
    assert found(wide) == [("amount", wide, n)]


@given(st.integers(min_value=1, max_value=999), st.sampled_from(["社", "件", "人", "名"]))
def test_counts_round_trip(n, counter):
    for written in (str(n), to_kanji(n), to_fullwidth(str(n))):
        assert found(f"{written}{counter}") == [("count", f"{written}{counter}", n)]


@given(st.integers(min_value=1, max_value=30))
def test_heisei_years(n):
    assert found(f"平成{n}年")[0][2] == 1988 + n
    assert found(f"H{n}")[0][2] == 1988 + n


@given(st.integers(min_value=1950, max_value=2099))
def test_western_years(year):
    assert found(f"{year}年から借りています") == [("year", f"{year}年", year)]


@given(st.integers(min_value=1, max_value=60))
def test_relative_years(n):
    assert found(f"{n}年前に完済")[0][2] == TODAY.year - n
