"""Benchmark: 引き直し計算 of a 30-year history with 10,000 transactions (issue 3: < 50 ms).

Run: ``python bench/bench_recalculate.py`` (``make bench``). Standard library only
(timeit). Prints the median wall time over repeated runs of

* ``recalculate(history)``: input checks, the calculation and the 10,000 display rows;
* ``parse_history_csv(text)`` + ``recalculate``: the same history pasted as CSV.

The history is generated deterministically (seeded): a first borrowing, then about one
transaction a day for 30 years, mostly repayments with occasional borrowings, several
rows sharing a date now and then, so the cap changes, overpayments arise and are set off.
Exit status 1 when the median of ``recalculate`` is 50 ms or more.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import sys
import time
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from debt_rules import parse_history_csv, recalculate  # noqa: E402

LIMIT_MS = 50.0
TRANSACTIONS = 10_000
YEARS = 30
REPEAT = 31


def make_history(seed: int = 20080101) -> dict:
    rng = random.Random(seed)
    start = dt.date(1996, 1, 1)
    end = dt.date(1996 + YEARS, 1, 1)
    span = (end - start).days
    # 10,000 dates over 30 years, some shared (several rows on one day)
    offsets = sorted(rng.randrange(1, span) for _ in range(TRANSACTIONS - 1))
    transactions = [{"date": start.isoformat(), "borrowed": 500_000, "repaid": 0}]
    for off in offsets:
        day = (start + dt.timedelta(days=off)).isoformat()
        if rng.random() < 0.15:
            transactions.append({"date": day, "borrowed": rng.randrange(10_000, 300_000, 1_000), "repaid": 0})
        else:
            transactions.append({"date": day, "borrowed": 0, "repaid": rng.randrange(1_000, 60_000, 1_000)})
    return {"transactions": transactions, "as_of": end.isoformat()}


def as_csv(history: dict) -> str:
    lines = ["date,borrowed,repaid"]
    lines += [f"{t['date']},{t['borrowed']},{t['repaid']}" for t in history["transactions"]]
    return "\n".join(lines) + "\n"


def measure(fn, repeat: int = REPEAT):
    """(median wall ms, min wall ms, median CPU ms of this process) over ``repeat`` runs.

    Wall time is what the visitor waits for; CPU time shows how much of it was ours when
    other processes (a Rasa training, say) compete for the 2 cores."""
    fn()  # warm up
    wall = timeit.repeat(fn, number=1, repeat=repeat)
    cpu = timeit.repeat(fn, number=1, repeat=repeat, timer=time.process_time)
    return statistics.median(wall) * 1000, min(wall) * 1000, statistics.median(cpu) * 1000


def main() -> int:
    history = make_history()
    text = as_csv(history)
    result = recalculate(history)
    assert len(result["rows"]) == TRANSACTIONS
    recalc = measure(lambda: recalculate(history))
    with_csv = measure(lambda: recalculate(dict(parse_history_csv(text), as_of=history["as_of"])))
    first, last = history["transactions"][0]["date"], history["transactions"][-1]["date"]
    print(f"recalculate: {TRANSACTIONS:,} transactions {first}..{last} "
          f"(claim {result['claim']:,} yen, final cap {result['final_rate_percent']}%)")
    for name, (median, best, cpu) in (("recalculate(history)", recalc),
                                      ("parse_history_csv + recalculate", with_csv)):
        print(f"  {name:32s} median {median:6.1f} ms  (min {best:5.1f} ms, CPU median {cpu:5.1f} ms) "
              f"over {REPEAT} runs")
    print(f"  limit: median of recalculate(history) < {LIMIT_MS:.0f} ms -> "
          + ("ok" if recalc[0] < LIMIT_MS else "TOO SLOW"))
    return 0 if recalc[0] < LIMIT_MS else 1


if __name__ == "__main__":
    sys.exit(main())
