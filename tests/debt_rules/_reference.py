"""A deliberately plain second implementation of rules.md's 引き直し計算, for property tests.

Day by day, with Fractions, written straight from the rule text and sharing no code with
debt_rules.recalc. Slow; only for short histories.
"""

from __future__ import annotations

import calendar
import datetime as dt
from fractions import Fraction
from math import floor


def year_fraction(start: dt.date, end: dt.date) -> Fraction:
    """t: every day after ``start`` up to and including ``end``, each 1/len(its year)."""
    t = Fraction(0)
    day = start
    while day < end:
        day += dt.timedelta(days=1)
        t += Fraction(1, 366 if calendar.isleap(day.year) else 365)
    return t


def cap_for(largest: int) -> Fraction:
    if largest >= 1_000_000:
        return Fraction(15, 100)
    if largest >= 100_000:
        return Fraction(18, 100)
    return Fraction(20, 100)


def reference(transactions, as_of=None, overpayment_percent=5, fixed_percent=None):
    rate_over = Fraction(str(overpayment_percent)) / 100
    fixed = None if fixed_percent is None else Fraction(str(fixed_percent)) / 100
    principal = unpaid = over = over_interest = 0
    largest = 0
    previous = None
    for tx in transactions:
        day = dt.date.fromisoformat(tx["date"])
        if previous is not None:
            t = year_fraction(previous, day)
            rate = fixed if fixed is not None else cap_for(largest)
            if principal > 0:
                unpaid += floor(principal * rate * t)
            if over > 0:
                over_interest += floor(over * rate_over * t)
        previous = day
        borrowed = tx.get("borrowed", 0)
        if borrowed:
            from_interest = min(borrowed, over_interest)
            over_interest -= from_interest
            borrowed -= from_interest
            from_over = min(borrowed, over)
            over -= from_over
            borrowed -= from_over
            principal += borrowed
            largest = max(largest, principal)
        repaid = tx.get("repaid", 0)
        if repaid:
            to_interest = min(repaid, unpaid)
            unpaid -= to_interest
            repaid -= to_interest
            to_principal = min(repaid, principal)
            principal -= to_principal
            repaid -= to_principal
            over += repaid
    end = dt.date.fromisoformat(as_of) if as_of else previous
    t = year_fraction(previous, end)
    rate = fixed if fixed is not None else cap_for(largest)
    if principal > 0:
        unpaid += floor(principal * rate * t)
    if over > 0:
        over_interest += floor(over * rate_over * t)
    return {"principal": principal, "unpaid_interest": unpaid, "overpayment": over,
            "overpayment_interest": over_interest, "claim": over + over_interest}
