"""The one exception the engine raises for bad input, and the checks that raise it.

Every public function of :mod:`debt_rules` (``diagnose``, ``recalculate``,
``parse_history_csv``, ``build_profile``, ``coerce_fact``, ``next_question``) reports bad
input by raising :class:`InputError` and nothing else: ``.field`` names the place
(``"debts[0].balance"``, ``"transactions[3].date"``, ``"3行目 repaid"``), ``.problem`` is a
short Japanese sentence a visitor can read, and ``str(e) == f"{field}: {problem}"`` is the
one line the command line prints on stderr before exiting with status 2.

The checks are shared by the profile (diagnose), the transaction history (recalculate)
and the conversation facts (coerce_fact). Booleans are never accepted where a number is
expected (in Python ``True`` is an ``int``; in the data it is a mistake).
"""

from __future__ import annotations

import datetime as _dt
import math
from fractions import Fraction
from typing import Any, Iterable, Mapping, Optional, Tuple, Type, TypeGuard

__all__ = ["InputError", "MAX_AMOUNT"]

# Amounts above this are treated as typing mistakes (issue 3: "absurd amounts").
MAX_AMOUNT = 10_000_000_000  # 100億円


class InputError(ValueError):
    """Bad input. ``field``: where (JSON-path-like); ``problem``: Japanese, one sentence."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = str(field)
        self.problem = " ".join(str(problem).split())  # always one line
        super().__init__(f"{self.field}: {self.problem}")

    def __str__(self) -> str:  # ValueError's str() would show the args tuple otherwise
        return f"{self.field}: {self.problem}"

    def __reduce__(self) -> Tuple[Type[InputError], Tuple[str, str]]:  # picklable with both arguments
        return (type(self), (self.field, self.problem))


def _shown(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= 20 else text[:19] + "…"


def is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    return (is_int(value) or isinstance(value, float)) and not (
        isinstance(value, float) and not math.isfinite(value))


def check_mapping(value: Any, field: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise InputError(field, "JSON のオブジェクト（{ } で囲んだ形）で入力してください。")
    return value


def check_known_keys(value: Mapping[str, Any], allowed: Iterable[str], field: str) -> None:
    """Unknown keys are rejected, so that a misspelt field is never silently ignored."""
    allowed = set(allowed)
    for key in value:
        if key not in allowed:
            where = f"{field}.{key}" if field else str(key)
            raise InputError(where, "この項目は使えません。項目名のつづりを確認してください。")


def check_amount(value: Any, field: str) -> int:
    """Integer yen, 0 to 10,000,000,000."""
    if not is_int(value):
        if isinstance(value, float) and math.isfinite(value):
            raise InputError(field, f"金額は円単位の整数で入力してください（{_shown(value)}）。")
        raise InputError(field, f"金額は数字で入力してください（{_shown(value)}）。")
    if value < 0:
        raise InputError(field, "金額にマイナスは使えません。")
    if value > MAX_AMOUNT:
        raise InputError(field, "金額が大きすぎます。100億円以下で入力してください。")
    return value


def check_count(value: Any, field: str, low: int, high: int, what: str) -> int:
    if not is_int(value):
        raise InputError(field, f"{what}は整数で入力してください（{_shown(value)}）。")
    if not low <= value <= high:
        raise InputError(field, f"{what}は{low}から{high}までで入力してください。")
    return value


def check_bool(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise InputError(field, f"true か false（はい・いいえ）で答えてください（{_shown(value)}）。")
    return value


def check_year(value: Any, field: str, this_year: int) -> int:
    if not is_int(value):
        raise InputError(field, f"年は西暦の整数で入力してください（例：2005）（{_shown(value)}）。")
    if value < 1900:
        raise InputError(field, "年は1900年以降の西暦で入力してください。")
    if value > this_year:
        raise InputError(field, f"未来の年です。{this_year}年までで入力してください。")
    return value


def check_percent(value: Any, field: str, *, low: float = 0.0, high: float = 109.5,
                  what: str = "金利") -> Fraction:
    """A rate in percent, as an exact fraction of its decimal spelling (29.2 -> 146/5)."""
    if not is_number(value):
        raise InputError(field, f"{what}は数字（年何％）で入力してください（{_shown(value)}）。")
    if not low <= value <= high:
        raise InputError(field, f"{what}は{_num(low)}％から{_num(high)}％までで入力してください。")
    return Fraction(repr(value)) if isinstance(value, float) else Fraction(value)


def check_enum(value: Any, field: str, allowed: Iterable[str], what: str) -> str:
    allowed = tuple(allowed)
    if not isinstance(value, str) or value not in allowed:
        raise InputError(field, f"「{_shown(value)}」は{what}として使えません。使える値：{', '.join(allowed)}。")
    return value


def check_date(value: Any, field: str) -> _dt.date:
    """``YYYY-MM-DD`` (``YYYY/MM/DD`` also accepted), 1900-01-01 to 2100-12-31."""
    if isinstance(value, str):
        text = value.strip()
        d: Optional[_dt.date]
        try:
            d = _dt.date.fromisoformat(text)
        except ValueError:
            d = _parse_loose_date(text, field)
        if d is not None:
            if not 1900 <= d.year <= 2100:
                raise InputError(field, "日付が範囲外です（1900年から2100年まで）。")
            return d
    raise InputError(field, f"日付は YYYY-MM-DD の形で入力してください（{_shown(value)}）。")


def _parse_loose_date(text: str, field: str) -> Optional[_dt.date]:
    parts = text.replace("/", "-").split("-")
    if len(parts) != 3 or not all(p.isdigit() and p.isascii() and p for p in parts) or len(parts[0]) != 4 \
            or len(parts[1]) > 2 or len(parts[2]) > 2:
        return None
    try:
        return _dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        raise InputError(field, f"存在しない日付です（{text}）。") from None


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)
