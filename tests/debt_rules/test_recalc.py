"""引き直し計算 (rules.md "recalculate"): the worked examples to the yen, every rule and boundary."""

from __future__ import annotations

import json
from fractions import Fraction
from math import floor

import pytest

from debt_rules import InputError, parse_history_csv, recalculate


def tx(date, borrowed=0, repaid=0):
    return {"date": date, "borrowed": borrowed, "repaid": repaid}


def interests(result):
    return [row["interest"] for row in result["rows"]]


# ---- the two worked examples of rules.md -----------------------------------------

LENDER_STATEMENT = [
    tx("2000-03-01", borrowed=500_000),
    tx("2000-03-31", repaid=25_000),
    tx("2000-04-30", repaid=25_000),
    tx("2000-05-31", repaid=25_000),
    tx("2000-06-01", borrowed=40_000),
    tx("2000-06-30", repaid=25_000),
    tx("2000-07-31", repaid=25_000),
    tx("2000-08-31", repaid=475_286),
]


@pytest.mark.parametrize("how", ["keyword", "history key"])
def test_lender_statement_at_contract_rate_25_percent(how):
    history = {"transactions": LENDER_STATEMENT}
    if how == "keyword":
        result = recalculate(history, rate_percent_override=25)
    else:
        result = recalculate(dict(history, rate_percent_override=25))
    # interest charged at each repayment: 10,245; 9,943; 9,956; 10,118 (= 310 held + 9,808); 10,169; 9,855
    assert interests(result) == [0, 10_245, 9_943, 9_956, 310, 9_808, 10_169, 9_855]
    june_1, june_30 = result["rows"][4], result["rows"][5]
    assert june_1["unpaid_interest"] == 310  # held, not added to principal
    assert june_1["principal"] == 455_144 + 40_000
    assert 310 + june_30["interest"] == 10_118
    # the last repayment clears the balance exactly
    assert (result["principal"], result["unpaid_interest"], result["overpayment"]) == (0, 0, 0)
    assert result["rate_basis"] == "contract"
    assert all(row["rate_percent"] == 25 for row in result["rows"])


def test_cap_example_18_percent():
    result = recalculate({
        "transactions": [tx("2008-01-01", borrowed=500_000), tx("2008-02-01", repaid=300_000),
                         tx("2008-03-01", repaid=300_000)],
        "as_of": "2008-03-30",
    })
    assert interests(result) == [0, 7_622, 2_961]
    assert result["overpayment"] == 89_417
    assert result["overpayment_interest"] == 354
    assert result["claim"] == 89_771
    assert result["principal"] == 0 and result["unpaid_interest"] == 0
    assert result["final_period"] == {"days": 29, "interest": 0, "overpayment_interest": 354}
    assert result["rows"][0]["rate_percent"] == 18
    assert result["rate_basis"] == "cap"


def test_cap_example_is_json_serialisable_with_rows():
    result = recalculate({"transactions": [tx("2008-01-01", 500_000), tx("2008-02-01", repaid=300_000)]})
    again = json.loads(json.dumps(result))
    assert again["rows"][1]["principal"] == 500_000 - (300_000 - 7_622)
    assert again["as_of"] == "2008-02-01"  # default: the last transaction's date


# ---- the cap --------------------------------------------------------------------

def one_year_interest(principal):
    """Interest over exactly one common year (2010-01-01 -> 2011-01-01, 365 days)."""
    result = recalculate({"transactions": [tx("2010-01-01", borrowed=principal)], "as_of": "2011-01-01"})
    return result["unpaid_interest"], result["final_rate_percent"]


@pytest.mark.parametrize("principal, cap", [
    (99_999, 20), (100_000, 18), (999_999, 18), (1_000_000, 15), (5_000_000, 15),
])
def test_cap_by_largest_principal(principal, cap):
    interest, rate = one_year_interest(principal)
    assert rate == cap
    assert interest == principal * cap // 100


def test_cap_changes_when_a_borrowing_reaches_the_threshold():
    # (2009, 2010 and 2011 are common years: 1 January to 1 January is exactly one year)
    result = recalculate({"transactions": [
        tx("2009-01-01", borrowed=60_000),
        tx("2010-01-01", borrowed=40_000),   # interest of 2009 at 20%, then principal 100,000
        tx("2011-01-01", repaid=0),          # 2010 at 18%
    ]})
    assert interests(result) == [0, 12_000, 18_000]
    assert [r["rate_percent"] for r in result["rows"]] == [20, 18, 18]


def test_cap_never_rises_again():
    result = recalculate({"transactions": [
        tx("2009-01-01", borrowed=1_000_000),
        tx("2009-01-01", repaid=950_000),    # principal 50,000, but the cap stays 15%
        tx("2010-01-01", repaid=0),
        tx("2010-01-01", borrowed=20_000),   # a new borrowing does not lift it either
        tx("2011-01-01", repaid=0),
    ]})
    assert result["rows"][2]["interest"] == 50_000 * 15 // 100
    assert result["rows"][4]["interest"] == 70_000 * 15 // 100
    assert {r["rate_percent"] for r in result["rows"]} == {15}


def test_largest_principal_is_measured_after_set_off():
    # an overpayment of ~60,000 absorbs most of a 120,000 borrowing: principal 60,000 < 100,000
    rows = [
        tx("2010-01-01", borrowed=90_000),
        tx("2010-01-01", repaid=150_000),
        tx("2010-01-01", borrowed=120_000),
        tx("2011-01-01", repaid=0),
    ]
    result = recalculate({"transactions": rows})
    assert result["rows"][2]["principal"] == 60_000
    assert result["rows"][3]["interest"] == 60_000 * 20 // 100  # still 20%, not 18%


# ---- set-off, carried interest, overpayment ---------------------------------------------

def test_borrowing_is_set_off_against_overpayment_interest_first():
    base = [
        tx("2010-01-01", borrowed=50_000),
        tx("2010-01-01", repaid=110_000),          # overpayment 60,000
        tx("2011-01-01"),                          # one year at 5%: 3,000 overpayment interest
    ]
    r0 = recalculate({"transactions": base})
    assert (r0["overpayment"], r0["overpayment_interest"]) == (60_000, 3_000)
    r1 = recalculate({"transactions": base + [tx("2011-01-01", borrowed=2_000)]})
    assert (r1["overpayment"], r1["overpayment_interest"], r1["principal"]) == (60_000, 1_000, 0)
    r2 = recalculate({"transactions": base + [tx("2011-01-01", borrowed=5_000)]})
    assert (r2["overpayment"], r2["overpayment_interest"], r2["principal"]) == (58_000, 0, 0)
    r3 = recalculate({"transactions": base + [tx("2011-01-01", borrowed=70_000)]})
    assert (r3["overpayment"], r3["overpayment_interest"], r3["principal"]) == (0, 0, 7_000)
    assert r3["claim"] == 0


def test_unpaid_interest_is_carried_apart_and_paid_first():
    result = recalculate({"transactions": [
        tx("2009-01-01", borrowed=100_000),
        tx("2010-01-01", repaid=10_000),   # interest 18,000: 8,000 stays unpaid
        tx("2011-01-01", repaid=0),        # next year's interest is on 100,000, not 108,000
        tx("2011-01-01", repaid=30_000),   # pays 8,000 + 18,000 of interest, then 4,000 principal
    ]})
    first, second, third = result["rows"][1], result["rows"][2], result["rows"][3]
    assert (first["principal"], first["unpaid_interest"]) == (100_000, 8_000)
    assert second["interest"] == 18_000 and second["unpaid_interest"] == 26_000
    assert (third["principal"], third["unpaid_interest"]) == (96_000, 0)


def test_repayment_with_no_principal_adds_to_overpayment_and_earns_interest_apart():
    result = recalculate({"transactions": [
        tx("2009-01-01", borrowed=10_000),
        tx("2009-01-01", repaid=30_000),   # overpayment 20,000
        tx("2010-01-01", repaid=10_000),   # +1,000 interest (carried apart), overpayment 30,000
        tx("2011-01-01"),                  # 5% of 30,000, not of 31,000
    ]})
    assert result["overpayment"] == 30_000
    assert result["overpayment_interest"] == 1_000 + 1_500
    assert result["principal"] == 0


def test_overpayment_interest_percent():
    history = {"transactions": [tx("2021-01-01", borrowed=10_000), tx("2021-01-01", repaid=110_000)],
               "as_of": "2022-01-01", "overpayment_interest_percent": 3}
    result = recalculate(history)
    assert result["overpayment_interest"] == 3_000
    assert result["overpayment_interest_percent"] == 3
    assert recalculate(dict(history, overpayment_interest_percent=5))["overpayment_interest"] == 5_000


# ---- days and leap years ----------------------------------------------------------

@pytest.mark.parametrize("start, end, t", [
    ("2007-12-31", "2008-12-31", Fraction(1)),                             # 366 days of a leap year
    ("2008-12-31", "2009-12-31", Fraction(1)),                             # 365 days of a common year
    ("2008-01-01", "2009-01-01", Fraction(365, 366) + Fraction(1, 365)),   # across the new year
    ("2008-02-28", "2008-03-01", Fraction(2, 366)),                        # 29 Feb counted
    ("2007-06-30", "2010-07-01", Fraction(184, 365) + 1 + 1 + Fraction(182, 365)),
])
def test_t_counts_each_day_in_its_own_year(start, end, t):
    principal = 1_000_000
    result = recalculate({"transactions": [tx(start, borrowed=principal)], "as_of": end})
    assert result["unpaid_interest"] == floor(principal * Fraction(15, 100) * t)


def test_leap_year_never_pushes_a_year_of_interest_over_the_cap():
    # 2008 has 366 days: a full calendar year is exactly one year, so exactly 18%
    result = recalculate({"transactions": [tx("2007-12-31", borrowed=500_000), tx("2008-12-31")]})
    assert result["rows"][1]["interest"] == 90_000


def test_several_rows_on_one_day_keep_their_order():
    borrow_first = recalculate({"transactions": [
        tx("2010-01-01", borrowed=50_000), tx("2010-06-01", borrowed=60_000),
        tx("2010-06-01", repaid=60_000), tx("2011-01-01")]})
    repay_first = recalculate({"transactions": [
        tx("2010-01-01", borrowed=50_000), tx("2010-06-01", repaid=60_000),
        tx("2010-06-01", borrowed=60_000), tx("2011-01-01")]})
    # borrowing first: the principal reached 110,000, so the cap is 18% from then on
    assert borrow_first["rows"][1]["rate_percent"] == 18
    assert repay_first["rows"][2]["rate_percent"] == 20
    assert borrow_first["rows"][2]["days"] == 0 and borrow_first["rows"][2]["interest"] == 0
    assert borrow_first["principal"] != repay_first["principal"] or \
        borrow_first["unpaid_interest"] != repay_first["unpaid_interest"]


def test_row_with_both_columns_is_borrowing_then_repayment():
    one_row = recalculate({"transactions": [tx("2010-01-01", 50_000), tx("2010-02-01", 60_000, 60_000)]})
    two_rows = recalculate({"transactions": [tx("2010-01-01", 50_000), tx("2010-02-01", 60_000),
                                              tx("2010-02-01", repaid=60_000)]})
    for key in ("principal", "unpaid_interest", "overpayment", "overpayment_interest"):
        assert one_row[key] == two_rows[key]


def test_totals_and_rows():
    result = recalculate({"transactions": [tx("2010-01-01", 100_000), tx("2010-07-01", repaid=20_000)]})
    assert result["total_borrowed"] == 100_000 and result["total_repaid"] == 20_000
    assert result["interest_total"] == sum(interests(result))
    assert [r["days"] for r in result["rows"]] == [0, 181]
    assert set(result["rows"][0]) == {"date", "borrowed", "repaid", "days", "rate_percent", "interest",
                                      "overpayment_interest_accrued", "principal", "unpaid_interest",
                                      "overpayment", "overpayment_interest"}


# ---- bad input -----------------------------------------------------------------------

@pytest.mark.parametrize("history, field", [
    ({"transactions": [tx("2010-02-01", 1), tx("2010-01-31", 1)]}, "transactions[1].date"),
    ({"transactions": [tx("2010-01-01", -1)]}, "transactions[0].borrowed"),
    ({"transactions": [tx("2010-01-01", repaid=True)]}, "transactions[0].repaid"),
    ({"transactions": [tx("2010-01-01", repaid=10_000_000_001)]}, "transactions[0].repaid"),
    ({"transactions": [tx("2010-01-01", repaid=1.5)]}, "transactions[0].repaid"),
    ({"transactions": [tx("2010-01-01", repaid="100")]}, "transactions[0].repaid"),
    ({"transactions": [tx("2010-02-30", 1)]}, "transactions[0].date"),
    ({"transactions": [tx("01/02/2010", 1)]}, "transactions[0].date"),
    ({"transactions": [{"borrowed": 1}]}, "transactions[0].date"),
    ({"transactions": [{"date": "2010-01-01", "borowed": 1}]}, "transactions[0].borowed"),
    ({"transactions": ["2010-01-01,1,0"]}, "transactions[0]"),
    ({"transactions": []}, "transactions"),
    ({"transactions": {}}, "transactions"),
    ({}, "transactions"),
    ({"transactions": [tx("2010-01-01", 1)], "as_of": "2009-12-31"}, "as_of"),
    ({"transactions": [tx("2010-01-01", 1)], "as_of": "soon"}, "as_of"),
    ({"transactions": [tx("2010-01-01", 1)], "overpayment_interest_percent": -1}, "overpayment_interest_percent"),
    ({"transactions": [tx("2010-01-01", 1)], "overpayment_interest_percent": "5"}, "overpayment_interest_percent"),
    ({"transactions": [tx("2010-01-01", 1)], "rate_percent_override": 200}, "rate_percent_override"),
    ({"transactions": [tx("2010-01-01", 1)], "asof": "2011-01-01"}, "asof"),
    ([tx("2010-01-01", 1)], "history"),
])
def test_bad_history_names_the_field(history, field):
    with pytest.raises(InputError) as err:
        recalculate(history)
    assert err.value.field == field
    assert str(err.value) == f"{field}: {err.value.problem}"
    assert "\n" not in str(err.value)


def test_dates_may_use_slashes():
    result = recalculate({"transactions": [tx("2008/01/01", 500_000), tx("2008/2/1", repaid=300_000)]})
    assert result["rows"][1]["date"] == "2008-02-01" and result["rows"][1]["interest"] == 7_622


# ---- CSV ------------------------------------------------------------------------------

CAP_CSV = "date,borrowed,repaid\n2008-01-01,500000,0\n2008-02-01,0,300000\n2008-03-01,0,300000\n"


def test_csv_gives_the_cap_example():
    history = parse_history_csv(CAP_CSV)
    assert history == {"transactions": [tx("2008-01-01", 500_000, 0), tx("2008-02-01", 0, 300_000),
                                        tx("2008-03-01", 0, 300_000)]}
    assert recalculate(dict(history, as_of="2008-03-30"))["claim"] == 89_771


def test_csv_tolerates_bom_crlf_blank_lines_commas_fullwidth_and_column_order():
    text = ("\ufeffrepaid, date ,borrowed\r\n\r\n0,2008-01-01,\"500,000\"\r\n"
            "３００，０００円,２００８－０２－０１,\r\n300000,2008/03/01,0\r\n\r\n")
    history = parse_history_csv(text)
    assert [t["borrowed"] for t in history["transactions"]] == [500_000, 0, 0]
    assert [t["repaid"] for t in history["transactions"]] == [0, 300_000, 300_000]
    assert history["transactions"][1]["date"] == "2008-02-01"


def test_csv_japanese_header_and_extra_columns():
    history = parse_history_csv("日付,借入額,返済額,メモ\n2008-01-01,500000,0,初回\n")
    assert history["transactions"] == [tx("2008-01-01", 500_000, 0)]


@pytest.mark.parametrize("text, field, words", [
    ("date,borrowed\n2008-01-01,1\n", "1行目", "repaid"),
    ("日付,借入\n2008-01-01,1\n", "1行目", "repaid"),
    ("date,borrowed,repaid\n2008-01-01,abc,0\n", "2行目 borrowed", "2行目"),
    ("date,borrowed,repaid\n2008-01-01,0,-5\n", "2行目 repaid", "マイナス"),
    ("date,borrowed,repaid\n2008-01-01,0,10000000001\n", "2行目 repaid", "大きすぎ"),
    ("date,borrowed,repaid\n2008-02-01,1,0\n\n2008-01-01,1,0\n", "4行目 date", "前の行"),
    ("date,borrowed,repaid\n2008-13-01,1,0\n", "2行目 date", "日付"),
    ("date,borrowed,repaid\n2008-01-01,1\n", "2行目 repaid", "欄がありません"),
    ("date,borrowed,repaid\n", "csv", "取引の行"),
    ("", "csv", "空"),
    ("\ufeff \n", "csv", "空"),
])
def test_csv_errors_name_line_and_column(text, field, words):
    with pytest.raises(InputError) as err:
        parse_history_csv(text)
    assert err.value.field == field
    assert words in err.value.problem


def test_csv_backwards_dates_are_also_caught_by_recalculate():
    with pytest.raises(InputError):
        recalculate({"transactions": [tx("2008-02-01", 1), tx("2008-01-01", 1)]})
