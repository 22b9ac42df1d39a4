"""diagnose(profile) -> the Assessment of shared/spec/rules.md.

Fits follow rules.md to the letter on the facts that are known: a condition on an unknown
fact is simply not met (so 任意整理 with an unknown ``monthly_capacity`` is
``unsuitable``, as rules.md says, with ``monthly_capacity`` in ``missing``). Because such a
fit may still change, each procedure also carries ``decided``: false when some unknown
fact could change its fit (show it as 「まだ判断できません」 rather than as a verdict).

``primary`` is null whenever an unknown fact could change it, and ``missing`` then lists
the unknown facts that could decide it, in the order ``debts``, ``monthly_capacity``,
``stable_income``, ``assets_value``, ``debts.start_year``, ``debts.rate_percent`` (the last
two: the start year or contract rate of the debts, when nothing owed remains and only the
過払い金 question is open). When ``primary`` is not null, ``missing`` is empty.

Decisions and interpretations beyond rules.md (each covered by tests):

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
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Dict, List, Optional, Set, Tuple

from debt_rules.errors import (InputError, check_amount, check_bool, check_count, check_enum,
                               check_known_keys, check_mapping, check_percent, check_year)
from debt_rules.facts import CAUSES, EXCLUDED_TYPES, LENDER_TYPES, OVERPAYMENT_TYPES
from debt_rules.knowledge import documents_for, refusal_risk_text
from debt_rules.texts import texts, yen  # noqa: F401  (yen re-exported for callers)

__all__ = ["diagnose", "texts", "PROCEDURES", "PROFILE_FIELDS", "DEBT_FIELDS", "MISSING_ORDER",
           "minimum_repayment", "legal_aid_limits"]

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
LIKELIHOOD_ORDER = ("likely", "possible", "time_barred", "unknown", "unlikely")
REHAB_LIMIT = 50_000_000

# ---- figures -----------------------------------------------------------------------

def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def minimum_repayment(d: int) -> int:
    """民事再生法231条2項3号・4号 minimum on D (rules.md bands)."""
    if d < 1_000_000:
        return d
    if d <= 5_000_000:
        return 1_000_000
    if d <= 15_000_000:
        return d // 5
    if d <= 30_000_000:
        return 3_000_000
    return d // 10


def _rehab_repayment(d: int, assets: Optional[int]) -> int:
    return min(d, max(minimum_repayment(d), assets or 0))


def _rehab_fit_for(c: int, repayment: int) -> str:
    if c < _ceil_div(repayment, 60):
        return UNS
    if c >= _ceil_div(repayment, 36):
        return REC
    return POS


_INCOME_BASE = {1: 182_000, 2: 251_000, 3: 272_000, 4: 299_000}
_INCOME_CITY = {1: 200_200, 2: 276_100, 3: 299_200, 4: 328_900}
_ASSET = {1: 1_800_000, 2: 2_500_000, 3: 2_700_000, 4: 3_000_000}


def legal_aid_limits(household: int, large_city: bool) -> Tuple[int, int]:
    """(income limit, asset limit) of 法テラス for a household size."""
    table, step = (_INCOME_CITY, 33_000) if large_city else (_INCOME_BASE, 30_000)
    if household <= 4:
        return table[household], _ASSET[household]
    return table[4] + step * (household - 4), _ASSET[4]


def _legal_aid(ti, assets, household, large_city) -> Optional[bool]:
    """True/False when every completion of the unknown facts agrees, else None. The
    limits only grow with the household and the large city, so the extremes suffice."""
    big = 10 ** 13
    results = set()
    for t in ([ti] if ti is not None else [0, big]):
        for a in ([assets] if assets is not None else [0, big]):
            for h in ([household] if household is not None else [1, 10 ** 6]):
                for lc in ([large_city] if large_city is not None else [False, True]):
                    inc, asset = legal_aid_limits(h, lc)
                    results.add(t <= inc and a <= asset)
    return results.pop() if len(results) == 1 else None


# ---- input -------------------------------------------------------------------------

def _validate(profile: Any, this_year: int) -> Dict[str, Any]:
    check_mapping(profile, "profile")
    check_known_keys(profile, PROFILE_FIELDS, "")
    p: Dict[str, Any] = {}
    for name, kind in PROFILE_FIELDS.items():
        value = profile.get(name)
        if value is None:
            continue
        if kind == "amount":
            p[name] = check_amount(value, name)
        elif kind == "bool":
            p[name] = check_bool(value, name)
        elif kind == "household":
            p[name] = check_count(value, name, 1, 30, "世帯の人数")
        elif kind == "cause":
            p[name] = check_enum(value, name, CAUSES, "cause")
        else:
            p[name] = _validate_debts(value, this_year)
    return p


def _validate_debts(value: Any, this_year: int) -> List[Dict[str, Any]]:
    if not isinstance(value, list):
        raise InputError("debts", "借金の一覧（debts）はリスト（[ ... ]）で入力してください。")
    debts = []
    for i, raw in enumerate(value):
        where = f"debts[{i}]"
        check_mapping(raw, where)
        check_known_keys(raw, DEBT_FIELDS, where)
        d: Dict[str, Any] = {"lender_type": "other", "balance": None, "start_year": None,
                             "completed_year": None, "rate_percent": None, "guarantor": None}
        if raw.get("lender_type") is not None:
            d["lender_type"] = check_enum(raw["lender_type"], f"{where}.lender_type", LENDER_TYPES,
                                          "借入先の種類（lender_type）")
        if raw.get("balance") is not None:
            d["balance"] = check_amount(raw["balance"], f"{where}.balance")
        for y in ("start_year", "completed_year"):
            if raw.get(y) is not None:
                d[y] = check_year(raw[y], f"{where}.{y}", this_year)
        if raw.get("rate_percent") is not None:
            check_percent(raw["rate_percent"], f"{where}.rate_percent")
            d["rate_percent"] = float(raw["rate_percent"])
        if raw.get("guarantor") is not None:
            d["guarantor"] = check_bool(raw["guarantor"], f"{where}.guarantor")
        if d["start_year"] is not None and d["completed_year"] is not None \
                and d["completed_year"] < d["start_year"]:
            raise InputError(f"{where}.completed_year", "完済した年が、借入れを始めた年より前になっています。")
        debts.append(d)
    return debts


# ---- formatting ---------------------------------------------------------------------

def _pct(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


# ---- overpayment --------------------------------------------------------------------

def _debt_likelihood(d: Dict[str, Any], this_year: int) -> Tuple[str, str, Dict[str, Any]]:
    """(likelihood, reason key, format values) for one debt, rules.md order."""
    labels = texts()["labels"]["lender_type"]
    values = {"lender": labels[d["lender_type"]], "rate": None, "year": None}
    if d["lender_type"] not in OVERPAYMENT_TYPES:
        return "unlikely", "unlikely_type", values
    rate, start, done = d["rate_percent"], d["start_year"], d["completed_year"]
    if done is not None and done < this_year - 10:
        return "time_barred", "time_barred", dict(values, year=done)
    if rate is not None and rate > 20:
        return "likely", "likely", dict(values, rate=_pct(rate))
    if rate is not None and rate <= 15:
        return "unlikely", "unlikely_rate", dict(values, rate=_pct(rate))
    if start is not None and start >= 2011:
        return "unlikely", "unlikely_year", dict(values, year=start)
    if start is not None and start <= 2010:
        return "possible", "possible_year", dict(values, year=start)
    if rate is not None:  # 15 < rate <= 20
        return "possible", "possible_rate", dict(values, rate=_pct(rate))
    return "unknown", "unknown", values


def _overpayment(debts: Optional[List[Dict[str, Any]]], this_year: int) -> Tuple[str, List[str]]:
    t = texts()["overpayment"]
    if debts is None:
        return "unknown", [t["no_debts"]]
    if not debts:
        return "unlikely", []
    found = [_debt_likelihood(d, this_year) for d in debts]
    likelihood = min((f[0] for f in found), key=LIKELIHOOD_ORDER.index)
    if any(d["lender_type"] in OVERPAYMENT_TYPES for d in debts):
        # the general note on other lender types only when no debt could have one
        found = [f for f in found if f[1] != "unlikely_type"]
    reasons: List[str] = []
    for _, key, values in sorted(found, key=lambda f: LIKELIHOOD_ORDER.index(f[0])):
        text = t[key].format(**values)
        if text not in reasons:
            reasons.append(text)
    return likelihood, reasons


# ---- diagnose -----------------------------------------------------------------------

def diagnose(profile: Dict[str, Any], *, today: Optional[_dt.date] = None) -> Dict[str, Any]:
    """The Assessment of rules.md for ``profile`` (see the module docstring for the
    decisions beyond rules.md). Raises :class:`InputError` on bad input."""
    today = today or _dt.date.today()
    this_year = today.year
    p = _validate(profile, this_year)
    T = texts()
    R = T["reasons"]

    debts = p.get("debts")
    relief = [d for d in debts or [] if d["lender_type"] not in EXCLUDED_TYPES]
    excluded = [d for d in debts or [] if d["lender_type"] in EXCLUDED_TYPES]
    d_known = debts is not None and all(d["balance"] is not None for d in relief)
    D = sum(d["balance"] or 0 for d in relief)
    excluded_total = sum(d["balance"] or 0 for d in excluded)
    no_debt = d_known and D == 0
    C = p.get("monthly_capacity")
    stable = p.get("stable_income")
    assets = p.get("assets_value")
    owns_home, keep_home = p.get("owns_home"), p.get("keep_home")
    any_guarantor = any(d["guarantor"] for d in debts or [])
    has_car_loan = any(d["lender_type"] == "car_loan" for d in debts or [])
    F = {"D": yen(D), "C": yen(C) if C is not None else ""}

    # -- 任意整理
    months = _ceil_div(D, C) if d_known and C else None
    if no_debt or months is None:
        s_fit = UNS
    elif months <= 36:
        s_fit = POS if stable is False else REC
    elif months <= 60:
        s_fit = POS
    else:
        s_fit = UNS
    if no_debt or C == 0:
        s_opts = {UNS}
    elif not d_known or C is None:
        s_opts = {POS, UNS} if stable is False else {REC, POS, UNS}
    elif s_fit == REC and stable is None:
        s_opts = {REC, POS}
    else:
        s_opts = {s_fit}
    if no_debt:
        s_reasons = [R["no_debt"]]
    elif not d_known:
        s_reasons = [R["debts_unknown"]]
    elif C is None:
        s_reasons = [R["voluntary_settlement"]["capacity_unknown"]]
    elif C == 0:
        s_reasons = [R["voluntary_settlement"]["unsuitable_no_capacity"]]
    else:
        key = {REC: "recommended", UNS: "unsuitable_long"}.get(s_fit)
        if s_fit == POS:
            key = "possible_income" if months <= 36 else "possible_long"
        s_reasons = [R["voluntary_settlement"][key].format(months=months, **F)]
    if not no_debt and d_known and p.get("restricted_occupation"):
        s_reasons.append(R["voluntary_settlement"]["occupation"])
    s_risks: List[str] = []
    if not no_debt:

        keys = []
        if p.get("seizure_or_lawsuit"):
            keys.append("seizure_or_lawsuit")
        if stable is False:
            keys.append("unstable_income")
        if any(d["lender_type"] == "servicer" and d["balance"] != 0 for d in relief):
            keys.append("servicer")
        if months is not None and months > 60:
            keys.append("long_repayment")
        if p.get("discharge_within_7_years"):
            keys.append("earlier_relief")
        s_risks = [refusal_risk_text(k) for k in keys]
        rk = T["risks"]["voluntary_settlement"]
        s_risks += ([rk["guarantor"]] if any_guarantor else []) + ([rk["car_loan"]] if has_car_loan else [])
        s_risks += rk["general"]

    # -- 個人再生
    minimum = minimum_repayment(D)
    repayment = _rehab_repayment(D, assets)
    r36, r60 = _ceil_div(repayment, 36), _ceil_div(repayment, 60)
    if no_debt or stable is False or D > REHAB_LIMIT or (not d_known and C == 0):
        r_fit = UNS
    elif not d_known or C is None:
        r_fit = POS
    else:
        r_fit = _rehab_fit_for(C, repayment)
    r_opts, r_need = _rehab_options(d_known, D, C, stable, assets)
    rr = R["individual_rehabilitation"]
    F.update(minimum=yen(minimum), repayment=yen(repayment), m36=yen(r36), m60=yen(r60),
             assets=yen(assets or 0))
    if no_debt:
        r_reasons = [R["no_debt"]]
    elif not d_known:
        r_reasons = [R["debts_unknown"]]
    elif D > REHAB_LIMIT:
        r_reasons = [rr["unsuitable_over_limit"]]
    else:
        r_reasons = [rr["minimum"].format(**F)]
        if repayment > minimum:
            r_reasons.append(rr["liquidation"].format(**F))
        if stable is False:
            r_reasons.append(rr["unsuitable_income"])
        elif C is not None:
            r_reasons.append({UNS: rr["unsuitable_capacity"], REC: rr["recommended"],
                              POS: rr["possible"]}[r_fit].format(**F))
            if r_fit == POS:
                r_reasons.append(rr["possible_note"])
        if len(r_opts) > 1 and r_need:
            names = T["labels"].get("fact", {})
            r_reasons.append(rr["undecided"].format(facts="と".join(names.get(n, n) for n in r_need)))
    if not no_debt and owns_home and keep_home:
        r_reasons.append(rr["home"])
    if d_known and not no_debt and D <= REHAB_LIMIT:
        if p.get("restricted_occupation"):
            r_reasons.append(rr["occupation"])
        if p.get("cause") == "gambling_or_spending":
            r_reasons.append(rr["any_cause"])
    r_risks: List[str] = []
    if not no_debt:
        rk = T["risks"]["individual_rehabilitation"]
        r_risks = ([rk["guarantor"]] if any_guarantor else []) + ([rk["car_loan"]] if has_car_loan else [])
        r_risks += rk["general"]

    # -- 自己破産
    if no_debt:
        b_fit, b_opts = UNS, {UNS}
    else:
        b_fit = REC if s_fit == UNS and r_fit == UNS else POS
        b_opts = {REC if s == UNS and r == UNS else POS for s in s_opts for r in r_opts}
        if not d_known:
            b_opts.add(UNS)
    b_reasons = [R["no_debt"]] if no_debt else [R["debts_unknown"]] if not d_known else \
        [R["bankruptcy"]["recommended" if b_fit == REC else "possible"]]
    b_risks: List[str] = []
    if not no_debt:
        bk = T["risks"]["bankruptcy"]
        if p.get("cause") == "gambling_or_spending":
            b_risks.append(bk["gambling"])
        if p.get("discharge_within_7_years"):
            b_risks.append(bk["earlier_discharge"])
        if p.get("restricted_occupation"):
            b_risks.append(bk["occupation"])
        if owns_home:
            b_risks.append(bk["home"])
        if any_guarantor:
            b_risks.append(bk["guarantor"])
        b_risks += bk["general"]

    # -- 特定調停
    m_fit = POS if s_fit in (REC, POS) else UNS
    m_opts = {POS if s in (REC, POS) else UNS for s in s_opts}
    m_reasons = [R["no_debt"]] if no_debt else [R["debts_unknown"]] if not d_known else \
        [R["specific_mediation"]["possible" if m_fit == POS else "unsuitable"]]
    m_risks = [] if no_debt else list(T["risks"]["specific_mediation"]["general"])

    # -- 過払い金
    likelihood, o_reasons = _overpayment(debts, this_year)
    o_fit = {"likely": REC, "possible": POS}.get(likelihood, UNS)
    o_risks = list(T["risks"]["overpayment_claim"]["general"]) if o_fit != UNS else []

    # -- primary and missing
    primary, missing = _primary(d_known, D, C, stable, assets, s_fit, r_opts, r_need, likelihood)

    procedures = [
        _proc("voluntary_settlement", s_fit, s_opts, s_reasons, s_risks),
        _proc("individual_rehabilitation", r_fit, r_opts, r_reasons, r_risks),
        _proc("bankruptcy", b_fit, b_opts, b_reasons, b_risks),
        _proc("specific_mediation", m_fit, m_opts, m_reasons, m_risks),
        _proc("overpayment_claim", o_fit, {o_fit} if likelihood != "unknown" else {REC, POS, UNS},
              o_reasons, o_risks),
    ]
    procedures.sort(key=lambda x: (_FIT_RANK[x["fit"]], x["procedure"] != primary,
                                   PROCEDURES.index(x["procedure"])))

    # -- urgent, next steps, documents, 法テラス
    urgent: List[str] = []
    if p.get("seizure_or_lawsuit"):
        urgent.append(T["urgent"]["seizure_or_lawsuit"])
    near = sorted({d["completed_year"] for d in debts or []
                   if d["completed_year"] is not None and this_year - 10 <= d["completed_year"] <= this_year - 9
                   and _debt_likelihood(d, this_year)[0] in ("likely", "possible")})
    if near:
        urgent.append(T["urgent"]["time_bar_near"].format(year=near[0]))
    N = T["next_steps"]
    steps: List[str] = [N["urgent"]] if p.get("seizure_or_lawsuit") else []
    if primary is not None:
        steps += N[primary]
    elif missing:
        steps += N["undecided"]
    else:
        steps += N["no_debt"]
    if excluded:
        steps.append(T["excluded"])

    household, large_city = p.get("household_size"), p.get("large_city")
    limits = legal_aid_limits(household, bool(large_city)) if household is not None else None
    return {
        "primary": primary,
        "procedures": procedures,
        "debt_total": D,
        "excluded_total": excluded_total,
        "settlement": {"months_needed": months, "monthly_36": _ceil_div(D, 36), "monthly_60": _ceil_div(D, 60)},
        "rehabilitation": {"minimum_repayment": minimum, "repayment": repayment,
                           "monthly_36": r36, "monthly_60": r60},
        "overpayment": {"likelihood": likelihood, "reasons": o_reasons},
        "legal_aid": {
            "eligible": _legal_aid(p.get("monthly_take_home"), assets, household, large_city),
            "income_limit": limits[0] if limits and large_city is not None else None,
            "asset_limit": limits[1] if limits else None,
        },
        "urgent": urgent,
        "next_steps": steps,
        "documents": documents_for(primary),
        "missing": missing,
    }


def _proc(name: str, fit: str, options: Set[str], reasons: List[str], risks: List[str]) -> Dict[str, Any]:
    return {"procedure": name, "fit": fit, "decided": len(options) == 1, "reasons": reasons, "risks": risks}


def _rehab_options(d_known, D, C, stable, assets) -> Tuple[Set[str], List[str]]:
    """Every fit 個人再生 can still take, and the unknown facts that make it vary."""
    if (d_known and D == 0) or stable is False or C == 0:
        return {UNS}, []
    if not d_known:
        return {REC, POS, UNS}, ["debts"]
    if D > REHAB_LIMIT:
        return {UNS}, []
    opts: Set[str] = set()
    need: List[str] = []
    if stable is None:
        opts.add(UNS)
        need.append("stable_income")
    if C is None:
        return opts | {REC, POS, UNS}, ["monthly_capacity"] + need
    low = _rehab_fit_for(C, _rehab_repayment(D, assets))
    if assets is None:
        high = _rehab_fit_for(C, D)  # the most assets can raise the repayment to
        ladder = (REC, POS, UNS)
        span = set(ladder[ladder.index(low):ladder.index(high) + 1])
        if len(span) > 1:
            need.append("assets_value")
        opts |= span
    else:
        opts.add(low)
    return opts, need


def _primary(d_known, D, C, stable, assets, s_fit, r_opts, r_need, likelihood):
    if not d_known:
        missing = ["debts"]
        if C is None:
            missing.append("monthly_capacity")
        if stable is None:
            missing.append("stable_income")
        return None, missing
    if D == 0:
        if likelihood in ("likely", "possible"):
            return "overpayment_claim", []
        if likelihood == "unknown":
            return None, ["debts.start_year", "debts.rate_percent"]
        return None, []
    if C is None:
        missing = ["monthly_capacity"]
        if stable is None and D <= REHAB_LIMIT:
            missing.append("stable_income")
        return None, missing
    if s_fit in (REC, POS):
        return "voluntary_settlement", []
    if r_opts <= {REC, POS}:
        return "individual_rehabilitation", []
    if r_opts == {UNS}:
        return "bankruptcy", []
    return None, [m for m in MISSING_ORDER if m in r_need]
