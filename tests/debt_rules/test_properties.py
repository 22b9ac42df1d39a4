"""Property tests (hypothesis) for the recalculation and the diagnosis."""

from __future__ import annotations

import datetime as dt
import json
from fractions import Fraction

from hypothesis import HealthCheck, assume, given, settings  # noqa: F401
from hypothesis import strategies as st

from debt_rules import build_profile, diagnose, next_question, recalculate
from debt_rules.diagnose import _legal_aid, minimum_repayment
from debt_rules.facts import LENDER_TYPES

from ._reference import reference, year_fraction

TODAY = dt.date(2025, 6, 1)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---- histories --------------------------------------------------------------------------

@st.composite
def histories(draw, max_len=12):
    """Short histories around leap years, with same-day rows, borrowings and repayments of
    every size (so the cap changes, overpayments arise and are set off)."""
    start = draw(st.dates(min_value=dt.date(1999, 1, 1), max_value=dt.date(2012, 12, 31)))
    n = draw(st.integers(1, max_len))
    day = start
    txs = []
    for i in range(n):
        if i:
            day += dt.timedelta(days=draw(st.sampled_from([0, 0, 1, 28, 30, 31, 59, 180, 365, 366, 400])))
        kind = draw(st.sampled_from(["borrow", "repay", "repay", "both"]))
        amount = lambda: draw(st.one_of(st.integers(0, 150_000), st.integers(0, 2_000_000),
                                        st.sampled_from([99_999, 100_000, 999_999, 1_000_000])))
        b = amount() if kind in ("borrow", "both") or i == 0 else 0
        r = amount() if kind in ("repay", "both") and i else 0
        txs.append({"date": day.isoformat(), "borrowed": b, "repaid": r})
    as_of = day + dt.timedelta(days=draw(st.sampled_from([0, 1, 30, 365, 1000])))
    return {"transactions": txs, "as_of": as_of.isoformat()}


KEYS = ("principal", "unpaid_interest", "overpayment", "overpayment_interest", "claim")


@SETTINGS
@given(histories(), st.sampled_from([5, 3]), st.one_of(st.none(), st.sampled_from([25, 29.2, 18, 40.004])))
def test_matches_a_plain_day_by_day_fraction_implementation(history, op_percent, fixed):
    result = recalculate(dict(history, overpayment_interest_percent=op_percent), rate_percent_override=fixed)
    expected = reference(history["transactions"], history["as_of"], op_percent, fixed)
    assert {k: result[k] for k in KEYS} == expected


@SETTINGS
@given(histories())
def test_accounting_identity_and_bounds(history):
    r = recalculate(history)
    # money in minus money out equals what each side still owes the other
    assert (r["overpayment"] + r["overpayment_interest"] - r["principal"] - r["unpaid_interest"]
            == r["total_repaid"] - r["total_borrowed"] - r["interest_total"] + r["overpayment_interest_total"])
    # the claim never exceeds total repaid minus total borrowed plus interest at 5%
    first = dt.date.fromisoformat(history["transactions"][0]["date"])
    years = year_fraction(first, dt.date.fromisoformat(history["as_of"]))
    five_percent = r["total_repaid"] * Fraction(5, 100) * years
    assert r["overpayment_interest_total"] <= five_percent
    if r["claim"]:
        assert r["claim"] <= r["total_repaid"] - r["total_borrowed"] + r["overpayment_interest_total"]
        assert r["claim"] <= r["total_repaid"] - r["total_borrowed"] + five_percent
    for row in r["rows"] + [r]:
        assert row["principal"] >= 0 and row["overpayment"] >= 0
        assert not (row["principal"] > 0 and row["overpayment"] > 0)
    caps = [row["rate_percent"] for row in r["rows"]]
    assert caps == sorted(caps, reverse=True)  # the cap never rises


@SETTINGS
@given(st.data())
def test_no_overpayment_when_the_contract_rate_is_within_the_cap(data):
    """A borrower who paid a lender charging at most the cap, never more than the contract
    balance, has no 過払い金."""
    history = data.draw(histories(max_len=10))
    total = sum(t["borrowed"] for t in history["transactions"])
    bound = 20 if total < 100_000 else 18 if total < 1_000_000 else 15  # principal never exceeds total borrowed
    rate = data.draw(st.one_of(st.integers(0, bound), st.floats(0, bound, allow_nan=False)))
    contract = []
    for tx in history["transactions"]:
        owed = reference(contract + [dict(tx, borrowed=tx["borrowed"], repaid=0)], None, 5, rate)
        repaid = min(tx["repaid"], owed["principal"] + owed["unpaid_interest"])
        contract.append(dict(tx, repaid=repaid))
    assert reference(contract, None, 5, rate)["overpayment"] == 0
    r = recalculate({"transactions": contract, "as_of": history["as_of"]})
    assert r["overpayment"] == 0 and r["claim"] == 0
    assert all(row["overpayment"] == 0 for row in r["rows"])


# ---- minimum repayment, 法テラス ------------------------------------------------------------

@SETTINGS
@given(st.integers(0, 50_000_000), st.integers(0, 50_000_000))
def test_minimum_repayment_is_monotone_and_never_above_the_debt(a, b):
    lo, hi = sorted((a, b))
    assert minimum_repayment(lo) <= minimum_repayment(hi)
    assert minimum_repayment(lo) <= lo
    assert minimum_repayment(hi) >= min(hi, 1_000_000) or hi < 1_000_000


@SETTINGS
@given(st.integers(0, 600_000), st.integers(0, 600_000), st.integers(0, 4_000_000),
       st.one_of(st.none(), st.integers(1, 8)), st.one_of(st.none(), st.booleans()))
def test_more_income_never_makes_legal_aid_available(low, high, assets, household, city):
    low, high = sorted((low, high))
    if _legal_aid(low, assets, household, city) is False:
        assert _legal_aid(high, assets, household, city) is False
    if _legal_aid(high, assets, household, city) is True:
        assert _legal_aid(low, assets, household, city) is True


# ---- diagnose ----------------------------------------------------------------------------

amounts = st.one_of(st.none(), st.integers(0, 60_000_000),
                    st.sampled_from([0, 999_999, 1_000_000, 5_000_000, 15_000_000, 50_000_000, 50_000_001]))
debts = st.lists(st.fixed_dictionaries({
    "lender_type": st.sampled_from(LENDER_TYPES),
    "balance": st.one_of(st.integers(0, 20_000_000), st.just(0)),
}, optional={
    "start_year": st.integers(1990, 2025),
    "rate_percent": st.sampled_from([10, 15, 15.5, 18, 20, 20.5, 29.2]),
    "guarantor": st.booleans(),
}), max_size=4)
profiles = st.fixed_dictionaries({}, optional={
    "debts": debts,
    "monthly_capacity": st.one_of(st.integers(0, 500_000), st.sampled_from([0, 16_667, 27_778, 50_000])),
    "monthly_take_home": st.integers(0, 600_000),
    "stable_income": st.booleans(),
    "owns_home": st.booleans(),
    "keep_home": st.booleans(),
    "assets_value": st.integers(0, 20_000_000),
    "cause": st.sampled_from(["living", "gambling_or_spending", "business", "other"]),
    "discharge_within_7_years": st.booleans(),
    "restricted_occupation": st.booleans(),
    "seizure_or_lawsuit": st.booleans(),
    "household_size": st.integers(1, 8),
    "large_city": st.booleans(),
})


def fits(a):
    return {p["procedure"]: p["fit"] for p in a["procedures"]}


@SETTINGS
@given(profiles)
def test_assessment_is_consistent(profile):
    a = diagnose(profile, today=TODAY)
    assert json.loads(json.dumps(a)) == a
    f = fits(a)
    assert len(f) == 5
    if a["primary"] is not None:
        assert a["missing"] == []
        assert f[a["primary"]] != "unsuitable"
    if a["primary"] == "voluntary_settlement":
        assert f["voluntary_settlement"] in ("recommended", "possible")
    if a["primary"] == "bankruptcy":
        assert f["voluntary_settlement"] == f["individual_rehabilitation"] == "unsuitable"
    if a["primary"] is None and a["missing"]:
        assert a["missing"] == sorted(a["missing"], key=["debts", "monthly_capacity", "stable_income",
                                                         "assets_value", "debts.start_year",
                                                         "debts.rate_percent"].index)
    if "debts" in profile and a["debt_total"] == 0:
        assert all(f[p] == "unsuitable" for p in ("voluntary_settlement", "individual_rehabilitation",
                                                  "bankruptcy", "specific_mediation"))
    assert f["specific_mediation"] == ("possible" if f["voluntary_settlement"] != "unsuitable" else "unsuitable")


def with_debts_and_capacity(profile, debt_list, capacity):
    return dict(profile, debts=debt_list, monthly_capacity=capacity)


decidable = st.builds(with_debts_and_capacity, profiles, debts.filter(bool),
                      st.one_of(st.none(), st.integers(0, 300_000)))


@SETTINGS
@given(decidable, st.data())
def test_a_decided_primary_does_not_change_whatever_the_unknown_facts_turn_out_to_be(profile, data):
    profile = {k: v for k, v in profile.items() if v is not None}
    a = diagnose(profile, today=TODAY)
    if a["primary"] is None:
        return
    completed = dict(profile)
    if "monthly_capacity" not in profile:
        completed["monthly_capacity"] = data.draw(st.integers(0, 2_000_000))
    if "stable_income" not in profile:
        completed["stable_income"] = data.draw(st.booleans())
    if "assets_value" not in profile:
        completed["assets_value"] = data.draw(st.integers(0, 60_000_000))
    assert diagnose(completed, today=TODAY)["primary"] == a["primary"]


@SETTINGS
@given(profiles, st.integers(0, 300_000))
def test_more_capacity_never_worsens_a_fit(profile, extra):
    assume(profile.get("monthly_capacity") is not None)
    rank = {"recommended": 0, "possible": 1, "unsuitable": 2}
    before = fits(diagnose(profile, today=TODAY))
    after = fits(diagnose(dict(profile, monthly_capacity=profile["monthly_capacity"] + extra), today=TODAY))
    for name in ("voluntary_settlement", "individual_rehabilitation"):
        assert rank[after[name]] <= rank[before[name]]


# ---- the question loop ----------------------------------------------------------------------

answers = {
    "debt_total": st.integers(0, 30_000_000), "lender_types": st.lists(st.sampled_from(LENDER_TYPES), max_size=3),
    "monthly_capacity": st.integers(0, 300_000), "monthly_take_home": st.integers(0, 500_000),
    "assets_value": st.integers(0, 5_000_000), "household_size": st.integers(1, 6),
    "stable_income": st.booleans(), "owns_home": st.booleans(), "keep_home": st.booleans(),
    "discharge_within_7_years": st.booleans(), "restricted_occupation": st.booleans(),
    "seizure_or_lawsuit": st.booleans(), "large_city": st.booleans(), "has_guarantor": st.booleans(),
    "repaid_in_full": st.booleans(), "cause": st.sampled_from(["living", "gambling_or_spending", "business", "other"]),
    "start_year": st.integers(1990, 2025), "completed_year": st.integers(1990, 2025),
    "rate_percent": st.sampled_from([12.0, 18.0, 29.2]),
}


@SETTINGS
@given(st.data(), st.sampled_from(["diagnosis", "overpayment"]))
def test_answering_or_skipping_every_question_always_ends(data, purpose):
    facts, skipped = {}, []
    for _ in range(25):
        q = next_question(facts, skipped, purpose=purpose, today=TODAY)
        if q is None:
            break
        assert q.field not in skipped
        assert q.field not in facts or (q.field == "completed_year" and facts["completed_year"] < facts["start_year"])
        if data.draw(st.booleans()):
            facts[q.field] = data.draw(answers[q.field])
        else:
            skipped.append(q.field)
    else:
        raise AssertionError(f"still asking after 25 questions: {facts} {skipped}")
    diagnose(build_profile(facts), today=TODAY)  # whatever was answered can be diagnosed
