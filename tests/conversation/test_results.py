"""Results that fit a phone (issue 15): at most four bubbles, the first at most 200
characters with the recommendation and its key figure, the rest behind buttons, the
notice always present. Figures come from the engine."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conversation import results
from debt_rules import build_profile, diagnose, knowledge
from debt_rules.texts import yen

CASES = [
    {"debt_total": 3_000_000, "lender_types": ["consumer_finance"], "monthly_capacity": 50_000, "stable_income": True},
    {"debt_total": 6_000_000, "lender_types": ["consumer_finance"], "monthly_capacity": 50_000,
     "stable_income": True, "assets_value": 0},
    {"debt_total": 6_000_000, "monthly_capacity": 0, "stable_income": False, "assets_value": 0,
     "seizure_or_lawsuit": True, "owns_home": True, "cause": "gambling_or_spending"},
    {"debt_total": 3_000_000},
    {"debt_total": 0, "lender_types": ["consumer_finance"], "start_year": 2003, "rate_percent": 29.2,
     "repaid_in_full": True, "completed_year": 2020},
]


@pytest.mark.parametrize("facts", CASES)
def test_short_result_with_the_notice_and_the_buttons(facts):
    a = diagnose(build_profile(facts))
    msgs = results.render(a)
    assert len(msgs) <= 4
    lead = msgs[1] if a.get("urgent") else msgs[0]
    assert len(lead.text) <= 200, lead.text
    assert msgs[-1].text == knowledge.notice()
    titles = [b.title for b in msgs[-1].buttons]
    for wanted in ("詳しく", "ほかの方法との比較", "相談に持っていくもの", "費用"):
        assert wanted in titles
    if a.get("urgent"):
        assert msgs[0].text.startswith("【至急】")


def test_the_key_figure_is_the_engines():
    a = diagnose(build_profile(CASES[0]))
    lead = results.render(a)[0].text
    assert "任意整理" in lead
    assert yen(a["settlement"]["monthly_36"]) in lead and yen(a["settlement"]["monthly_60"]) in lead


@pytest.mark.parametrize("part", results.PARTS)
def test_each_part_behind_its_button(part):
    a = diagnose(build_profile(CASES[2]))
    msgs = results.detail(a, part)
    assert msgs[0].text and msgs[-1].text == knowledge.notice()
    assert all(b.entities.get("detail") != part for b in msgs[-1].buttons)
    if part == "documents":
        assert a["documents"][0] in msgs[0].text
    if part == "details":
        assert yen(a["debt_total"]) in msgs[0].text


def test_no_result_yet():
    assert "診断" in results.detail(None, "details")[0].text


@settings(max_examples=80, deadline=None)
@given(debt=st.integers(0, 60_000_000), cap=st.one_of(st.none(), st.integers(0, 500_000)),
       stable=st.one_of(st.none(), st.booleans()), assets=st.one_of(st.none(), st.integers(0, 30_000_000)),
       lawsuit=st.booleans())
def test_any_result_fits_a_phone(debt, cap, stable, assets, lawsuit):
    facts = {"debt_total": debt, "lender_types": ["consumer_finance"], "seizure_or_lawsuit": lawsuit}
    for k, v in (("monthly_capacity", cap), ("stable_income", stable), ("assets_value", assets)):
        if v is not None:
            facts[k] = v
    a = diagnose(build_profile(facts))
    msgs = results.render(a)
    assert len(msgs) <= 4
    assert len((msgs[1] if a.get("urgent") else msgs[0]).text) <= 200
    assert msgs[-1].text == knowledge.notice()
