"""Conversation facts: what the dialogue collects, one answer at a time, and the profile
:func:`debt_rules.diagnose` reads, built from them.

The dialogue never fills the raw profile of docs/rules.md (a list of Debt objects); it
collects the flat facts of :data:`FACT_FIELDS`, each checked by :func:`coerce_fact` as it is
answered, and :func:`build_profile` turns them into a profile. All facts are optional:
an absent fact (or ``None``) is unknown.
"""

from __future__ import annotations

import datetime as _dt
import math
import unicodedata
from typing import Any, Dict, List, Optional, Sequence

from debt_rules.errors import MAX_AMOUNT, InputError, is_int
from debt_rules.texts import texts

__all__ = ["FACT_FIELDS", "LENDER_TYPES", "EXCLUDED_TYPES", "OVERPAYMENT_TYPES", "CAUSES",
           "coerce_fact", "build_profile"]

# The lender_type entity of docs/intents.md, in its order.
LENDER_TYPES = ("consumer_finance", "credit_card", "bank_card_loan", "shinpan", "servicer",
                "mortgage", "car_loan", "student_loan", "tax", "child_support",
                "family_or_friend", "other")
# Debts relief does not act on: the mortgage, and the non-dischargeable taxes and support.
EXCLUDED_TYPES = ("mortgage", "tax", "child_support")
# Lender types a 過払い金 can arise with (docs/rules.md); other types are "unlikely".
OVERPAYMENT_TYPES = ("consumer_finance", "credit_card", "shinpan")
CAUSES = ("living", "gambling_or_spending", "business", "other")

FACT_FIELDS: Dict[str, str] = {
    "debt_total": "amount",          # total borrowed, excluding 住宅ローン, 税金, 養育費
    "lender_types": "enum_list",     # LENDER_TYPES
    "monthly_capacity": "amount",
    "monthly_take_home": "amount",
    "assets_value": "amount",
    "household_size": "int",
    "stable_income": "bool",
    "owns_home": "bool",
    "keep_home": "bool",
    "discharge_within_7_years": "bool",
    "restricted_occupation": "bool",
    "seizure_or_lawsuit": "bool",
    "large_city": "bool",
    "has_guarantor": "bool",
    "repaid_in_full": "bool",
    "cause": "enum",                 # CAUSES
    "start_year": "year",
    "completed_year": "year",
    "rate_percent": "percent",
    # informational: never the capacity, the take-home pay or a debt
    "annual_income": "amount",       # 年収 (yearly, gross or net as said)
    "monthly_repayment": "amount",   # what they repay per month now (not what they can)
    # debts named one by one: [{"lender_type": ..., "balance": yen}], in the order said
    "debts": "debt_list",
}

# Facts copied to the profile field of the same name.
_PROFILE_FACTS = ("monthly_capacity", "monthly_take_home", "assets_value", "household_size",
                  "stable_income", "owns_home", "keep_home", "discharge_within_7_years",
                  "restricted_occupation", "seizure_or_lawsuit", "large_city", "cause")

_TRUE_WORDS = ("true", "はい", "yes", "ある", "あり")
_FALSE_WORDS = ("false", "いいえ", "no", "ない", "なし")
HOUSEHOLD_MAX = 30
RATE_MAX = 109.5  # 出資法's old ceiling: anything above is a typing mistake


def _labels(kind: str) -> Dict[str, str]:
    labels: Dict[str, str] = texts()["labels"][kind]
    return labels


def _nfkc(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip()


def _enum_value(value: Any, allowed: Sequence[str], kind: str, field: str, what: str) -> str:
    if isinstance(value, str):
        text = _nfkc(value)
        if text in allowed:
            return text
        for key, label in _labels(kind).items():
            if text == _nfkc(label):
                return key
    raise InputError(field, f"{what}の選択肢にない答えです（{str(value)[:20]}）。ボタンから選んでください。")


def coerce_fact(field: str, value: Any) -> Any:
    """Check and normalise one answer for fact ``field``; raise :class:`InputError` with a
    kind Japanese problem text when it cannot be used.

    ``None`` stays ``None`` (unknown). Amounts: non-negative integer yen up to 100億円
    (digit strings with commas and integral floats are accepted). ``household_size``: 1-30.
    Bools: ``True``/``False`` (also はい/いいえ, "true"/"false"). ``cause``: a value of
    :data:`CAUSES` or its Japanese label. ``lender_types``: a list (or one string) of
    :data:`LENDER_TYPES` values or labels, duplicates removed, order kept. Years: 1900 to
    this year. ``rate_percent``: 0-109.5, returned as a float.
    """
    kind = FACT_FIELDS.get(field)
    if kind is None:
        raise InputError(field, "この項目には答えられません。")
    if value is None:
        return None
    if kind == "amount":
        n = _to_int(value)
        if n is None:
            raise InputError(field, "金額は数字で教えてください（例：3000000）。")
        if n < 0:
            raise InputError(field, "マイナスの金額は使えません。")
        if n > MAX_AMOUNT:
            raise InputError(field, "金額が大きすぎるようです。100億円以下で教えてください。")
        return n
    if kind == "int":
        n = _to_int(value)
        if n is None or not 1 <= n <= HOUSEHOLD_MAX:
            raise InputError(field, f"人数は1人から{HOUSEHOLD_MAX}人までの数字で教えてください。")
        return n
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str):
            text = _nfkc(value).lower()
            if text in _TRUE_WORDS:
                return True
            if text in _FALSE_WORDS:
                return False
        raise InputError(field, "「はい」か「いいえ」で答えてください。")
    if kind == "enum":
        return _enum_value(value, CAUSES, "cause", field, "借金の理由")
    if kind == "enum_list":
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, (list, tuple)):
            raise InputError(field, "借入先の種類をボタンから選んでください。")
        out: List[str] = []
        for item in items:
            v = _enum_value(item, LENDER_TYPES, "lender_type", field, "借入先の種類")
            if v not in out:
                out.append(v)
        return out
    if kind == "debt_list":
        return _debt_list(field, value)
    if kind == "year":
        n = _to_int(value)
        this_year = _dt.date.today().year
        if n is None:
            raise InputError(field, "年は西暦の数字で教えてください（例：2005）。")
        if n < 1900:
            raise InputError(field, "年は1900年以降の西暦で教えてください（例：2005）。")
        if n > this_year:
            raise InputError(field, f"まだ来ていない年のようです。{this_year}年までの西暦で教えてください。")
        return n
    # percent
    x = value
    if isinstance(x, str):
        x = _nfkc(x).rstrip("%").strip()
        try:
            x = float(x)
        except ValueError:
            x = None
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
        raise InputError(field, "金利は数字で教えてください（例：18）。")
    if not 0 <= x <= RATE_MAX:
        raise InputError(field, f"金利は年0％から{RATE_MAX}％までで教えてください。")
    return float(x)


def _debt_list(field: str, value: Any) -> List[Dict[str, Any]]:
    """``debts``: a list of {lender_type, balance}; the type checked like
    ``lender_types``, the balance like an amount."""
    if not isinstance(value, (list, tuple)):
        raise InputError(field, "借入先ごとの残高の一覧が読めませんでした。")
    out: List[Dict[str, Any]] = []
    for item in value:
        if not isinstance(item, dict) or set(item) - {"lender_type", "balance"} or "balance" not in item:
            raise InputError(field, "借入先ごとの残高の一覧が読めませんでした。")
        lender = _enum_value(item.get("lender_type", "other"), LENDER_TYPES, "lender_type", field,
                             "借入先の種類")
        out.append({"lender_type": lender, "balance": coerce_fact("debt_total", item["balance"])})
    return out


def _to_int(value: Any) -> Optional[int]:
    if is_int(value):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = _nfkc(value).replace(",", "").replace("円", "").replace("人", "").replace("年", "").strip()
        sign = -1 if text.startswith("-") else 1
        digits = text.lstrip("-")
        if digits.isdigit() and digits.isascii():
            return sign * int(digits)
    return None


def build_profile(facts: Dict[str, Any]) -> Dict[str, Any]:
    """The docs/rules.md profile for the facts collected so far.

    Each fact is checked with :func:`coerce_fact` first (bad values raise
    :class:`InputError`); ``None`` and unknown fact names are left out.

    Debts:

    * one Debt per lender type in ``lender_types``, in that order;
    * ``debt_total`` (which by definition excludes 住宅ローン, 税金 and 養育費) is split
      evenly over the relief-able types (all but ``mortgage``, ``tax``,
      ``child_support``); the remainder of the division goes to the first. The excluded
      types get balance 0 (their amounts are not asked);
    * when ``debt_total`` is unknown, the relief-able debts have no ``balance`` (unknown),
      so ``diagnose`` lists ``debts`` as missing;
    * when no lender type is known (or only excluded ones) but ``debt_total`` is, one debt
      of type ``other`` carries it; when neither is known there is no ``debts`` field;
    * ``start_year``, ``completed_year``, ``rate_percent`` and ``has_guarantor`` (as
      ``guarantor``) apply to every debt. ``completed_year`` is left out when
      ``repaid_in_full`` is false (still owed) or when it is earlier than ``start_year``
      (contradictory answers; :func:`next_question` asks it again first).

    When ``debts`` (amounts said lender by lender) is known, each becomes a Debt with its
    own type and balance (excluded types keep their balance: diagnose reports it apart).
    Lender types without an amount of their own share what ``debt_total`` leaves over
    (evenly, as above; an ``other`` debt when no such type is left); when ``debt_total``
    is smaller than the itemised relief-able balances, the debts are built as if
    ``debts`` were absent, so the profile always agrees with ``debt_total``.
    ``annual_income`` and ``monthly_repayment`` are not in the profile.

    The other facts are copied to the profile fields of the same name.
    """
    if not isinstance(facts, dict):
        raise InputError("facts", "事実の一覧は辞書で渡してください。")
    f: Dict[str, Any] = {}
    for name, value in facts.items():
        if name in FACT_FIELDS and value is not None:
            f[name] = coerce_fact(name, value)
    profile: Dict[str, Any] = {name: f[name] for name in _PROFILE_FACTS if name in f}

    shared: Dict[str, Any] = {}
    if "start_year" in f:
        shared["start_year"] = f["start_year"]
    if "completed_year" in f and f.get("repaid_in_full") is not False \
            and not ("start_year" in f and f["completed_year"] < f["start_year"]):
        shared["completed_year"] = f["completed_year"]
    if "rate_percent" in f:
        shared["rate_percent"] = f["rate_percent"]
    if "has_guarantor" in f:
        shared["guarantor"] = f["has_guarantor"]

    types = list(f.get("lender_types") or [])
    total = f.get("debt_total")
    if f.get("debts"):
        itemised = _itemised_debts(f["debts"], types, total, shared)
        if itemised is not None:
            profile["debts"] = itemised
            return profile
    relief = [t for t in types if t not in EXCLUDED_TYPES]
    if total is not None and total > 0 and not relief:
        types.append("other")
        relief = ["other"]
    if not types and total is None:
        return profile
    if not types:  # debt_total == 0 and no lender type
        types = ["other"]
        relief = ["other"]
    profile["debts"] = [{**d, **shared} for d in _spread(types, len(relief), total)]
    return profile


def _spread(types: List[str], relief_count: int, amount: Optional[int]) -> List[Dict[str, Any]]:
    """One debt per lender type: ``amount`` shared evenly among the types relief acts on
    (the remainder to the first), 0 for the excluded types, no balance when unknown."""
    debts: List[Dict[str, Any]] = []
    first = True
    for t in types:
        debt: Dict[str, Any] = {"lender_type": t}
        if t in EXCLUDED_TYPES:
            debt["balance"] = 0
        elif amount is not None:
            share, rest = divmod(amount, relief_count)
            debt["balance"] = share + (rest if first else 0)
            first = False
        debts.append(debt)
    return debts


def _itemised_debts(items: List[Dict[str, Any]], types: List[str], total: Optional[int],
                    shared: Dict[str, Any]) -> Optional[List[Dict[str, Any]]]:
    """Profile debts from ``debts``; None when they disagree with ``debt_total``."""
    itemised = sum(d["balance"] for d in items if d["lender_type"] not in EXCLUDED_TYPES)
    if total is not None and total < itemised:
        return None
    debts = [{**d} for d in items]
    named = {d["lender_type"] for d in items}
    rest_types = [t for t in types if t not in named]
    rest_relief = [t for t in rest_types if t not in EXCLUDED_TYPES]
    left = None if total is None else total - itemised
    if left and not rest_relief:
        rest_types.append("other")
        rest_relief = ["other"]
    debts += _spread(rest_types, len(rest_relief), left)
    for debt in debts:
        debt.update(shared)
    return debts
