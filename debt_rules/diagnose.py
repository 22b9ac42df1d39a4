"""diagnose(profile) -> the Assessment of docs/rules.md.

docs/rules.md describes what this module decides; its section "Known differences from the
corrected specification (issue 16)" lists where the law-corrected specification and this
code still differ.

Fits follow the rules on the facts that are known: a condition on an unknown fact is
simply not met (so 任意整理 with an unknown ``monthly_capacity`` is ``unsuitable``, with
``monthly_capacity`` in ``missing``). Because such a fit may still change, each procedure
also carries ``decided``: false when some unknown fact could change its fit (show it as
「まだ判断できません」 rather than as a verdict).

``primary`` is null whenever an unknown fact could change it, and ``missing`` then lists
the unknown facts that could decide it, in the order ``debts``, ``monthly_capacity``,
``stable_income``, ``assets_value``, ``debts.start_year``, ``debts.rate_percent`` (the last
two: the start year or contract rate of the debts, when nothing owed remains and only the
過払い金 question is open). When ``primary`` is not null, ``missing`` is empty.

Decisions and interpretations beyond the bare rules (each covered by tests, and described in
docs/rules.md too):

* ``debts`` absent = unknown (``missing`` starts with ``debts``); ``debts: []`` = no debts.
  A debt without ``balance`` makes D unknown; the figures then cover the known balances
  only. A debt without ``lender_type`` counts as ``other``. ``null`` anywhere = absent.
* Unknown top-level or Debt fields are rejected (InputError), never ignored: a misspelt
  field silently ignored would give a confident wrong answer.
* 個人再生 ``repayment`` = min(D, max(minimum, assets_value)): the liquidation-value rule
  never asks for more than the debt itself (民事再生法174条2項4号; the statute wins over a
  literal max()). For D over 50,000,000 the minimum is reported as floor(D / 10), although
  the procedure is unavailable (fit ``unsuitable``).
* ``completed_year`` earlier than ``start_year`` is rejected; a year after ``today`` too.
* The overpayment likelihood of the whole profile is ``unknown`` when ``debts`` is
  unknown and ``unlikely`` when ``debts`` is empty.
* Urgent notes: a lawsuit, 支払督促 or seizure; and a 過払い金 whose ten-year time limit
  ends this year or next (completed ``today.year - 10`` or ``- 9``).
* 法テラス: ``eligible`` is true or false only when every completion of the unknown facts
  (household size, large city, income, assets) gives the same answer; else null.

Texts come from ``debt_rules/data/assessment.yml`` (read once, lazily); the documents
checklist and the 任意整理 refusal-risk texts come from :mod:`debt_rules.knowledge`.

How the code is laid out: :func:`diagnose` validates the input into a :class:`Profile`
(of :class:`Debt`), derives the :class:`Situation` (D, the excluded total, whether D is
known) and the :class:`Terms` (months, minimum, repayment, monthly amounts), then asks one
function per procedure for a :class:`ProcedureResult` (fit, the fits still open, reasons,
risks): :func:`voluntary_settlement`, :func:`individual_rehabilitation`,
:func:`bankruptcy`, :func:`specific_mediation`, :func:`overpayment_claim` (on
:func:`overpayment_likelihood`). :func:`primary_recommendation` (with
:func:`missing_facts`), :func:`legal_aid`, :func:`urgent_notes` and :func:`next_steps`
complete the :class:`Assessment`.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any, Dict, FrozenSet, List, Mapping, NamedTuple, Optional, Sequence, Tuple, TypedDict

from debt_rules.errors import (
    InputError,
    check_amount,
    check_bool,
    check_count,
    check_enum,
    check_known_keys,
    check_mapping,
    check_percent,
    check_year,
)
from debt_rules.facts import CAUSES, EXCLUDED_TYPES, LENDER_TYPES, OVERPAYMENT_TYPES
from debt_rules.knowledge import documents_for, refusal_risk_text
from debt_rules.texts import texts, yen  # both also re-exported for callers

__all__ = ["diagnose", "texts", "PROCEDURES", "PROFILE_FIELDS", "DEBT_FIELDS", "MISSING_ORDER",
           "minimum_repayment", "legal_aid_limits", "Assessment", "ProcedureOutput"]

PROCEDURES = ("voluntary_settlement", "individual_rehabilitation", "bankruptcy",
              "specific_mediation", "overpayment_claim")
PROFILE_FIELDS = {
    "debts": "debts", "monthly_capacity": "amount", "monthly_take_home": "amount",
    "stable_income": "bool", "owns_home": "bool", "keep_home": "bool", "assets_value": "amount",
    "cause": "cause", "discharge_within_7_years": "bool", "restricted_occupation": "bool",
    "seizure_or_lawsuit": "bool", "household_size": "household", "large_city": "bool",
}
DEBT_FIELDS = ("lender_type", "balance", "start_year", "completed_year", "rate_percent", "guarantor")
MISSING_ORDER = ("debts", "monthly_capacity", "stable_income", "assets_value",
                 "debts.start_year", "debts.rate_percent")
REC, POS, UNS = "recommended", "possible", "unsuitable"
_FIT_RANK = {REC: 0, POS: 1, UNS: 2}
_ANY_FIT: FrozenSet[str] = frozenset((REC, POS, UNS))
LIKELIHOOD_ORDER = ("likely", "possible", "time_barred", "unknown", "unlikely")
REHAB_LIMIT = 50_000_000


# ---- the shapes of the output -----------------------------------------------------------

class ProcedureOutput(TypedDict):
    procedure: str
    fit: str
    decided: bool
    reasons: List[str]
    risks: List[str]


class SettlementOutput(TypedDict):
    months_needed: Optional[int]
    monthly_36: int
    monthly_60: int


class RehabilitationOutput(TypedDict):
    minimum_repayment: int
    repayment: int
    monthly_36: int
    monthly_60: int


class OverpaymentOutput(TypedDict):
    likelihood: str
    reasons: List[str]


class LegalAidOutput(TypedDict):
    eligible: Optional[bool]
    income_limit: Optional[int]
    asset_limit: Optional[int]


class Assessment(TypedDict):
    """What :func:`diagnose` returns (docs/rules.md, "Assessment"), keys in this order."""
    primary: Optional[str]
    procedures: List[ProcedureOutput]
    debt_total: int
    excluded_total: int
    settlement: SettlementOutput
    rehabilitation: RehabilitationOutput
    overpayment: OverpaymentOutput
    legal_aid: LegalAidOutput
    urgent: List[str]
    next_steps: List[str]
    documents: List[str]
    missing: List[str]


# ---- the validated input and what the rules compute from it -----------------------------

@dataclass(frozen=True)
class Debt:
    """One validated Debt; ``None`` = unknown (``lender_type`` defaults to ``other``)."""
    lender_type: str = "other"
    balance: Optional[int] = None
    start_year: Optional[int] = None
    completed_year: Optional[int] = None
    rate_percent: Optional[float] = None
    guarantor: Optional[bool] = None


@dataclass(frozen=True)
class Profile:
    """The validated profile; every field ``None`` when unknown (``debts`` too)."""
    debts: Optional[Tuple[Debt, ...]] = None
    monthly_capacity: Optional[int] = None
    monthly_take_home: Optional[int] = None
    stable_income: Optional[bool] = None
    owns_home: Optional[bool] = None
    keep_home: Optional[bool] = None
    assets_value: Optional[int] = None
    cause: Optional[str] = None
    discharge_within_7_years: Optional[bool] = None
    restricted_occupation: Optional[bool] = None
    seizure_or_lawsuit: Optional[bool] = None
    household_size: Optional[int] = None
    large_city: Optional[bool] = None


@dataclass(frozen=True)
class Situation:
    """The profile and the debt figures every procedure reads."""
    profile: Profile
    relief_debts: Tuple[Debt, ...]     # the debts relief can act on
    excluded_debts: Tuple[Debt, ...]   # mortgage, tax, child_support
    debts_known: bool                  # debts given and every relief-able balance known
    debt_total: int                    # D (of the known balances when not debts_known)
    excluded_total: int
    any_guarantor: bool
    has_car_loan: bool

    @property
    def no_debt(self) -> bool:
        """Known to have nothing relief could act on (D = 0)."""
        return self.debts_known and self.debt_total == 0

    @property
    def capacity(self) -> Optional[int]:
        return self.profile.monthly_capacity

    @property
    def stable_income(self) -> Optional[bool]:
        return self.profile.stable_income

    @property
    def assets(self) -> Optional[int]:
        return self.profile.assets_value


@dataclass(frozen=True)
class Terms:
    """The figures of docs/rules.md "Terms": 任意整理's months and monthly amounts, 個人再生's
    minimum, repayment and monthly amounts."""
    months_needed: Optional[int]       # ceil(D / C); None when D or C is unknown or C = 0
    settlement_monthly_36: int
    settlement_monthly_60: int
    minimum_repayment: int
    repayment: int
    rehabilitation_monthly_36: int
    rehabilitation_monthly_60: int

    def text_values(self, situation: Situation) -> Dict[str, str]:
        """The amounts the reason texts fill in, formatted as 「300万円」."""
        capacity = situation.capacity
        return {"D": yen(situation.debt_total), "C": yen(capacity) if capacity is not None else "",
                "minimum": yen(self.minimum_repayment), "repayment": yen(self.repayment),
                "m36": yen(self.rehabilitation_monthly_36), "m60": yen(self.rehabilitation_monthly_60),
                "assets": yen(situation.assets or 0)}


@dataclass(frozen=True)
class FitOptions:
    """Every fit a procedure can still take, and the unknown facts that make it vary."""
    options: FrozenSet[str]
    deciding_facts: Tuple[str, ...] = ()


@dataclass
class ProcedureResult:
    """One procedure's fit on the known facts, every fit it could still take
    (``options``; one when decided), and its reasons and risks for the visitor."""
    procedure: str
    fit: str
    options: FrozenSet[str]
    reasons: List[str]
    risks: List[str]
    deciding_facts: Tuple[str, ...] = field(default=())

    @property
    def decided(self) -> bool:
        return len(self.options) == 1

    def output(self) -> ProcedureOutput:
        return {"procedure": self.procedure, "fit": self.fit, "decided": self.decided,
                "reasons": self.reasons, "risks": self.risks}


@dataclass(frozen=True)
class DebtLikelihood:
    """The 過払い金 likelihood of one debt, the key of its reason text and the values
    that text fills in."""
    likelihood: str
    reason_key: str
    lender: str
    rate: Optional[str] = None
    year: Optional[int] = None

    def reason(self, overpayment_texts: Mapping[str, str]) -> str:
        return overpayment_texts[self.reason_key].format(lender=self.lender, rate=self.rate, year=self.year)


@dataclass(frozen=True)
class OverpaymentResult:
    likelihood: str
    reasons: List[str]


@dataclass(frozen=True)
class Recommendation:
    primary: Optional[str]
    missing: List[str]


class LegalAidLimits(NamedTuple):
    income: int
    assets: int


# ---- figures -----------------------------------------------------------------------

def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def minimum_repayment(d: int) -> int:
    """民事再生法231条2項3号・4号 minimum on D (docs/rules.md bands)."""
    if d < 1_000_000:
        return d
    if d <= 5_000_000:
        return 1_000_000
    if d <= 15_000_000:
        return d // 5
    if d <= 30_000_000:
        return 3_000_000
    return d // 10


def _rehab_repayment(debt_total: int, assets: Optional[int]) -> int:
    return min(debt_total, max(minimum_repayment(debt_total), assets or 0))


def _rehab_fit_for(capacity: int, repayment: int) -> str:
    if capacity < _ceil_div(repayment, 60):
        return UNS
    if capacity >= _ceil_div(repayment, 36):
        return REC
    return POS


def _terms(situation: Situation) -> Terms:
    debt_total, capacity = situation.debt_total, situation.capacity
    repayment = _rehab_repayment(debt_total, situation.assets)
    return Terms(
        months_needed=_ceil_div(debt_total, capacity) if situation.debts_known and capacity else None,
        settlement_monthly_36=_ceil_div(debt_total, 36),
        settlement_monthly_60=_ceil_div(debt_total, 60),
        minimum_repayment=minimum_repayment(debt_total),
        repayment=repayment,
        rehabilitation_monthly_36=_ceil_div(repayment, 36),
        rehabilitation_monthly_60=_ceil_div(repayment, 60),
    )


_INCOME_BASE = {1: 182_000, 2: 251_000, 3: 272_000, 4: 299_000}
_INCOME_CITY = {1: 200_200, 2: 276_100, 3: 299_200, 4: 328_900}
_ASSET = {1: 1_800_000, 2: 2_500_000, 3: 2_700_000, 4: 3_000_000}


def legal_aid_limits(household: int, large_city: bool) -> LegalAidLimits:
    """(income limit, asset limit) of 法テラス for a household size."""
    table, step = (_INCOME_CITY, 33_000) if large_city else (_INCOME_BASE, 30_000)
    if household <= 4:
        return LegalAidLimits(table[household], _ASSET[household])
    return LegalAidLimits(table[4] + step * (household - 4), _ASSET[4])


def _legal_aid(take_home: Optional[int], assets: Optional[int], household: Optional[int],
               large_city: Optional[bool]) -> Optional[bool]:
    """True/False when every completion of the unknown facts agrees, else None. The
    limits only grow with the household and the large city, so the extremes suffice."""
    big = 10 ** 13
    results = set()
    for t in ([take_home] if take_home is not None else [0, big]):
        for a in ([assets] if assets is not None else [0, big]):
            for h in ([household] if household is not None else [1, 10 ** 6]):
                for lc in ([large_city] if large_city is not None else [False, True]):
                    inc, asset = legal_aid_limits(h, lc)
                    results.add(t <= inc and a <= asset)
    return results.pop() if len(results) == 1 else None


# ---- input -------------------------------------------------------------------------

def _validate(profile: Any, this_year: int) -> Profile:
    check_mapping(profile, "profile")
    check_known_keys(profile, PROFILE_FIELDS, "")
    values: Dict[str, Any] = {}
    for name, kind in PROFILE_FIELDS.items():
        value = profile.get(name)
        if value is None:
            continue
        if kind == "amount":
            values[name] = check_amount(value, name)
        elif kind == "bool":
            values[name] = check_bool(value, name)
        elif kind == "household":
            values[name] = check_count(value, name, 1, 30, "世帯の人数")
        elif kind == "cause":
            values[name] = check_enum(value, name, CAUSES, "cause")
        else:
            values[name] = _validate_debts(value, this_year)
    return Profile(**values)


def _validate_debts(value: Any, this_year: int) -> Tuple[Debt, ...]:
    if not isinstance(value, list):
        raise InputError("debts", "借金の一覧（debts）はリスト（[ ... ]）で入力してください。")
    return tuple(_validate_debt(raw, f"debts[{i}]", this_year) for i, raw in enumerate(value))


def _validate_debt(raw: Any, where: str, this_year: int) -> Debt:
    check_mapping(raw, where)
    check_known_keys(raw, DEBT_FIELDS, where)
    lender_type = "other"
    if raw.get("lender_type") is not None:
        lender_type = check_enum(raw["lender_type"], f"{where}.lender_type", LENDER_TYPES,
                                 "借入先の種類（lender_type）")
    balance = None
    if raw.get("balance") is not None:
        balance = check_amount(raw["balance"], f"{where}.balance")
    start_year = None
    if raw.get("start_year") is not None:
        start_year = check_year(raw["start_year"], f"{where}.start_year", this_year)
    completed_year = None
    if raw.get("completed_year") is not None:
        completed_year = check_year(raw["completed_year"], f"{where}.completed_year", this_year)
    rate_percent = None
    if raw.get("rate_percent") is not None:
        check_percent(raw["rate_percent"], f"{where}.rate_percent")
        rate_percent = float(raw["rate_percent"])
    guarantor = None
    if raw.get("guarantor") is not None:
        guarantor = check_bool(raw["guarantor"], f"{where}.guarantor")
    if start_year is not None and completed_year is not None and completed_year < start_year:
        raise InputError(f"{where}.completed_year", "完済した年が、借入れを始めた年より前になっています。")
    return Debt(lender_type, balance, start_year, completed_year, rate_percent, guarantor)


def _situation(profile: Profile) -> Situation:
    debts = profile.debts or ()
    relief = tuple(d for d in debts if d.lender_type not in EXCLUDED_TYPES)
    excluded = tuple(d for d in debts if d.lender_type in EXCLUDED_TYPES)
    return Situation(
        profile=profile,
        relief_debts=relief,
        excluded_debts=excluded,
        debts_known=profile.debts is not None and all(d.balance is not None for d in relief),
        debt_total=sum(d.balance or 0 for d in relief),
        excluded_total=sum(d.balance or 0 for d in excluded),
        any_guarantor=any(d.guarantor for d in debts),
        has_car_loan=any(d.lender_type == "car_loan" for d in debts),
    )


# ---- formatting ---------------------------------------------------------------------

def _pct(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _debt_or_no_debt_reason(situation: Situation) -> Optional[str]:
    """The reason every debt-relief procedure gives when D is zero or unknown, else None."""
    reasons = texts()["reasons"]
    if situation.no_debt:
        return str(reasons["no_debt"])
    if not situation.debts_known:
        return str(reasons["debts_unknown"])
    return None


# ---- 任意整理 ------------------------------------------------------------------------

def _settlement_fit(situation: Situation, terms: Terms) -> str:
    months = terms.months_needed
    if situation.no_debt or months is None:
        return UNS
    if months <= 36:
        return POS if situation.stable_income is False else REC
    if months <= 60:
        return POS
    return UNS


def _settlement_options(situation: Situation, fit: str) -> FrozenSet[str]:
    capacity, stable = situation.capacity, situation.stable_income
    if situation.no_debt or capacity == 0:
        return frozenset({UNS})
    if not situation.debts_known or capacity is None:
        return frozenset({POS, UNS}) if stable is False else _ANY_FIT
    if fit == REC and stable is None:
        return frozenset({REC, POS})
    return frozenset({fit})


def voluntary_settlement(situation: Situation, terms: Terms) -> ProcedureResult:
    """任意整理: fit on ceil(D / C) months (36 / 60), reasons and refusal risks."""
    all_texts = texts()
    vs = all_texts["reasons"]["voluntary_settlement"]
    profile = situation.profile
    fit = _settlement_fit(situation, terms)
    first = _debt_or_no_debt_reason(situation)
    if first is not None:
        reasons = [first]
    elif situation.capacity is None:
        reasons = [vs["capacity_unknown"]]
    elif situation.capacity == 0:
        reasons = [vs["unsuitable_no_capacity"]]
    else:
        months = terms.months_needed
        assert months is not None  # D and C > 0 are known
        if fit == POS:
            key = "possible_income" if months <= 36 else "possible_long"
        else:
            key = {REC: "recommended", UNS: "unsuitable_long"}[fit]
        reasons = [vs[key].format(months=months, **terms.text_values(situation))]
    if not situation.no_debt and situation.debts_known and profile.restricted_occupation:
        reasons.append(vs["occupation"])

    risks: List[str] = []
    if not situation.no_debt:
        keys = []
        if profile.seizure_or_lawsuit:
            keys.append("seizure_or_lawsuit")
        if situation.stable_income is False:
            keys.append("unstable_income")
        if any(d.lender_type == "servicer" and d.balance != 0 for d in situation.relief_debts):
            keys.append("servicer")
        if terms.months_needed is not None and terms.months_needed > 60:
            keys.append("long_repayment")
        if profile.discharge_within_7_years:
            keys.append("earlier_relief")
        risks = [refusal_risk_text(k) for k in keys]
        rk = all_texts["risks"]["voluntary_settlement"]
        risks += ([rk["guarantor"]] if situation.any_guarantor else []) \
            + ([rk["car_loan"]] if situation.has_car_loan else [])
        risks += rk["general"]
    return ProcedureResult("voluntary_settlement", fit, _settlement_options(situation, fit), reasons, risks)


# ---- 個人再生 ------------------------------------------------------------------------

def _rehabilitation_fit(situation: Situation, terms: Terms) -> str:
    capacity = situation.capacity
    if situation.no_debt or situation.stable_income is False or situation.debt_total > REHAB_LIMIT \
            or (not situation.debts_known and capacity == 0):
        return UNS
    if not situation.debts_known or capacity is None:
        return POS
    return _rehab_fit_for(capacity, terms.repayment)


def _rehabilitation_options(situation: Situation) -> FitOptions:
    """Every fit 個人再生 can still take, and the unknown facts that make it vary."""
    debt_total, capacity, assets = situation.debt_total, situation.capacity, situation.assets
    stable = situation.stable_income
    if situation.no_debt or stable is False or capacity == 0:
        return FitOptions(frozenset({UNS}))
    if not situation.debts_known:
        return FitOptions(_ANY_FIT, ("debts",))
    if debt_total > REHAB_LIMIT:
        return FitOptions(frozenset({UNS}))
    options = set()
    deciding: List[str] = []
    if stable is None:
        options.add(UNS)
        deciding.append("stable_income")
    if capacity is None:
        return FitOptions(_ANY_FIT, tuple(["monthly_capacity"] + deciding))
    low = _rehab_fit_for(capacity, _rehab_repayment(debt_total, assets))
    if assets is None:
        high = _rehab_fit_for(capacity, debt_total)  # the most assets can raise the repayment to
        ladder = (REC, POS, UNS)
        span = set(ladder[ladder.index(low):ladder.index(high) + 1])
        if len(span) > 1:
            deciding.append("assets_value")
        options |= span
    else:
        options.add(low)
    return FitOptions(frozenset(options), tuple(deciding))


def individual_rehabilitation(situation: Situation, terms: Terms) -> ProcedureResult:
    """個人再生: fit on the repayment over 36 / 60 months, reasons and risks."""
    all_texts = texts()
    rr = all_texts["reasons"]["individual_rehabilitation"]
    profile = situation.profile
    fit = _rehabilitation_fit(situation, terms)
    open_fits = _rehabilitation_options(situation)
    values = terms.text_values(situation)
    within_limit = situation.debt_total <= REHAB_LIMIT
    first = _debt_or_no_debt_reason(situation)
    if first is not None:
        reasons = [first]
    elif not within_limit:
        reasons = [rr["unsuitable_over_limit"]]
    else:
        reasons = [rr["minimum"].format(**values)]
        if terms.repayment > terms.minimum_repayment:
            reasons.append(rr["liquidation"].format(**values))
        if situation.stable_income is False:
            reasons.append(rr["unsuitable_income"])
        elif situation.capacity is not None:
            reasons.append({UNS: rr["unsuitable_capacity"], REC: rr["recommended"],
                            POS: rr["possible"]}[fit].format(**values))
            if fit == POS:
                reasons.append(rr["possible_note"])
        if len(open_fits.options) > 1 and open_fits.deciding_facts:
            names = all_texts["labels"].get("fact", {})
            reasons.append(rr["undecided"].format(
                facts="と".join(names.get(n, n) for n in open_fits.deciding_facts)))
    if not situation.no_debt and profile.owns_home and profile.keep_home:
        reasons.append(rr["home"])
    if situation.debts_known and not situation.no_debt and within_limit:
        if profile.restricted_occupation:
            reasons.append(rr["occupation"])
        if profile.cause == "gambling_or_spending":
            reasons.append(rr["any_cause"])

    risks: List[str] = []
    if not situation.no_debt:
        rk = all_texts["risks"]["individual_rehabilitation"]
        risks = ([rk["guarantor"]] if situation.any_guarantor else []) \
            + ([rk["car_loan"]] if situation.has_car_loan else [])
        risks += rk["general"]
    return ProcedureResult("individual_rehabilitation", fit, open_fits.options, reasons, risks,
                           open_fits.deciding_facts)


# ---- 自己破産 ------------------------------------------------------------------------

def _bankruptcy_fit_given(settlement_fit: str, rehabilitation_fit: str) -> str:
    return REC if settlement_fit == UNS and rehabilitation_fit == UNS else POS


def bankruptcy(situation: Situation, settlement: ProcedureResult,
               rehabilitation: ProcedureResult) -> ProcedureResult:
    """自己破産: recommended when 任意整理 and 個人再生 are both unsuitable; its risks."""
    all_texts = texts()
    profile = situation.profile
    if situation.no_debt:
        fit, options = UNS, frozenset({UNS})
    else:
        fit = _bankruptcy_fit_given(settlement.fit, rehabilitation.fit)
        fits = {_bankruptcy_fit_given(s, r) for s in settlement.options for r in rehabilitation.options}
        if not situation.debts_known:
            fits.add(UNS)
        options = frozenset(fits)
    first = _debt_or_no_debt_reason(situation)
    reasons = [first] if first is not None else \
        [all_texts["reasons"]["bankruptcy"]["recommended" if fit == REC else "possible"]]
    risks: List[str] = []
    if not situation.no_debt:
        bk = all_texts["risks"]["bankruptcy"]
        if profile.cause == "gambling_or_spending":
            risks.append(bk["gambling"])
        if profile.discharge_within_7_years:
            risks.append(bk["earlier_discharge"])
        if profile.restricted_occupation:
            risks.append(bk["occupation"])
        if profile.owns_home:
            risks.append(bk["home"])
        if situation.any_guarantor:
            risks.append(bk["guarantor"])
        risks += bk["general"]
    return ProcedureResult("bankruptcy", fit, options, reasons, risks)


# ---- 特定調停 ------------------------------------------------------------------------

def _mediation_fit_given(settlement_fit: str) -> str:
    return POS if settlement_fit in (REC, POS) else UNS


def specific_mediation(situation: Situation, settlement: ProcedureResult) -> ProcedureResult:
    """特定調停: possible exactly when 任意整理 is recommended or possible."""
    all_texts = texts()
    fit = _mediation_fit_given(settlement.fit)
    options = frozenset(_mediation_fit_given(s) for s in settlement.options)
    first = _debt_or_no_debt_reason(situation)
    reasons = [first] if first is not None else \
        [all_texts["reasons"]["specific_mediation"]["possible" if fit == POS else "unsuitable"]]
    risks = [] if situation.no_debt else list(all_texts["risks"]["specific_mediation"]["general"])
    return ProcedureResult("specific_mediation", fit, options, reasons, risks)


# ---- 過払い金 ------------------------------------------------------------------------

def _debt_likelihood(debt: Debt, this_year: int) -> DebtLikelihood:
    """The 過払い金 likelihood of one debt, in the order of docs/rules.md."""
    lender = texts()["labels"]["lender_type"][debt.lender_type]
    if debt.lender_type not in OVERPAYMENT_TYPES:
        return DebtLikelihood("unlikely", "unlikely_type", lender)
    rate, start, done = debt.rate_percent, debt.start_year, debt.completed_year
    if done is not None and done < this_year - 10:
        return DebtLikelihood("time_barred", "time_barred", lender, year=done)
    if rate is not None and rate > 20:
        return DebtLikelihood("likely", "likely", lender, rate=_pct(rate))
    if rate is not None and rate <= 15:
        return DebtLikelihood("unlikely", "unlikely_rate", lender, rate=_pct(rate))
    if start is not None and start >= 2011:
        return DebtLikelihood("unlikely", "unlikely_year", lender, year=start)
    if start is not None and start <= 2010:
        return DebtLikelihood("possible", "possible_year", lender, year=start)
    if rate is not None:  # 15 < rate <= 20
        return DebtLikelihood("possible", "possible_rate", lender, rate=_pct(rate))
    return DebtLikelihood("unknown", "unknown", lender)


def overpayment_likelihood(debts: Optional[Sequence[Debt]], this_year: int) -> OverpaymentResult:
    """The profile's 過払い金 likelihood (the first of LIKELIHOOD_ORDER held by any debt)
    and its reasons, most likely first, without repeats."""
    overpayment_texts = texts()["overpayment"]
    if debts is None:
        return OverpaymentResult("unknown", [overpayment_texts["no_debts"]])
    if not debts:
        return OverpaymentResult("unlikely", [])
    found = [_debt_likelihood(d, this_year) for d in debts]
    likelihood = min((f.likelihood for f in found), key=LIKELIHOOD_ORDER.index)
    if any(d.lender_type in OVERPAYMENT_TYPES for d in debts):
        # the general note on other lender types only when no debt could have one
        found = [f for f in found if f.reason_key != "unlikely_type"]
    reasons: List[str] = []
    for f in sorted(found, key=lambda f: LIKELIHOOD_ORDER.index(f.likelihood)):
        text = f.reason(overpayment_texts)
        if text not in reasons:
            reasons.append(text)
    return OverpaymentResult(likelihood, reasons)


def overpayment_claim(result: OverpaymentResult) -> ProcedureResult:
    """過払い金請求: recommended when likely, possible when possible."""
    fit = {"likely": REC, "possible": POS}.get(result.likelihood, UNS)
    risks = list(texts()["risks"]["overpayment_claim"]["general"]) if fit != UNS else []
    options = frozenset({fit}) if result.likelihood != "unknown" else _ANY_FIT
    return ProcedureResult("overpayment_claim", fit, options, result.reasons, risks)


# ---- primary recommendation and missing facts -------------------------------------------

def missing_facts(situation: Situation, settlement: ProcedureResult,
                  rehabilitation: ProcedureResult, likelihood: str) -> List[str]:
    """The unknown facts that could change the primary recommendation, most decisive
    first (MISSING_ORDER); empty when the recommendation is decided."""
    if not situation.debts_known:
        missing = ["debts"]
        if situation.capacity is None:
            missing.append("monthly_capacity")
        if situation.stable_income is None:
            missing.append("stable_income")
        return missing
    if situation.no_debt:
        return ["debts.start_year", "debts.rate_percent"] if likelihood == "unknown" else []
    if situation.capacity is None:
        missing = ["monthly_capacity"]
        if situation.stable_income is None and situation.debt_total <= REHAB_LIMIT:
            missing.append("stable_income")
        return missing
    if settlement.fit in (REC, POS) or rehabilitation.options <= {REC, POS} \
            or rehabilitation.options == {UNS}:
        return []
    return [m for m in MISSING_ORDER if m in rehabilitation.deciding_facts]


def primary_recommendation(situation: Situation, settlement: ProcedureResult,
                           rehabilitation: ProcedureResult, likelihood: str) -> Recommendation:
    """The first procedure of the order 過払い金 (D = 0), 任意整理, 個人再生, 自己破産 that
    fits; null while a missing fact could change it."""
    missing = missing_facts(situation, settlement, rehabilitation, likelihood)
    primary: Optional[str] = None
    if missing:
        primary = None
    elif situation.no_debt:
        primary = "overpayment_claim" if likelihood in ("likely", "possible") else None
    elif settlement.fit in (REC, POS):
        primary = "voluntary_settlement"
    elif rehabilitation.options <= {REC, POS}:
        primary = "individual_rehabilitation"
    elif rehabilitation.options == {UNS}:
        primary = "bankruptcy"
    return Recommendation(primary, missing)


# ---- 法テラス, urgent notes, next steps ---------------------------------------------------

def legal_aid(profile: Profile) -> LegalAidOutput:
    """法テラス fee assistance: eligible true/false/null and the limits that are known."""
    household, large_city = profile.household_size, profile.large_city
    limits = legal_aid_limits(household, bool(large_city)) if household is not None else None
    return {
        "eligible": _legal_aid(profile.monthly_take_home, profile.assets_value, household, large_city),
        "income_limit": limits.income if limits is not None and large_city is not None else None,
        "asset_limit": limits.assets if limits is not None else None,
    }


def urgent_notes(situation: Situation, this_year: int) -> List[str]:
    """A lawsuit, 支払督促 or seizure; a 過払い金 whose time limit ends this year or next."""
    urgent = texts()["urgent"]
    notes: List[str] = []
    if situation.profile.seizure_or_lawsuit:
        notes.append(urgent["seizure_or_lawsuit"])
    near = sorted({d.completed_year for d in situation.profile.debts or ()
                   if d.completed_year is not None and this_year - 10 <= d.completed_year <= this_year - 9
                   and _debt_likelihood(d, this_year).likelihood in ("likely", "possible")})
    if near:
        notes.append(urgent["time_bar_near"].format(year=near[0]))
    return notes


def next_steps(situation: Situation, recommendation: Recommendation) -> List[str]:
    all_texts = texts()
    steps_texts = all_texts["next_steps"]
    steps: List[str] = [steps_texts["urgent"]] if situation.profile.seizure_or_lawsuit else []
    if recommendation.primary is not None:
        steps += steps_texts[recommendation.primary]
    elif recommendation.missing:
        steps += steps_texts["undecided"]
    else:
        steps += steps_texts["no_debt"]
    if situation.excluded_debts:
        steps.append(all_texts["excluded"])
    return steps


# ---- diagnose -----------------------------------------------------------------------

def _sort_key(result: ProcedureResult, primary: Optional[str]) -> Tuple[int, bool, int]:
    return _FIT_RANK[result.fit], result.procedure != primary, PROCEDURES.index(result.procedure)


def diagnose(profile: Mapping[str, Any], *, today: Optional[_dt.date] = None) -> Assessment:
    """The Assessment of docs/rules.md for ``profile`` (see the module docstring for the
    decisions beyond the rules). Raises :class:`InputError` on bad input."""
    this_year = (today or _dt.date.today()).year
    situation = _situation(_validate(profile, this_year))
    terms = _terms(situation)

    settlement = voluntary_settlement(situation, terms)
    rehabilitation = individual_rehabilitation(situation, terms)
    over = overpayment_likelihood(situation.profile.debts, this_year)
    procedures = [
        settlement,
        rehabilitation,
        bankruptcy(situation, settlement, rehabilitation),
        specific_mediation(situation, settlement),
        overpayment_claim(over),
    ]
    recommendation = primary_recommendation(situation, settlement, rehabilitation, over.likelihood)
    procedures.sort(key=lambda result: _sort_key(result, recommendation.primary))

    return {
        "primary": recommendation.primary,
        "procedures": [result.output() for result in procedures],
        "debt_total": situation.debt_total,
        "excluded_total": situation.excluded_total,
        "settlement": {"months_needed": terms.months_needed, "monthly_36": terms.settlement_monthly_36,
                       "monthly_60": terms.settlement_monthly_60},
        "rehabilitation": {"minimum_repayment": terms.minimum_repayment, "repayment": terms.repayment,
                           "monthly_36": terms.rehabilitation_monthly_36,
                           "monthly_60": terms.rehabilitation_monthly_60},
        "overpayment": {"likelihood": over.likelihood, "reasons": over.reasons},
        "legal_aid": legal_aid(situation.profile),
        "urgent": urgent_notes(situation, this_year),
        "next_steps": next_steps(situation, recommendation),
        "documents": documents_for(recommendation.primary),
        "missing": recommendation.missing,
    }
