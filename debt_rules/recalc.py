"""引き直し計算: a lender's transaction history recomputed under the 利息制限法 caps.

Implements docs/rules.md "recalculate" exactly:

* Transactions are processed in the order given; dates must never go backwards (rows of
  one date keep their order). Before each transaction the account is brought up to its
  date: principal accrues ``floor(principal × cap × t)`` and an overpayment accrues
  ``floor(overpayment × rate × t)``, where ``t`` = Σ over the days after the previous date
  up to and including this one of 1 / (length of that day's calendar year). ``t`` is exact:
  with ``a`` days in 365-day years and ``b`` days in 366-day years,
  ``t = (366·a + 365·b) / (365·366)``, so each period's interest is one integer division
  (no floats, no rounding except the floor of the period's interest).
* The cap is 20% while the largest principal so far is under 100,000 yen, 18% from
  100,000 and 15% from 1,000,000; the largest principal is measured right after each
  borrowing, after any set-off, so the cap never rises again.
* Unpaid interest is carried apart, never added to principal. A repayment pays carried
  interest, then principal; the rest becomes the overpayment (過払い金). The overpayment
  earns overpayment interest (default 5% a year), carried apart. A borrowing is set off
  against carried overpayment interest first, then against the overpayment (最判平成25年
  4月11日); what is left becomes principal.
* A row that has both ``borrowed`` and ``repaid`` is the borrowing followed by the
  repayment on that date.

Contract-rate override: ``history["rate_percent_override"]`` (or the keyword argument
``rate_percent_override``, which wins) replaces the cap by one fixed rate for the whole
history. It reproduces a lender's own statement at its contract rate (docs/rules.md's 25%
example) and lets a caller compare the contract with the recalculation.

Input checks raise :class:`~debt_rules.errors.InputError` naming the transaction and
column. Unknown keys are rejected rather than ignored, so a misspelt ``as_of`` is never
silently dropped.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import unicodedata
from fractions import Fraction
from typing import Any, Dict, List, Optional

from debt_rules.errors import MAX_AMOUNT, InputError, check_date, check_known_keys, check_mapping, check_percent, is_int

__all__ = ["recalculate", "parse_history_csv", "CAPS"]

# (threshold of the largest principal, cap in percent), highest threshold first
CAPS = ((1_000_000, 15), (100_000, 18), (0, 20))
DEFAULT_OVERPAYMENT_INTEREST_PERCENT = 5
HISTORY_KEYS = ("transactions", "as_of", "overpayment_interest_percent", "rate_percent_override")
TRANSACTION_KEYS = ("date", "borrowed", "repaid")
_YEAR_DAYS = 365 * 366  # common denominator of 1/365 and 1/366
_TX_KEYSET = frozenset(("date", "borrowed", "repaid"))


def _cap_percent(largest_principal: int) -> int:
    for threshold, percent in CAPS:
        if largest_principal >= threshold:
            return percent
    return CAPS[-1][1]


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _weighted_days(start: _dt.date, end: _dt.date) -> int:
    """366·a + 365·b for the days in (start, end]: a in 365-day years, b in 366-day years.

    Divided by 365·366 this is t, the period as an exact fraction of years."""
    if start.year == end.year:
        n = end.toordinal() - start.toordinal()
        return n * 365 if _is_leap(end.year) else n * 366
    total = 0
    o = start.toordinal()
    for year in range(start.year, end.year + 1):
        last = end.toordinal() if year == end.year else _dt.date(year, 12, 31).toordinal()
        n = last - o
        total += n * 365 if _is_leap(year) else n * 366
        o = last
    return total


def _check_amount_at(value: Any, field: str) -> int:
    if value is None:
        return 0
    if not is_int(value):
        if isinstance(value, float):
            raise InputError(field, "金額は円単位の整数で入力してください。")
        raise InputError(field, "金額は数字で入力してください。")
    if value < 0:
        raise InputError(field, "金額にマイナスは使えません。")
    if value > MAX_AMOUNT:
        raise InputError(field, "金額が大きすぎます。100億円以下で入力してください。")
    return value


def _percent_out(p: Fraction) -> Any:
    return int(p) if p.denominator == 1 else float(p)


def recalculate(history: Dict[str, Any], *, rate_percent_override: Optional[float] = None) -> Dict[str, Any]:
    """Recalculate a transaction history (see the module docstring for the rules).

    ``history``: ``{"transactions": [{"date": "YYYY-MM-DD", "borrowed": int, "repaid": int}, ...],
    "as_of": "YYYY-MM-DD" (optional, default the last date), "overpayment_interest_percent":
    5 (optional, 0-20), "rate_percent_override": 25 (optional, 0-109.5)}``. ``borrowed`` and
    ``repaid`` may be left out (0).

    Returns integers ``principal``, ``unpaid_interest``, ``overpayment``,
    ``overpayment_interest``, ``claim`` (= overpayment + overpayment_interest) as of
    ``as_of``, plus ``as_of``, ``overpayment_interest_percent``, ``rate_basis`` ("cap" or
    "contract"), the totals ``total_borrowed``, ``total_repaid``, ``interest_total`` (all
    interest charged on principal), ``overpayment_interest_total`` (all overpayment interest
    accrued), ``final_period`` (``days``, ``interest``, ``overpayment_interest`` accrued from
    the last transaction to ``as_of``) and ``rows``: per transaction, ``date``,
    ``borrowed``, ``repaid``, ``days`` since the previous transaction, ``interest`` and
    ``overpayment_interest_accrued`` over those days (at the previous row's rate), then,
    after the transaction, the running ``principal``, ``unpaid_interest``, ``overpayment``,
    ``overpayment_interest`` and ``rate_percent``, the rate the principal now bears (the
    cap reached so far, or the override).
    """
    check_mapping(history, "history")
    check_known_keys(history, HISTORY_KEYS, "")
    transactions = history.get("transactions")
    if transactions is None:
        raise InputError("transactions", "取引履歴（transactions）がありません。")
    if not isinstance(transactions, list):
        raise InputError("transactions", "取引履歴は取引のリスト（[ ... ]）で入力してください。")
    if not transactions:
        raise InputError("transactions", "取引が1件もありません。")

    op_pct = history.get("overpayment_interest_percent")
    op_pct = (Fraction(DEFAULT_OVERPAYMENT_INTEREST_PERCENT) if op_pct is None else
              check_percent(op_pct, "overpayment_interest_percent", high=20, what="過払い利息の利率"))
    override = rate_percent_override if rate_percent_override is not None else history.get("rate_percent_override")
    field_override = "rate_percent_override"
    if override is not None:
        override = check_percent(override, field_override, what="約定金利")

    # ---- one pass: check each row, then apply it. Nothing is returned before every row
    # has been checked, so bad input never yields a half result. Integers only.
    as_of_raw = history.get("as_of")
    op_num, op_den = op_pct.numerator, op_pct.denominator * 100 * _YEAR_DAYS
    if override is not None:
        fixed_num, fixed_den = override.numerator, override.denominator * 100 * _YEAR_DAYS
    cap_den = 100 * _YEAR_DAYS
    principal = unpaid = over = over_int = 0
    largest = 0
    cap = _cap_percent(0)
    rate_now = cap if override is None else _percent_out(override)
    # the rate of the principal as num/den per (1/(365*366)) of a year
    rate_num, rate_den = (cap, cap_den) if override is None else (fixed_num, fixed_den)
    interest_total = over_int_total = total_borrowed = total_repaid = 0
    rows: List[Dict[str, Any]] = []
    append = rows.append
    fromiso = _dt.date.fromisoformat
    tx_keyset = _TX_KEYSET
    prev_date: Optional[_dt.date] = None
    prev_ord = year_last_ord = 0
    day_weight = 366  # 365·366 / (days in the current year): 366 in a common year, 365 in a leap year

    for i, tx in enumerate(transactions):
        # -- check
        if type(tx) is not dict:
            raise InputError(f"transactions[{i}]", "取引は {\"date\": ..., \"borrowed\": ..., \"repaid\": ...} の形で入力してください。")
        if not tx.keys() <= tx_keyset:
            check_known_keys(tx, TRANSACTION_KEYS, f"transactions[{i}]")
        raw = tx.get("date")
        d = None
        if type(raw) is str and len(raw) == 10:
            try:
                d = fromiso(raw)
            except ValueError:
                d = None
            if d is not None and not 1900 <= d.year <= 2100:
                d = None
        if d is None:
            if raw is None:
                raise InputError(f"transactions[{i}].date", "日付がありません。")
            d = check_date(raw, f"transactions[{i}].date")
            raw = d.isoformat()
        o = d.toordinal()
        if prev_date is None:
            prev_date, prev_ord = d, o
            year_last_ord = _dt.date(d.year, 12, 31).toordinal()
            day_weight = 365 if _is_leap(d.year) else 366
        days = o - prev_ord
        if days < 0:
            raise InputError(f"transactions[{i}].date",
                             f"日付が前の取引（{prev_date.isoformat()}）より前に戻っています。取引は日付の順に並べてください。")
        b = tx.get("borrowed", 0)
        if type(b) is not int or b < 0 or b > MAX_AMOUNT:
            b = _check_amount_at(b, f"transactions[{i}].borrowed")
        r = tx.get("repaid", 0)
        if type(r) is not int or r < 0 or r > MAX_AMOUNT:
            r = _check_amount_at(r, f"transactions[{i}].repaid")
        total_borrowed += b
        total_repaid += r

        # -- bring the account up to this date
        interest = accrued = 0
        if days:
            if o <= year_last_ord:
                w = days * day_weight
            else:
                w = _weighted_days(prev_date, d)
                year_last_ord = _dt.date(d.year, 12, 31).toordinal()
                day_weight = 365 if _is_leap(d.year) else 366
            if principal:
                interest = principal * rate_num * w // rate_den
                unpaid += interest
                interest_total += interest
            if over:
                accrued = over * op_num * w // op_den
                over_int += accrued
                over_int_total += accrued

        # -- the transaction
        if b:
            if over_int or over:
                take = b if b < over_int else over_int
                over_int -= take
                b_left = b - take
                take = b_left if b_left < over else over
                over -= take
                principal += b_left - take
            else:
                principal += b
            if principal > largest:
                largest = principal
                if override is None:
                    cap = rate_now = rate_num = _cap_percent(largest)
        if r:
            left = r
            if unpaid:
                take = left if left < unpaid else unpaid
                unpaid -= take
                left -= take
            if left and principal:
                take = left if left < principal else principal
                principal -= take
                left -= take
            over += left
        append({
            "date": raw, "borrowed": b, "repaid": r, "days": days, "interest": interest,
            "overpayment_interest_accrued": accrued, "principal": principal,
            "unpaid_interest": unpaid, "overpayment": over, "overpayment_interest": over_int,
            "rate_percent": rate_now,
        })
        prev_date, prev_ord = d, o

    assert prev_date is not None  # transactions is not empty, and every row sets it
    last = prev_date
    as_of = last if as_of_raw is None else check_date(as_of_raw, "as_of")
    if as_of < last:
        raise InputError("as_of", f"計算する日が最後の取引日（{last.isoformat()}）より前です。")

    # ---- bring the account up to as_of
    final_days = as_of.toordinal() - prev_ord
    final_interest = final_accrued = 0
    if final_days:
        w = _weighted_days(prev_date, as_of)
        if principal:
            final_interest = principal * rate_num * w // rate_den
            unpaid += final_interest
            interest_total += final_interest
        if over:
            final_accrued = over * op_num * w // op_den
            over_int += final_accrued
            over_int_total += final_accrued

    return {
        "principal": principal,
        "unpaid_interest": unpaid,
        "overpayment": over,
        "overpayment_interest": over_int,
        "claim": over + over_int,
        "as_of": as_of.isoformat(),
        "overpayment_interest_percent": _percent_out(op_pct),
        "rate_basis": "cap" if override is None else "contract",
        "rate_percent_override": None if override is None else _percent_out(override),
        "final_rate_percent": cap if override is None else _percent_out(override),
        "total_borrowed": total_borrowed,
        "total_repaid": total_repaid,
        "interest_total": interest_total,
        "overpayment_interest_total": over_int_total,
        "final_period": {"days": final_days, "interest": final_interest,
                         "overpayment_interest": final_accrued},
        "rows": rows,
    }


# ---- CSV -------------------------------------------------------------------------

# Column names accepted in the header (after NFKC and lower-casing), for the three columns.
_HEADER_ALIASES = {
    "date": ("date", "日付", "年月日", "取引日"),
    "borrowed": ("borrowed", "借入", "借入額", "借入金額", "借入れ", "貸付", "貸付額"),
    "repaid": ("repaid", "返済", "返済額", "返済金額", "弁済", "弁済額", "入金", "入金額"),
}
_COLUMN_LABELS = {"date": "日付", "borrowed": "借入額", "repaid": "返済額"}


def _csv_amount(cell: str, line: int, column: str) -> int:
    text = unicodedata.normalize("NFKC", cell).strip().replace(",", "").replace("円", "").replace(" ", "")
    if text in ("", "-"):
        return 0
    field = f"{line}行目 {column}"
    if text.startswith("-") and text[1:].isdigit():
        raise InputError(field, f"{line}行目の{_COLUMN_LABELS[column]}にマイナスは使えません。")
    if not (text.isdigit() and text.isascii()):
        raise InputError(field, f"{line}行目の{_COLUMN_LABELS[column]}が数字ではありません（{cell.strip()[:20]}）。")
    value = int(text)
    if value > MAX_AMOUNT:
        raise InputError(field, f"{line}行目の{_COLUMN_LABELS[column]}が大きすぎます。100億円以下で入力してください。")
    return value


def parse_history_csv(text: str) -> Dict[str, Any]:
    """CSV text -> ``{"transactions": [...]}`` for :func:`recalculate`.

    The first non-blank row is the header and must name the columns ``date``,
    ``borrowed`` and ``repaid`` in any order (Japanese headers 日付・借入額・返済額 are also
    accepted; other columns are ignored). A byte-order mark, full-width characters,
    thousands separators (``"1,000"`` quoted, or ``1，000``), a trailing 円 and blank
    amount cells (0) are tolerated; blank lines are skipped. Dates are ``YYYY-MM-DD`` or
    ``YYYY/MM/DD``. Errors name the line (the header is line 1) and the column:
    ``InputError("3行目 repaid", ...)``. Whether dates go backwards is checked by
    :func:`recalculate`, which names the transaction; here it is checked too, naming the line.
    """
    if not isinstance(text, str):
        raise InputError("csv", "CSV は文字列で渡してください。")
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise InputError("csv", "CSV が空です。1行目に date,borrowed,repaid の見出しを入れてください。")
    reader = csv.reader(io.StringIO(text))
    rows: List[List[str]] = []
    lines: List[int] = []  # physical line of each row (a quoted cell may span lines)
    try:
        for row in reader:
            rows.append(row)
            lines.append(reader.line_num)
    except csv.Error as exc:
        raise InputError(f"{reader.line_num}行目", f"CSV として読めません（{exc}）。") from None
    header_index = next((i for i, row in enumerate(rows) if any(c.strip() for c in row)), None)
    if header_index is None:
        raise InputError("csv", "CSV が空です。1行目に date,borrowed,repaid の見出しを入れてください。")
    header = [unicodedata.normalize("NFKC", c).strip().lower().lstrip("\ufeff") for c in rows[header_index]]
    columns: Dict[str, int] = {}
    for name, aliases in _HEADER_ALIASES.items():
        for j, cell in enumerate(header):
            if cell in aliases:
                if name in columns:
                    raise InputError(f"{lines[header_index]}行目", f"見出しに {name} の列が2つあります。")
                columns[name] = j
    for name in ("date", "borrowed", "repaid"):
        if name not in columns:
            raise InputError(f"{lines[header_index]}行目",
                             f"見出しに {name}（{_COLUMN_LABELS[name]}）の列がありません。1行目は date,borrowed,repaid にしてください。")
    transactions = []
    previous = None
    width = max(columns.values()) + 1
    di, bi, ri = columns["date"], columns["borrowed"], columns["repaid"]
    fromiso = _dt.date.fromisoformat
    for k in range(header_index + 1, len(rows)):
        row = rows[k]
        line = lines[k]
        if len(row) < width:
            if not any(c.strip() for c in row):
                continue  # blank line
            missing = [name for name, j in columns.items() if j >= len(row)]
            raise InputError(f"{line}行目 {missing[0]}",
                             f"{line}行目に{_COLUMN_LABELS[missing[0]]}の欄がありません。")
        raw_date = row[di]
        d = None
        if len(raw_date) == 10:
            try:
                d = fromiso(raw_date)
            except ValueError:
                d = None
            if d is not None and not 1900 <= d.year <= 2100:
                d = None
        if d is None:
            if not any(c.strip() for c in row):
                continue  # a line of empty cells
            try:
                d = check_date(unicodedata.normalize("NFKC", raw_date).strip(), f"{line}行目 date")
            except InputError as exc:
                raise InputError(exc.field, f"{line}行目の日付：{exc.problem}") from None
            raw_date = d.isoformat()
        if previous is not None and d < previous:
            raise InputError(f"{line}行目 date",
                             f"{line}行目の日付が前の行（{previous.isoformat()}）より前に戻っています。日付の順に並べてください。")
        previous = d
        b_cell, r_cell = row[bi], row[ri]
        b = int(b_cell) if b_cell.isdigit() and b_cell.isascii() else _csv_amount(b_cell, line, "borrowed")
        r = int(r_cell) if r_cell.isdigit() and r_cell.isascii() else _csv_amount(r_cell, line, "repaid")
        if b > MAX_AMOUNT:
            _csv_amount(str(b), line, "borrowed")
        if r > MAX_AMOUNT:
            _csv_amount(str(r), line, "repaid")
        transactions.append({"date": raw_date, "borrowed": b, "repaid": r})
    if not transactions:
        raise InputError("csv", "取引の行がありません。見出しの次の行から、1行に1件ずつ入力してください。")
    return {"transactions": transactions}
