"""diagnose (rules.md): every rule and every boundary, checked on the figures a visitor sees."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from debt_rules import InputError, diagnose, knowledge
from debt_rules.diagnose import legal_aid_limits, minimum_repayment

TODAY = dt.date(2025, 6, 1)


def debt(balance, lender_type="consumer_finance", **kw):
    return dict(lender_type=lender_type, balance=balance, **kw)


def run(**profile):
    return diagnose(profile, today=TODAY)


def proc(a, name):
    return next(p for p in a["procedures"] if p["procedure"] == name)


def fit(a, name):
    return proc(a, name)["fit"]


# ---- D and the excluded debts -------------------------------------------------------

def test_mortgage_tax_and_child_support_are_reported_apart():
    a = run(debts=[debt(2_000_000), debt(30_000_000, "mortgage"), debt(500_000, "tax"),
                   debt(300_000, "child_support"), debt(400_000, "bank_card_loan")],
            monthly_capacity=100_000)
    assert a["debt_total"] == 2_400_000
    assert a["excluded_total"] == 30_800_000
    assert a["settlement"]["months_needed"] == 24
    assert any("税金" in s and "支払い" in s for s in a["next_steps"])  # must still be paid


@pytest.mark.parametrize("debts", [[], [debt(0, "bank_card_loan")],
                                   [debt(1_000_000, "tax"), debt(0, "credit_card", start_year=2015)]])
def test_nothing_relief_can_act_on_makes_all_four_unsuitable(debts):
    a = run(debts=debts, monthly_capacity=0, stable_income=False, owns_home=True)
    for name in ("voluntary_settlement", "individual_rehabilitation", "bankruptcy", "specific_mediation"):
        assert fit(a, name) == "unsuitable", name
    assert a["primary"] is None and a["missing"] == []
    assert a["debt_total"] == 0


# ---- 任意整理 -------------------------------------------------------------------------

@pytest.mark.parametrize("capacity, months, expected", [
    (100_000, 36, "recommended"),      # 3,600,000 / 100,000 = 36
    (97_298, 37, "possible"),          # ceil(3,600,000 / 97,298) = 37
    (60_000, 60, "possible"),
    (59_999, 61, "unsuitable"),
    (0, None, "unsuitable"),
])
def test_settlement_months_and_fit(capacity, months, expected):
    a = run(debts=[debt(3_600_000)], monthly_capacity=capacity, stable_income=True)
    assert a["settlement"]["months_needed"] == months
    assert fit(a, "voluntary_settlement") == expected


def test_settlement_monthly_figures_round_up():
    a = run(debts=[debt(1_000_001)], monthly_capacity=50_000)
    assert a["settlement"]["monthly_36"] == 27_778  # ceil(1,000,001 / 36)
    assert a["settlement"]["monthly_60"] == 16_667


def test_unstable_income_turns_recommended_into_possible_and_is_a_refusal_risk():
    stable = run(debts=[debt(1_000_000)], monthly_capacity=50_000, stable_income=True)
    unstable = run(debts=[debt(1_000_000)], monthly_capacity=50_000, stable_income=False)
    assert fit(stable, "voluntary_settlement") == "recommended"
    assert fit(unstable, "voluntary_settlement") == "possible"
    risk = knowledge.refusal_risk_text("unstable_income")
    assert risk in proc(unstable, "voluntary_settlement")["risks"]
    assert risk not in proc(stable, "voluntary_settlement")["risks"]


def test_capacity_unknown_is_unsuitable_but_undecided_and_missing():
    a = run(debts=[debt(3_000_000)])
    assert fit(a, "voluntary_settlement") == "unsuitable"
    assert proc(a, "voluntary_settlement")["decided"] is False
    assert a["settlement"]["months_needed"] is None
    assert a["primary"] is None
    assert a["missing"] == ["monthly_capacity", "stable_income"]


@pytest.mark.parametrize("profile, key", [
    (dict(seizure_or_lawsuit=True), "seizure_or_lawsuit"),
    (dict(stable_income=False), "unstable_income"),
    (dict(debts=[debt(1_000_000, "servicer")]), "servicer"),
    (dict(monthly_capacity=10_000), "long_repayment"),
    (dict(discharge_within_7_years=True), "earlier_relief"),
])
def test_each_refusal_risk_comes_from_its_fact(profile, key):
    base = dict(debts=[debt(1_000_000)], monthly_capacity=50_000)
    a = run(**{**base, **profile})
    risks = proc(a, "voluntary_settlement")["risks"]
    assert knowledge.refusal_risk_text(key) in risks
    # and no other refusal risk is reported
    others = [knowledge.refusal_risk_text(k) for k in knowledge.REFUSAL_RISKS if k != key]
    assert not [r for r in risks if r in others]


def test_no_refusal_risk_at_exactly_60_months():
    a = run(debts=[debt(3_000_000)], monthly_capacity=50_000)
    assert knowledge.refusal_risk_text("long_repayment") not in proc(a, "voluntary_settlement")["risks"]


# ---- 個人再生 --------------------------------------------------------------------------

@pytest.mark.parametrize("d, minimum", [
    (0, 0), (999_999, 999_999), (1_000_000, 1_000_000), (5_000_000, 1_000_000),
    (5_000_001, 1_000_000), (5_000_005, 1_000_001), (15_000_000, 3_000_000),
    (15_000_001, 3_000_000), (30_000_000, 3_000_000), (30_000_001, 3_000_000),
    (30_000_010, 3_000_001), (50_000_000, 5_000_000),
])
def test_minimum_repayment_bands(d, minimum):
    assert minimum_repayment(d) == minimum
    if d:
        a = run(debts=[debt(d)], monthly_capacity=1, stable_income=True)
        assert a["rehabilitation"]["minimum_repayment"] == minimum


def test_liquidation_value_rule():
    a = run(debts=[debt(3_000_000)], assets_value=1_800_000, monthly_capacity=60_000, stable_income=True)
    r = a["rehabilitation"]
    assert (r["minimum_repayment"], r["repayment"]) == (1_000_000, 1_800_000)
    assert (r["monthly_36"], r["monthly_60"]) == (50_000, 30_000)
    assert any("財産" in s for s in proc(a, "individual_rehabilitation")["reasons"])
    below = run(debts=[debt(3_000_000)], assets_value=200_000, monthly_capacity=60_000, stable_income=True)
    assert below["rehabilitation"]["repayment"] == 1_000_000


def test_repayment_never_exceeds_the_debt():
    a = run(debts=[debt(800_000)], assets_value=5_000_000, monthly_capacity=60_000, stable_income=True)
    assert a["rehabilitation"]["repayment"] == 800_000


@pytest.mark.parametrize("capacity, expected", [
    (27_778, "recommended"),   # monthly_36 of 1,000,000
    (27_777, "possible"),
    (16_667, "possible"),      # monthly_60
    (16_666, "unsuitable"),
])
def test_rehabilitation_fit_by_capacity(capacity, expected):
    a = run(debts=[debt(3_000_000)], monthly_capacity=capacity, stable_income=True, assets_value=0)
    assert fit(a, "individual_rehabilitation") == expected
    assert proc(a, "individual_rehabilitation")["decided"] is True


def test_rehabilitation_needs_stable_income_and_at_most_50_million():
    assert fit(run(debts=[debt(3_000_000)], monthly_capacity=100_000, stable_income=False),
               "individual_rehabilitation") == "unsuitable"
    over = run(debts=[debt(50_000_001)], monthly_capacity=10_000_000, stable_income=True, assets_value=0)
    assert fit(over, "individual_rehabilitation") == "unsuitable"
    at = run(debts=[debt(50_000_000)], monthly_capacity=10_000_000, stable_income=True, assets_value=0)
    assert fit(at, "individual_rehabilitation") == "recommended"


def test_home_kept_with_the_housing_loan_clause():
    a = run(debts=[debt(8_000_000), debt(20_000_000, "mortgage")], monthly_capacity=50_000,
            stable_income=True, owns_home=True, keep_home=True)
    assert any("住宅資金特別条項" in s for s in proc(a, "individual_rehabilitation")["reasons"])
    b = run(debts=[debt(8_000_000)], monthly_capacity=50_000, stable_income=True, owns_home=True, keep_home=False)
    assert not any("住宅資金特別条項" in s for s in proc(b, "individual_rehabilitation")["reasons"])


# ---- 自己破産, 特定調停 ------------------------------------------------------------------

def test_bankruptcy_recommended_only_when_both_others_unsuitable():
    a = run(debts=[debt(6_000_000)], monthly_capacity=10_000, stable_income=False)
    assert fit(a, "voluntary_settlement") == fit(a, "individual_rehabilitation") == "unsuitable"
    assert fit(a, "bankruptcy") == "recommended"
    assert a["primary"] == "bankruptcy"
    b = run(debts=[debt(6_000_000)], monthly_capacity=100_000, stable_income=True)
    assert fit(b, "bankruptcy") == "possible"


@pytest.mark.parametrize("profile, words", [
    (dict(cause="gambling_or_spending"), "裁量免責"),
    (dict(discharge_within_7_years=True), "7年以内"),
    (dict(restricted_occupation=True), "警備員"),
    (dict(owns_home=True), "持ち家は処分"),
    (dict(debts=[debt(6_000_000, guarantor=True)]), "保証人"),
])
def test_bankruptcy_risks_one_per_fact(profile, words):
    base = dict(debts=[debt(6_000_000)], monthly_capacity=10_000, stable_income=False)
    with_fact = proc(run(**{**base, **profile}), "bankruptcy")["risks"]
    without = proc(run(**base), "bankruptcy")["risks"]
    assert any(words in r for r in with_fact)
    assert not any(words in r for r in without)
    assert len(with_fact) == len(without) + 1


def test_specific_mediation_follows_settlement():
    for capacity, expected in ((100_000, "possible"), (60_000, "possible"), (10_000, "unsuitable")):
        a = run(debts=[debt(3_600_000)], monthly_capacity=capacity, stable_income=True)
        assert fit(a, "specific_mediation") == expected
    a = run(debts=[debt(1_000_000)], monthly_capacity=50_000)
    assert any("簡易裁判所" in s for s in proc(a, "specific_mediation")["reasons"])


# ---- 過払い金 ---------------------------------------------------------------------------

@pytest.mark.parametrize("kw, likelihood", [
    (dict(completed_year=2014, rate_percent=29.2), "time_barred"),   # 2014 < 2025 - 10
    (dict(completed_year=2015, rate_percent=29.2), "likely"),        # the tenth year: not yet
    (dict(rate_percent=20.01), "likely"),
    (dict(rate_percent=20), "possible"),
    (dict(rate_percent=15.01), "possible"),
    (dict(rate_percent=15), "unlikely"),
    (dict(rate_percent=15, start_year=2005), "unlikely"),
    (dict(start_year=2011), "unlikely"),
    (dict(start_year=2010), "possible"),
    (dict(start_year=2011, rate_percent=18), "unlikely"),
    (dict(start_year=2011, rate_percent=25), "likely"),
    (dict(), "unknown"),
])
def test_overpayment_likelihood_per_debt(kw, likelihood):
    a = run(debts=[debt(0, "credit_card", **kw)])
    assert a["overpayment"]["likelihood"] == likelihood
    expected_fit = {"likely": "recommended", "possible": "possible"}.get(likelihood, "unsuitable")
    assert fit(a, "overpayment_claim") == expected_fit
    assert a["overpayment"]["reasons"]


@pytest.mark.parametrize("lender_type", ["bank_card_loan", "servicer", "car_loan", "family_or_friend", "other"])
def test_other_lender_types_are_unlikely(lender_type):
    a = run(debts=[debt(0, lender_type, rate_percent=29.2, start_year=2000)])
    assert a["overpayment"]["likelihood"] == "unlikely"


def test_profile_likelihood_is_the_first_in_rules_order():
    a = run(debts=[debt(0, "consumer_finance", start_year=2015),               # unlikely
                   debt(0, "shinpan"),                                         # unknown
                   debt(0, "credit_card", completed_year=2001, start_year=1995),  # time_barred
                   debt(0, "consumer_finance", start_year=2003)])              # possible
    assert a["overpayment"]["likelihood"] == "possible"
    assert "2003" in a["overpayment"]["reasons"][0]


def test_overpayment_time_limit_near_is_urgent():
    a = run(debts=[debt(0, "consumer_finance", start_year=2000, completed_year=2015)])
    assert any("10年" in u and "2015" in u for u in a["urgent"])
    b = run(debts=[debt(0, "consumer_finance", start_year=2000, completed_year=2020)])
    assert b["urgent"] == []


# ---- primary and missing --------------------------------------------------------------

def test_primary_order():
    assert run(debts=[debt(0, start_year=2005)])["primary"] == "overpayment_claim"
    assert run(debts=[debt(0, start_year=2015)])["primary"] is None
    assert run(debts=[debt(3_000_000)], monthly_capacity=50_000)["primary"] == "voluntary_settlement"
    assert run(debts=[debt(3_000_000)], monthly_capacity=30_000, stable_income=True,
               assets_value=0)["primary"] == "individual_rehabilitation"
    assert run(debts=[debt(3_000_000)], monthly_capacity=10_000, stable_income=True,
               assets_value=0)["primary"] == "bankruptcy"


@pytest.mark.parametrize("profile, missing", [
    (dict(), ["debts", "monthly_capacity", "stable_income"]),
    (dict(monthly_capacity=50_000, stable_income=True), ["debts"]),
    (dict(debts=[debt(None)], monthly_capacity=50_000), ["debts", "stable_income"]),
    (dict(debts=[debt(3_000_000)]), ["monthly_capacity", "stable_income"]),
    (dict(debts=[debt(3_000_000)], monthly_capacity=30_000), ["stable_income", "assets_value"]),
    (dict(debts=[debt(3_000_000)], monthly_capacity=30_000, stable_income=True), ["assets_value"]),
    (dict(debts=[debt(3_000_000)], monthly_capacity=30_000, assets_value=0), ["stable_income"]),
    (dict(debts=[debt(0)]), ["debts.start_year", "debts.rate_percent"]),
])
def test_missing_most_decisive_first(profile, missing):
    a = run(**profile)
    assert a["primary"] is None
    assert a["missing"] == missing


def test_decided_primary_has_nothing_missing():
    # 60 months is 任意整理 whatever the income: stable_income is not asked for
    a = run(debts=[debt(3_000_000)], monthly_capacity=50_000)
    assert a["primary"] == "voluntary_settlement" and a["missing"] == []
    # capacity 0: neither settlement nor rehabilitation can work, whatever else
    b = run(debts=[debt(3_000_000)], monthly_capacity=0)
    assert b["primary"] == "bankruptcy" and b["missing"] == []


def test_assets_unknown_only_missing_on_the_rehabilitation_path():
    # 任意整理 decides: the liquidation value does not matter
    a = run(debts=[debt(1_000_000)], monthly_capacity=27_778, stable_income=True)
    assert a["primary"] == "voluntary_settlement" and "assets_value" not in a["missing"]
    # 任意整理 out of reach: assets could raise the 個人再生 repayment up to the debt
    b = run(debts=[debt(6_000_000)], monthly_capacity=60_000, stable_income=True)
    assert b["primary"] is None and b["missing"] == ["assets_value"]
    assert proc(b, "individual_rehabilitation")["decided"] is False
    c = run(debts=[debt(6_000_000)], monthly_capacity=60_000, stable_income=True, assets_value=500_000)
    assert c["primary"] == "individual_rehabilitation" and c["missing"] == []


# ---- 法テラス ----------------------------------------------------------------------------

@pytest.mark.parametrize("household, city, income, assets", [
    (1, False, 182_000, 1_800_000), (2, False, 251_000, 2_500_000), (3, False, 272_000, 2_700_000),
    (4, False, 299_000, 3_000_000), (5, False, 329_000, 3_000_000), (6, False, 359_000, 3_000_000),
    (1, True, 200_200, 1_800_000), (4, True, 328_900, 3_000_000), (5, True, 361_900, 3_000_000),
])
def test_legal_aid_limits_and_boundaries(household, city, income, assets):
    assert legal_aid_limits(household, city) == (income, assets)
    base = dict(debts=[debt(1_000_000)], household_size=household, large_city=city)
    assert run(**base, monthly_take_home=income, assets_value=assets)["legal_aid"]["eligible"] is True
    assert run(**base, monthly_take_home=income + 1, assets_value=assets)["legal_aid"]["eligible"] is False
    assert run(**base, monthly_take_home=income, assets_value=assets + 1)["legal_aid"]["eligible"] is False


def test_legal_aid_unknowns():
    # below every household's limit: eligible whatever the household and city
    assert run(monthly_take_home=150_000, assets_value=0)["legal_aid"]["eligible"] is True
    assert run(monthly_take_home=150_000, assets_value=4_000_000)["legal_aid"]["eligible"] is False
    assert run(monthly_take_home=190_000, assets_value=0, household_size=1)["legal_aid"]["eligible"] is None
    assert run(monthly_take_home=190_000, assets_value=0, household_size=1,
               large_city=True)["legal_aid"]["eligible"] is True
    assert run()["legal_aid"]["eligible"] is None


# ---- urgent, next steps, documents -----------------------------------------------------

def test_lawsuit_is_urgent_and_first_step():
    a = run(debts=[debt(2_000_000)], monthly_capacity=40_000, seizure_or_lawsuit=True)
    assert a["urgent"] and "期限" in a["urgent"][0]
    assert "訴状" in a["next_steps"][0]
    assert run(debts=[debt(2_000_000)], monthly_capacity=40_000)["urgent"] == []


@pytest.mark.parametrize("primary_profile", [
    dict(debts=[debt(3_000_000)], monthly_capacity=50_000),
    dict(debts=[debt(3_000_000)], monthly_capacity=10_000, stable_income=False),
    dict(debts=[debt(0, start_year=2005)]),
    dict(),
])
def test_documents_come_from_the_knowledge_checklist(primary_profile):
    a = run(**primary_profile)
    assert a["documents"] == knowledge.documents_for(a["primary"])
    assert a["next_steps"]


# ---- output shape ----------------------------------------------------------------------

def test_assessment_shape_and_json():
    a = run(debts=[debt(3_000_000, guarantor=True), debt(500_000, "car_loan")], monthly_capacity=50_000,
            stable_income=True, owns_home=True, keep_home=True, cause="living", household_size=2,
            monthly_take_home=220_000, assets_value=300_000, large_city=False)
    assert json.loads(json.dumps(a, ensure_ascii=False)) == a
    assert set(a) == {"primary", "procedures", "debt_total", "excluded_total", "settlement", "rehabilitation",
                      "overpayment", "legal_aid", "urgent", "next_steps", "documents", "missing"}
    names = [p["procedure"] for p in a["procedures"]]
    assert sorted(names) == sorted(["voluntary_settlement", "individual_rehabilitation", "bankruptcy",
                                    "specific_mediation", "overpayment_claim"])
    ranks = [["recommended", "possible", "unsuitable"].index(p["fit"]) for p in a["procedures"]]
    assert ranks == sorted(ranks)  # best fit first
    for p in a["procedures"]:
        assert set(p) == {"procedure", "fit", "decided", "reasons", "risks"}
        assert p["reasons"] and all(isinstance(s, str) and s.endswith("。") for s in p["reasons"] + p["risks"])


# ---- bad input --------------------------------------------------------------------------

@pytest.mark.parametrize("profile, field", [
    ([], "profile"),
    ({"debts": {}}, "debts"),
    ({"debts": [5]}, "debts[0]"),
    ({"debts": [{"balance": -1}]}, "debts[0].balance"),
    ({"debts": [{"balance": 10_000_000_001}]}, "debts[0].balance"),
    ({"debts": [{"balance": True}]}, "debts[0].balance"),
    ({"debts": [{"balance": 1.5}]}, "debts[0].balance"),
    ({"debts": [{"balance": "100"}]}, "debts[0].balance"),
    ({"debts": [{"lender_type": "yakuza"}]}, "debts[0].lender_type"),
    ({"debts": [{"start_year": 2010, "completed_year": 2005}]}, "debts[0].completed_year"),
    ({"debts": [{"start_year": 2030}]}, "debts[0].start_year"),
    ({"debts": [{"rate_percent": "29%"}]}, "debts[0].rate_percent"),
    ({"debts": [{"rate_percent": 150}]}, "debts[0].rate_percent"),
    ({"debts": [{"guarantor": "yes"}]}, "debts[0].guarantor"),
    ({"debts": [{"balanse": 1}]}, "debts[0].balanse"),
    ({"monthly_capacity": True}, "monthly_capacity"),
    ({"monthly_capacity": -5}, "monthly_capacity"),
    ({"household_size": 0}, "household_size"),
    ({"stable_income": 1}, "stable_income"),
    ({"cause": "lottery"}, "cause"),
    ({"monthly_capasity": 1}, "monthly_capasity"),
])
def test_bad_profile_names_the_field(profile, field):
    with pytest.raises(InputError) as err:
        diagnose(profile, today=TODAY)
    assert err.value.field == field
    assert err.value.problem and "\n" not in err.value.problem


def test_null_means_unknown():
    assert diagnose({"debts": None, "monthly_capacity": None}, today=TODAY)["missing"][0] == "debts"


def test_note_on_other_lender_types_only_when_no_consumer_lender():
    mixed = run(debts=[debt(0, "consumer_finance", start_year=2005), debt(0, "mortgage")])
    assert not any("おもに消費者金融" in r for r in mixed["overpayment"]["reasons"])
    only_bank = run(debts=[debt(0, "bank_card_loan")])
    assert any("おもに消費者金融" in r for r in only_bank["overpayment"]["reasons"])


def test_the_engine_never_imports_rasa():
    import pathlib
    import re

    package = pathlib.Path(__file__).resolve().parents[2] / "debt_rules"
    for path in package.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(import|from)\s+rasa", text, re.M), path


def test_what_rehabilitation_and_settlement_do_not_ask_about():
    # seed 004: 個人再生 and 任意整理 have no 資格制限, and 個人再生 does not ask why the debt arose
    a = run(debts=[debt(3_000_000)], monthly_capacity=30_000, stable_income=True, assets_value=0,
            restricted_occupation=True, cause="gambling_or_spending")
    rehab = " ".join(proc(a, "individual_rehabilitation")["reasons"])
    assert "資格の制限はありません" in rehab and "理由は問われません" in rehab
    assert any("資格の制限" in r for r in proc(a, "voluntary_settlement")["reasons"])
    b = run(debts=[debt(3_000_000)], monthly_capacity=30_000, stable_income=True, assets_value=0)
    assert "資格" not in " ".join(proc(b, "individual_rehabilitation")["reasons"])
