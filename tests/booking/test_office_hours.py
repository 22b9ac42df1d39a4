"""Preferred consultation times read against the office hours (booking/office_hours.py)."""

from __future__ import annotations

import pytest

from booking.office_hours import parse_time

# ---- preferred times from the office hours -------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("火曜の午後", "火曜 13〜17時"),
    ("平日の夜", "平日 17〜19時"),
    ("月曜 15時", "月曜 15時ごろ"),
    ("夕方6時ごろ", "平日 18時ごろ"),
    ("週末", "土曜 10〜16時"),
    ("いつでも大丈夫です", "いつでもよい"),
])
def test_preferred_times_are_read_within_office_hours(text, expected):
    assert parse_time(text) == (expected, None)


@pytest.mark.parametrize("text, why", [
    ("日曜", "日曜・祝日はお休みです。"),
    ("平日の朝7時", "その日時は受付時間外です。"),
    ("明日", "ご希望の日時が読み取れませんでした。"),
])
def test_times_the_office_cannot_take_are_explained(text, why):
    assert parse_time(text) == (None, why)
