"""Japanese numbers in free text: amounts, counts, calendar years and percentages.

Pure Python, no Rasa import, so the parser can be tested (and property-tested) alone.
The Rasa component in :mod:`ja_nlu.number_extractor` only wraps :func:`find_numbers`.

What is recognised (values as shared/spec/intents.md resolves them):

* ``amount``  「300万円」「三百万」「３００万」「1,200,000円」「1億2千万」「3万5千円」 -> int yen.
  A number is an amount when it carries a big unit (万, 億, 兆) or is followed by 円.
* ``count``   「5社」「三件」「２人」 -> int (counters: 社 件 人 名 か所 ヶ所 箇所 口).
* ``year``    「2005年」「平成17年」「H17」「昭和63年」「令和元年」「15年前」 -> western year.
  A bare duration (「5年」「12年経つ」) is not a year.
* ``percent`` 「29.2%」「18％」「18パーセント」 -> float.

Spans cover the number with its unit or counter (「300万円」, 「5社」, 「平成17年」, 「15年前」),
never the approximations around it (約, 計, くらい). Offsets always index the original
text: full-width digits are folded one character for one character, so no offset moves.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import List, Optional, Union

Number = Union[int, float]

# Full-width digits, letters and signs fold to ASCII one char for one char (offsets stay).
_FOLD = {0xFF10 + i: 0x30 + i for i in range(10)}
_FOLD.update({0xFF21 + i: 0x41 + i for i in range(26)})
_FOLD.update({0xFF41 + i: 0x61 + i for i in range(26)})
_FOLD.update({ord("，"): ord(","), ord("．"): ord("."), ord("％"): ord("%"), ord("　"): ord(" ")})

KANJI_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5,
                "六": 6, "七": 7, "八": 8, "九": 9, "壱": 1, "弐": 2, "参": 3}
SMALL_UNITS = {"十": 10, "百": 100, "千": 1000, "拾": 10}
BIG_UNITS = {"万": 10**4, "億": 10**8, "兆": 10**12}

_DIGIT_CLASS = "0-9" + "".join(KANJI_DIGITS)
_UNIT_CLASS = "".join(SMALL_UNITS) + "".join(BIG_UNITS)
# A numeral run starts with a digit or a small unit (百万, 千円) but never with 万/億
# (万が一, 億劫 are words, not numbers).
# Commas and points belong to a run only between ASCII digits (「1,200,000」「29.2」).
_RUN = re.compile(
    rf"[{_DIGIT_CLASS}{''.join(SMALL_UNITS)}]"
    rf"(?:[{_DIGIT_CLASS}{_UNIT_CLASS}]|(?<=[0-9])[,.](?=[0-9]))*"
)
COUNTERS = ("か所", "ヶ所", "ケ所", "カ所", "箇所", "社", "件", "人", "名", "口")
ERAS = {"明治": 1867, "大正": 1911, "昭和": 1925, "平成": 1988, "令和": 2018}
ERA_LETTERS = {"M": "明治", "T": "大正", "S": "昭和", "H": "平成", "R": "令和"}
_ERA = re.compile(r"(明治|大正|昭和|平成|令和)\s?(元|[0-9" + "".join(KANJI_DIGITS) + r"十]{1,3})\s?年")
_ERA_LETTER = re.compile(r"(?<![A-Za-z])([MTSHRmtshr])\s?\.?\s?([0-9]{1,2})(?![0-9A-Za-z])")
_PERCENT = re.compile(r"\s?(%|パーセント|ﾊﾟｰｾﾝﾄ)")
_YEN = re.compile(r"\s?円")


class NumberFormatError(ValueError):
    """The characters look like a number but do not form one (「十十」「1,2,3」)."""


@dataclass(frozen=True)
class NumberMatch:
    entity: str          # amount | count | year | percent
    start: int
    end: int
    value: Number
    text: str


def fold_width(text: str) -> str:
    """Full-width ASCII to half-width, one character for one (offsets are kept)."""
    return text.translate(_FOLD)


def parse_number(run: str) -> Decimal:
    """Value of a numeral run mixing Arabic digits, kanji digits and units.

    「300万」→3000000, 「三百万」→3000000, 「1億2千万」→120000000, 「1,200,000」→1200000,
    「二〇〇五」→2005, 「十五」→15, 「1.5万」→15000. Raises NumberFormatError when malformed.
    """
    s = fold_width(run)
    if not s:
        raise NumberFormatError("empty")
    total = Decimal(0)          # sum of completed big-unit groups (億, 万)
    section = Decimal(0)        # value below the current big unit
    current: Optional[Decimal] = None   # number being read, not yet multiplied
    last_big = None
    last_small = None
    i = 0
    while i < len(s):
        ch = s[i]
        if ch.isdigit() and ch.isascii():
            m = re.match(r"[0-9]+(?:,[0-9]{3})*(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?", s[i:])
            token = m.group(0)
            if current is not None:
                raise NumberFormatError(run)
            try:
                current = Decimal(token.replace(",", ""))
            except InvalidOperation:  # pragma: no cover - the regex admits only digits
                raise NumberFormatError(run)
            i += len(token)
            continue
        if ch in KANJI_DIGITS:
            d = KANJI_DIGITS[ch]
            # consecutive kanji digits are positional: 二〇〇五 = 2005
            current = Decimal(d) if current is None else current * 10 + d
        elif ch in SMALL_UNITS:
            unit = SMALL_UNITS[ch]
            if last_small is not None and unit >= last_small:
                raise NumberFormatError(run)   # 十十, 百千
            section += (current if current is not None else Decimal(1)) * unit
            current = None
            last_small = unit
        elif ch in BIG_UNITS:
            unit = BIG_UNITS[ch]
            if last_big is not None and unit >= last_big:
                raise NumberFormatError(run)   # 万万, 万億
            group = section + (current if current is not None else Decimal(0))
            if group == 0:
                raise NumberFormatError(run)
            total += group * unit
            section, current, last_small, last_big = Decimal(0), None, None, unit
        else:
            raise NumberFormatError(run)
        i += 1
    return total + section + (current if current is not None else Decimal(0))


def _as_int(value: Decimal) -> Optional[int]:
    return int(value) if value == value.to_integral_value() else None


def find_numbers(text: str, today: Optional[_dt.date] = None) -> List[NumberMatch]:
    """Every amount, count, year and percentage in ``text``, left to right, no overlaps."""
    if not text:
        return []
    today = today or _dt.date.today()
    folded = fold_width(text)
    found: List[NumberMatch] = []
    taken = [False] * len(text)

    def add(entity: str, start: int, end: int, value: Number) -> None:
        if any(taken[start:end]):
            return
        for k in range(start, end):
            taken[k] = True
        found.append(NumberMatch(entity, start, end, value, text[start:end]))

    # 1. era years first, so 「平成17年」 is not read as a duration
    for m in _ERA.finditer(folded):
        n = 1 if m.group(2) == "元" else _safe_int(m.group(2))
        if n is not None and 1 <= n <= 64:
            add("year", m.start(), m.end(), ERAS[m.group(1)] + n)
    for m in _ERA_LETTER.finditer(folded):
        n = int(m.group(2))
        era = ERA_LETTERS[m.group(1).upper()]
        end = m.end()
        if folded[end:end + 1] == "年":
            end += 1
        if 1 <= n <= 64:
            add("year", m.start(), end, ERAS[era] + n)

    # 2. numeral runs, classified by what follows them
    for m in _RUN.finditer(folded):
        start, end = m.start(), m.end()
        if any(taken[start:end]):
            continue
        run = folded[start:end]
        try:
            value = parse_number(run)
        except NumberFormatError:
            continue
        rest = folded[end:]
        has_big_unit = any(u in run for u in BIG_UNITS)

        p = _PERCENT.match(rest)
        if p:
            add("percent", start, end + p.end(), float(value))
            continue
        if rest.startswith("年前"):
            n = _as_int(value)
            if n is not None and 0 < n <= 100:
                add("year", start, end + 2, today.year - n)
            continue
        if rest.startswith("年"):
            n = _as_int(value)
            if n is not None and 1900 <= n <= 2099 and not has_big_unit:
                add("year", start, end + 1, n)
            continue
        y = _YEN.match(rest)
        if y or has_big_unit:
            n = _as_int(value)
            if n is not None:
                add("amount", start, end + (y.end() if y else 0), n)
            continue
        for counter in COUNTERS:
            if rest.startswith(counter):
                n = _as_int(value)
                if n is not None:
                    add("count", start, end + len(counter), n)
                break
    found.sort(key=lambda x: x.start)
    return found


def _safe_int(s: str) -> Optional[int]:
    try:
        return _as_int(parse_number(s))
    except NumberFormatError:
        return None
