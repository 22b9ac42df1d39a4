"""The follow-up question the dialogue asks next, chosen by the rules (never by stories).

``next_question(facts, skipped, purpose=...)`` returns a :class:`Question` for the first
fact worth asking that is neither known nor in ``skipped`` (the visitor answered
「わからない」), or ``None`` when nothing is left to ask.

purpose="diagnosis":

1. the facts behind ``diagnose(...)["missing"]``, in its order: ``debts`` ->
   ``debt_total`` then ``lender_types``; ``monthly_capacity``; ``stable_income``;
   ``assets_value``; ``debts.start_year`` -> ``start_year``; ``debts.rate_percent`` ->
   ``rate_percent``;
2. then :data:`DIAGNOSIS_FOLLOW_UPS`, facts worth asking even once the recommendation is
   decided, each only when it can still change what the visitor is told:
   ``lender_types`` (a 債権回収会社 is a refusal risk, consumer lenders a 過払い金 check,
   taxes a notice), ``seizure_or_lawsuit`` (urgent), ``owns_home``, ``keep_home`` (only when
   ``owns_home`` is true), ``cause`` (破産 risk); then, only while the 法テラス answer is
   still open and the fact could settle it: ``monthly_take_home``, ``household_size``,
   ``large_city``, ``assets_value``. When the visitor has no debt relief could act on and
   nothing is missing, only ``lender_types`` and ``seizure_or_lawsuit`` are asked.

purpose="overpayment" (:data:`OVERPAYMENT_QUESTIONS`): ``lender_types``, ``start_year``,
``repaid_in_full``, ``completed_year`` (only when ``repaid_in_full`` is true),
``rate_percent`` (not when the debt is already time-barred); nothing more once the
lender types are known and none of them is a 消費者金融, クレジットカード or 信販会社.

Either purpose first asks ``completed_year`` again when it is earlier than ``start_year``
(contradictory answers), unless the visitor skipped it.

Buttons: はい/いいえ for yes-no facts, the Japanese labels for ``cause`` and
``lender_types`` (value: the enum value, a one-item list for ``lender_types``), 1人-5人
for ``household_size``; amounts, years and rates are typed. Every question's buttons end
with ``{"title": "わからない", "value": None}``. Titles are at most 20 characters (LINE).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional

from debt_rules.diagnose import _legal_aid, diagnose
from debt_rules.errors import InputError
from debt_rules.facts import FACT_FIELDS, OVERPAYMENT_TYPES, build_profile, coerce_fact
from debt_rules.texts import texts

__all__ = ["Question", "next_question", "DIAGNOSIS_FOLLOW_UPS", "OVERPAYMENT_QUESTIONS", "PURPOSES"]

PURPOSES = ("diagnosis", "overpayment")
DIAGNOSIS_FOLLOW_UPS = ("lender_types", "seizure_or_lawsuit", "owns_home", "keep_home", "cause",
                        "monthly_take_home", "household_size", "large_city", "assets_value")
OVERPAYMENT_QUESTIONS = ("lender_types", "start_year", "repaid_in_full", "completed_year", "rate_percent")
_FACTS_FOR_MISSING = {
    "debts": ("debt_total", "lender_types"),
    "monthly_capacity": ("monthly_capacity",),
    "stable_income": ("stable_income",),
    "assets_value": ("assets_value",),
    "debts.start_year": ("start_year",),
    "debts.rate_percent": ("rate_percent",),
}
_LEGAL_AID_FACTS = ("monthly_take_home", "household_size", "large_city", "assets_value")
_EXTREMES = {"monthly_take_home": (0, 10 ** 13), "household_size": (1, 10 ** 6),
             "large_city": (False, True), "assets_value": (0, 10 ** 13)}


@dataclass
class Question:
    field: str
    text: str
    buttons: List[Dict[str, Any]] = dataclasses.field(default_factory=list)
    kind: str = ""


def _question(name: str, facts: Dict[str, Any], *, again: bool = False) -> Question:

    T = texts()
    b = T["buttons"]
    kind = FACT_FIELDS[name]
    if again:
        text = T["questions"]["completed_year_again"].format(start_year=facts["start_year"])
    else:
        text = T["questions"][name]
    buttons: List[Dict[str, Any]] = []
    if kind == "bool":
        buttons = [{"title": b["yes"], "value": True}, {"title": b["no"], "value": False}]
    elif kind == "enum":
        buttons = [{"title": label, "value": key} for key, label in T["labels"]["cause"].items()]
    elif kind == "enum_list":
        buttons = [{"title": label, "value": [key]} for key, label in T["labels"]["lender_type"].items()]
    elif name == "household_size":
        buttons = [{"title": b["household"].format(n=n), "value": n} for n in range(1, 6)]
    buttons.append({"title": b["dont_know"], "value": None})
    return Question(field=name, text=text, buttons=buttons, kind=kind)


def next_question(facts: Dict[str, Any], skipped: Iterable[str] = (), *, purpose: str = "diagnosis",
                  today: Optional[_dt.date] = None) -> Optional[Question]:
    """The next question to ask, or None (see the module docstring for the order).

    ``facts``: the facts known so far (names of :data:`~debt_rules.facts.FACT_FIELDS`;
    ``None`` = unknown). ``skipped``: facts the visitor could not answer. Invalid facts
    raise :class:`InputError`.
    """
    if purpose not in PURPOSES:
        raise InputError("purpose", f"purpose は {' / '.join(PURPOSES)} のどちらかです。")
    if not isinstance(facts, dict):
        raise InputError("facts", "事実の一覧は辞書で渡してください。")
    known = {k: coerce_fact(k, v) for k, v in facts.items() if k in FACT_FIELDS and v is not None}
    skipped = set(skipped or ())

    def askable(name: str) -> bool:
        return name not in known and name not in skipped

    # contradictory years: ask the completion year again
    if "completed_year" in known and "start_year" in known and known.get("repaid_in_full") is not False \
            and known["completed_year"] < known["start_year"] and "completed_year" not in skipped:
        return _question("completed_year", known, again=True)

    today = today or _dt.date.today()
    if purpose == "overpayment":
        types = known.get("lender_types")
        if types is not None and not any(t in OVERPAYMENT_TYPES for t in types):
            return None
        for name in OVERPAYMENT_QUESTIONS:
            if not askable(name):
                continue
            if name == "completed_year" and known.get("repaid_in_full") is not True:
                continue
            if name == "rate_percent" and known.get("repaid_in_full") is True \
                    and known.get("completed_year", today.year) < today.year - 10:
                continue
            return _question(name, known)
        return None


    profile = build_profile(known)
    a = diagnose(profile, today=today)
    for m in a["missing"]:
        for name in _FACTS_FOR_MISSING[m]:
            if askable(name):
                return _question(name, known)
    nothing_owed = a["primary"] is None and not a["missing"] and a["debt_total"] == 0
    for name in DIAGNOSIS_FOLLOW_UPS:
        if not askable(name):
            continue
        if nothing_owed and name not in ("lender_types", "seizure_or_lawsuit"):
            continue
        if name == "keep_home" and known.get("owns_home") is not True:
            continue
        if name in _LEGAL_AID_FACTS:
            values = {f: known.get(f) for f in _LEGAL_AID_FACTS}
            if _legal_aid(values["monthly_take_home"], values["assets_value"],
                          values["household_size"], values["large_city"]) is not None:
                continue
            could_settle = False
            for extreme in _EXTREMES[name]:
                trial = dict(values, **{name: extreme})
                if _legal_aid(trial["monthly_take_home"], trial["assets_value"],
                              trial["household_size"], trial["large_city"]) is not None:
                    could_settle = True
            if not could_settle:
                continue
        return _question(name, known)
    return None
