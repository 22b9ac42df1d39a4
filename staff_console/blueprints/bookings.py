"""Booking requests (booking/store.py): the queue with status tabs, one request, its status."""

from __future__ import annotations

from typing import Optional

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from booking import store as bookings
from staff_console import labels
from staff_console.blueprints.common import audit, database

bp = Blueprint("bookings", __name__)

PAGE_SIZE = 50
GONE = ("この予約申込みは見つかりません。訪問者が取り消した可能性があります"
        "（取り消された申込みは、お名前と連絡先ごと削除されます）。")


def status_arg(value: Optional[str]) -> str:
    """A status to filter by, or "" for every request (a draft is never one of them)."""
    return value if value in bookings.STATUSES else ""


def booking_or_404(ref: str) -> dict:
    row = bookings.get(database(), ref=ref) if 0 < len(ref) <= 16 else None
    if row is None or row["status"] == "draft":       # drafts are the visitor's, not staff's
        abort(404, description=GONE)
    return row


@bp.get("/bookings")
def booking_list():
    db = database()
    status = status_arg(request.args.get("status"))
    counts = bookings.counts(db)
    total = counts[status] if status else sum(counts.values())
    pages = max(1, -(-total // PAGE_SIZE))
    try:
        page_no = max(1, min(int(request.args.get("page", "1")), pages))
    except ValueError:
        page_no = 1
    rows = bookings.queue(db, status or None, limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE)
    return render_template("bookings.html", rows=rows, counts=counts, status=status, total=total,
                           page=page_no, pages=pages)


@bp.get("/bookings/<ref>")
def booking_detail(ref: str):
    row = booking_or_404(ref)
    audit("view_booking", ref)
    return render_template("booking.html", b=row, summary_items=labels.booking_summary(row["summary"]),
                           statuses=bookings.STATUSES)


@bp.post("/bookings/<ref>/status")
def booking_status(ref: str):
    db = database()
    new = request.form.get("status", "")
    before = bookings.get(db, ref=ref) if 0 < len(ref) <= 16 else None
    if before is None or before["status"] == "draft":
        flash(GONE, "error")
        return redirect(url_for("bookings.booking_list"), code=303)
    old = before["status"]
    if new == old:
        flash(f"状態はすでに「{labels.booking_status_label(new)}」です。")
        return redirect(url_for("bookings.booking_detail", ref=ref), code=303)
    try:
        bookings.set_status(db, ref, new, g.user.username)
    except bookings.BookingError as exc:
        flash(str(exc), "error")
        gone = bookings.get(db, ref=ref) is None
        return redirect(url_for("bookings.booking_list") if gone else url_for("bookings.booking_detail", ref=ref),
                        code=303)
    audit("set_booking_status", ref, {"from": old, "to": new})
    flash(f"受付番号 {ref} の状態を「{labels.booking_status_label(old)}」から"
          f"「{labels.booking_status_label(new)}」に変更しました。")
    return redirect(url_for("bookings.booking_detail", ref=ref), code=303)
