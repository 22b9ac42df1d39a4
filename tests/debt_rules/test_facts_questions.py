"""Conversation facts -> profile, and the follow-up question the rules choose next."""

from __future__ import annotations

import datetime as dt

import pytest

from debt_rules import FACT_FIELDS, InputError, Question, build_profile, coerce_fact, diagnose, next_question

TODAY = dt.date(2025, 6, 1)


# ---- build_profile ------------------------------------------------------------------------

def test_debt_total_split_evenly_over_relief_types_remainder_on_first():
    p = build_profile({"debt_total": 1_000_001, "lender_types": ["mortgage", "consumer_finance", "credit_card", "tax"],
                       "start_year": 2005, "rate_percent": 29.2, "has_guarantor": True, "monthly_capacity": 30_000})
    balances = {d["lender_type"]: d["balance"] for d in p["debts"]}
    assert balances == {"mortgage": 0, "consumer_finance": 500_001, "credit_card": 500_000, "tax": 0}
    assert all(d["start_year"] == 2005 and d["rate_percent"] == 29.2 and d["guarantor"] is True for d in p["debts"])
    assert p["monthly_capacity"] == 30_000
    assert diagnose(p, today=TODAY)["debt_total"] == 1_000_001


def test_debt_total_without_lender_types_is_one_other_debt():
    assert build_profile({"debt_total": 2_000_000})["debts"] == [{"lender_type": "other", "balance": 2_000_000}]
    # only excluded types named: the total still needs a debt to sit on
    p = build_profile({"debt_total": 2_000_000, "lender_types": ["tax"]})
    assert [(d["lender_type"], d["balance"]) for d in p["debts"]] == [("tax", 0), ("other", 2_000_000)]


def test_unknown_total_leaves_balances_unknown_and_no_facts_no_debts():
    p = build_profile({"lender_types": ["consumer_finance", "mortgage"]})
    assert p["debts"] == [{"lender_type": "consumer_finance"}, {"lender_type": "mortgage", "balance": 0}]
    assert diagnose(p, today=TODAY)["missing"][0] == "debts"
    assert "debts" not in build_profile({"monthly_capacity": 1})
    assert build_profile({}) == {}


def test_completed_year_left_out_when_still_owed_or_contradictory():
    p = build_profile({"lender_types": ["consumer_finance"], "repaid_in_full": False, "completed_year": 2010})
    assert "completed_year" not in p["debts"][0]
    p = build_profile({"lender_types": ["consumer_finance"], "start_year": 2012, "completed_year": 2010})
    assert "completed_year" not in p["debts"][0]
    p = build_profile({"lender_types": ["consumer_finance"], "repaid_in_full": True, "completed_year": 2010})
    assert p["debts"][0]["completed_year"] == 2010


def test_build_profile_ignores_unknown_names_and_none():
    assert build_profile({"favourite_colour": "blue", "debt_total": None}) == {}


# ---- coerce_fact --------------------------------------------------------------------------

@pytest.mark.parametrize("field, value, expected", [
    ("debt_total", 3_000_000, 3_000_000),
    ("debt_total", "3,000,000", 3_000_000),
    ("debt_total", "３００００００円", 3_000_000),
    ("debt_total", 3e6, 3_000_000),
    ("household_size", 2, 2),
    ("stable_income", "はい", True),
    ("stable_income", False, False),
    ("cause", "ギャンブル・浪費", "gambling_or_spending"),
    ("cause", "living", "living"),
    ("lender_types", "consumer_finance", ["consumer_finance"]),
    ("lender_types", ["消費者金融", "credit_card", "consumer_finance"], ["consumer_finance", "credit_card"]),
    ("start_year", "2005年", 2005),
    ("rate_percent", "29.2%", 29.2),
    ("rate_percent", 18, 18.0),
    ("debt_total", None, None),
])
def test_coerce_fact_normalises(field, value, expected):
    assert coerce_fact(field, value) == expected


@pytest.mark.parametrize("field, value, words", [
    ("debt_total", -1, "マイナス"),
    ("debt_total", 10_000_000_001, "大きすぎ"),
    ("debt_total", True, "数字"),
    ("debt_total", "たくさん", "数字"),
    ("household_size", 0, "人数"),
    ("stable_income", 1, "はい"),
    ("cause", "lottery", "選択肢"),
    ("lender_types", ["yakuza"], "借入先"),
    ("lender_types", 5, "借入先"),
    ("start_year", 1800, "1900"),
    ("start_year", 2999, "まだ来ていない"),
    ("rate_percent", 200, "金利"),
    ("rate_percent", float("nan"), "金利"),
    ("favourite_colour", "blue", "項目"),
])
def test_coerce_fact_rejects_kindly(field, value, words):
    with pytest.raises(InputError) as err:
        coerce_fact(field, value)
    assert err.value.field == field
    assert words in err.value.problem
    assert err.value.problem.endswith("。")


def test_fact_fields_kinds():
    assert set(FACT_FIELDS.values()) == {"amount", "int", "bool", "enum", "enum_list", "year", "percent", "debt_list"}
    assert FACT_FIELDS["debt_total"] == "amount" and FACT_FIELDS["lender_types"] == "enum_list"


# ---- next_question: diagnosis ------------------------------------------------------------

def ask(facts, skipped=(), purpose="diagnosis"):
    return next_question(facts, skipped, purpose=purpose, today=TODAY)


def test_first_question_is_the_debt_total_then_capacity_then_stability():
    assert ask({}).field == "debt_total"
    assert ask({}, ["debt_total"]).field == "lender_types"
    assert ask({"debt_total": 3_000_000}).field == "monthly_capacity"
    # capacity so low that 任意整理 is out: now income stability decides
    assert ask({"debt_total": 3_000_000, "monthly_capacity": 30_000}).field == "stable_income"
    assert ask({"debt_total": 3_000_000, "monthly_capacity": 30_000, "stable_income": True}).field == "assets_value"


def test_follow_ups_after_the_primary_is_decided():
    facts = {"debt_total": 3_000_000, "monthly_capacity": 50_000}
    asked = []
    for _ in range(20):
        q = ask(facts)
        if q is None:
            break
        asked.append(q.field)
        facts[q.field] = {"lender_types": ["consumer_finance"], "seizure_or_lawsuit": False, "owns_home": True,
                          "keep_home": True, "cause": "living", "monthly_take_home": 150_000,
                          "household_size": 1, "large_city": False, "assets_value": 0}[q.field]
    # stable_income is never asked: 60 months is 任意整理 whatever the income
    assert asked[:5] == ["lender_types", "seizure_or_lawsuit", "owns_home", "keep_home", "cause"]
    assert "stable_income" not in asked
    assert asked[5] == "monthly_take_home"
    # 150,000 is under every household's income limit: only the assets can still matter
    assert asked[6:] == ["assets_value"]
    assert diagnose(build_profile(facts), today=TODAY)["legal_aid"]["eligible"] is True


def test_keep_home_only_for_owners():
    facts = {"debt_total": 3_000_000, "monthly_capacity": 50_000, "lender_types": ["other"],
             "seizure_or_lawsuit": False, "owns_home": False}
    assert ask(facts).field == "cause"


def test_skipped_and_known_facts_are_never_asked_and_the_end_is_none():
    facts = {"debt_total": 1_000_000}
    skipped = []
    seen = []
    for _ in range(30):
        q = ask(facts, skipped)
        if q is None:
            break
        assert q.field not in facts and q.field not in skipped and q.field not in seen
        seen.append(q.field)
        skipped.append(q.field)
    else:
        pytest.fail("never finished")
    assert seen[0] == "monthly_capacity"


def test_nothing_owed_asks_only_lenders_and_lawsuits():
    facts = {"debt_total": 0}
    q = ask(facts)
    assert q.field == "lender_types"
    facts["lender_types"] = ["bank_card_loan"]
    assert ask(facts).field == "seizure_or_lawsuit"
    facts["seizure_or_lawsuit"] = False
    assert ask(facts) is None


def test_nothing_owed_with_a_consumer_lender_asks_for_the_overpayment_facts():
    facts = {"debt_total": 0, "lender_types": ["consumer_finance"]}
    assert ask(facts).field == "start_year"
    assert ask(facts, ["start_year"]).field == "rate_percent"


def test_contradictory_years_are_asked_again():
    q = ask({"start_year": 2012, "completed_year": 2010, "lender_types": ["consumer_finance"]}, purpose="overpayment")
    assert q.field == "completed_year" and "2012" in q.text
    q = ask({"start_year": 2012, "completed_year": 2010, "lender_types": ["consumer_finance"]},
            ["completed_year"], purpose="overpayment")
    assert q is None or q.field != "completed_year"


# ---- next_question: overpayment ----------------------------------------------------------

def test_overpayment_sequence():
    facts = {}
    order = []
    answers = {"lender_types": ["consumer_finance"], "start_year": 2005, "repaid_in_full": True,
               "completed_year": 2018, "rate_percent": 29.2}
    while (q := ask(facts, purpose="overpayment")) is not None:
        order.append(q.field)
        facts[q.field] = answers[q.field]
    assert order == ["lender_types", "start_year", "repaid_in_full", "completed_year", "rate_percent"]
    assert diagnose(build_profile(facts), today=TODAY)["overpayment"]["likelihood"] == "likely"


def test_overpayment_not_repaid_skips_the_completion_year():
    facts = {"lender_types": ["credit_card"], "start_year": 2005, "repaid_in_full": False}
    assert ask(facts, purpose="overpayment").field == "rate_percent"


def test_overpayment_time_barred_skips_the_rate():
    facts = {"lender_types": ["credit_card"], "start_year": 2000, "repaid_in_full": True, "completed_year": 2010}
    assert ask(facts, purpose="overpayment") is None


def test_overpayment_stops_for_lenders_without_overpayments():
    assert ask({"lender_types": ["bank_card_loan", "mortgage"]}, purpose="overpayment") is None
    assert ask({"lender_types": ["bank_card_loan", "shinpan"]}, purpose="overpayment").field == "start_year"


def test_bad_purpose_and_bad_facts():
    with pytest.raises(InputError):
        ask({}, purpose="gossip")
    with pytest.raises(InputError) as err:
        ask({"debt_total": -5})
    assert err.value.field == "debt_total"


# ---- the questions themselves -------------------------------------------------------------

ALL_ASKABLE = ["debt_total", "lender_types", "monthly_capacity", "monthly_take_home", "assets_value",
               "household_size", "stable_income", "owns_home", "keep_home", "seizure_or_lawsuit",
               "large_city", "cause", "start_year", "completed_year", "rate_percent"]


def reach(field):
    """Drive next_question until it asks ``field``, skipping everything else."""
    for purpose in ("diagnosis", "overpayment"):
        for facts in ({}, {"debt_total": 3_000_000, "monthly_capacity": 30_000, "owns_home": True},
                      {"debt_total": 0, "lender_types": ["consumer_finance"]},
                      {"lender_types": ["consumer_finance"], "repaid_in_full": True},
                      {"debt_total": 3_000_000, "monthly_capacity": 50_000, "monthly_take_home": 200_000,
                       "assets_value": 0}):
            skipped = []
            while (q := ask(facts, skipped, purpose)) is not None:
                if q.field == field:
                    return q
                skipped.append(q.field)
    raise AssertionError(f"{field} is never asked")


@pytest.mark.parametrize("field", ALL_ASKABLE)
def test_every_question_is_polite_short_and_ends_with_dont_know(field):
    q = reach(field)
    assert isinstance(q, Question)
    assert q.kind == FACT_FIELDS[field]
    assert q.text.count("？") == 1 and len(q.text) <= 90
    assert q.buttons[-1] == {"title": "わからない", "value": None}
    assert all(len(b["title"]) <= 20 for b in q.buttons)
    assert len(q.buttons) <= 13  # LINE quick replies
    for b in q.buttons[:-1]:
        assert coerce_fact(field, b["value"]) is not None  # every button is a valid answer
    if q.kind == "bool":
        assert [b["title"] for b in q.buttons] == ["はい", "いいえ", "わからない"]
    if q.kind in ("amount", "year", "percent"):
        assert len(q.buttons) == 1  # typed, no ranges


def test_legal_aid_questions_stop_once_the_answer_is_settled():
    facts = {"debt_total": 3_000_000, "monthly_capacity": 50_000, "lender_types": ["other"],
             "seizure_or_lawsuit": False, "owns_home": False, "cause": "living",
             "monthly_take_home": 200_000, "assets_value": 0}
    # 200,000 is over the 1-person limit (182,000) but under the 2-person one: ask the household
    assert ask(facts).field == "household_size"
    facts["household_size"] = 1
    # for one person only the large-city limit (200,200) can still let it through
    assert ask(facts).field == "large_city"
    facts["large_city"] = True
    assert ask(facts) is None
    assert diagnose(build_profile(facts), today=TODAY)["legal_aid"]["eligible"] is True
    facts["monthly_take_home"] = 500_000  # over any limit a household of one can have
    del facts["large_city"]
    assert ask(facts) is None
