"""Seed 000's three worked cases (「代表シミュレーション」 ケースA, B, C) through the facts a
visitor gives in the conversation, as the seed describes them."""

from __future__ import annotations

import datetime as dt

import pytest

from debt_rules import build_profile, diagnose, knowledge

TODAY = dt.date(2025, 6, 1)


def assess(**facts):
    return diagnose(build_profile(facts), today=TODAY)


def proc(a, name):
    return next(p for p in a["procedures"] if p["procedure"] == name)


def test_case_a_3_million_with_50000_a_month_is_settlement_over_60_months():
    # ケースA: 債務総額300万円（消費者金融・カード会社合計）、月の可処分所得5万円
    # -> 任意整理、返済期間60ヶ月で均等分割、300万円 ÷ 60ヶ月 = 約5万円/月
    a = assess(debt_total=3_000_000, lender_types=["consumer_finance", "credit_card"], monthly_capacity=50_000)
    assert a["primary"] == "voluntary_settlement"
    assert a["missing"] == []
    assert a["debt_total"] == 3_000_000
    assert a["settlement"]["months_needed"] == 60
    assert a["settlement"]["monthly_60"] == 50_000
    assert proc(a, "voluntary_settlement")["fit"] == "possible"   # within 5 years, not 3
    assert any("60か月" in r for r in proc(a, "voluntary_settlement")["reasons"])
    # 60 months is the limit, not over it: no long-repayment refusal risk
    assert knowledge.refusal_risk_text("long_repayment") not in proc(a, "voluntary_settlement")["risks"]


@pytest.mark.parametrize("capacity, fit", [(50_000, "recommended"), (30_000, "possible")])
def test_case_b_8_million_keep_the_home_is_rehabilitation(capacity, fit):
    # ケースB: 債務総額800万円、住宅を残したい -> 個人再生（住宅ローン以外の債務を圧縮）、3~5年で分割
    a = assess(debt_total=8_000_000, lender_types=["consumer_finance", "bank_card_loan", "mortgage"],
               owns_home=True, keep_home=True, stable_income=True, monthly_capacity=capacity,
               assets_value=300_000)
    assert a["primary"] == "individual_rehabilitation"
    r = a["rehabilitation"]
    assert a["debt_total"] == 8_000_000               # the mortgage is not in D
    assert r["minimum_repayment"] == 1_600_000        # 800万円 / 5
    assert (r["monthly_36"], r["monthly_60"]) == (44_445, 26_667)   # 3 years or 5 years
    rehab = proc(a, "individual_rehabilitation")
    assert rehab["fit"] == fit
    assert any("住宅資金特別条項" in s for s in rehab["reasons"])  # the home stays
    assert proc(a, "voluntary_settlement")["fit"] == "unsuitable"   # 800万円 over 60 months is too much
    assert any("持ち家は処分" in s for s in proc(a, "bankruptcy")["risks"])


def test_case_c_2_million_with_a_lawsuit_is_urgent_with_mediation_and_bankruptcy_open():
    # ケースC: 債務総額200万円、差押えや訴訟の可能性あり
    # -> 任意整理で交渉できない場合、特定調停や自己破産が選択肢に
    a = assess(debt_total=2_000_000, lender_types=["consumer_finance"], seizure_or_lawsuit=True,
               monthly_capacity=40_000)
    assert a["urgent"], "a lawsuit or seizure must be flagged first"
    assert "訴状" in a["next_steps"][0]
    settlement = proc(a, "voluntary_settlement")
    assert knowledge.refusal_risk_text("seizure_or_lawsuit") in settlement["risks"]
    assert settlement["risks"][0] == knowledge.refusal_risk_text("seizure_or_lawsuit")
    assert proc(a, "specific_mediation")["fit"] != "unsuitable"
    assert proc(a, "bankruptcy")["fit"] != "unsuitable"


def test_case_c_when_settlement_cannot_work_bankruptcy_is_the_way():
    a = assess(debt_total=2_000_000, lender_types=["consumer_finance"], seizure_or_lawsuit=True,
               monthly_capacity=15_000, stable_income=False)
    assert a["primary"] == "bankruptcy"
    assert proc(a, "bankruptcy")["fit"] == "recommended"
    assert a["urgent"]
