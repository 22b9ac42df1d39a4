"""Conversations: the list with its filters and search, one transcript, the handoff queue
and the dashboard."""

from __future__ import annotations

import time

from flask import Blueprint, abort, redirect, render_template, request, url_for

from booking import store as bookings
from staff_console import queries, transcript
from staff_console.blueprints.common import audit, database, fresh, intents, refresher

bp = Blueprint("conversations", __name__)


def in_queue(row, mark) -> bool:
    """Whether the conversation waits in the handoff queue (asked for a person, or distress,
    and not handled since)."""
    if row is None or not (row.handoff or row.distress) or row.attention_first_at is None:
        return False
    return mark is None or mark.handled_at is None or mark.handled_at < (row.attention_last_at or 0)


@bp.get("/")
def index():
    return redirect(url_for("conversations.conversation_list"))


@bp.get("/conversations")
def conversation_list():
    fresh()
    db = database()
    f = queries.Filters.from_args(request.args)
    try:
        page_no = max(1, min(int(request.args.get("page", "1")), 100000))
    except ValueError:
        page_no = 1
    page = queries.list_conversations(db, f, page_no)
    if f.q:
        audit("search", None, {"q": f.q, "results": page.total})
    catching_up = 0
    r = refresher()
    if r.behind:
        done, newest = r.progress()
        catching_up = max(0, newest - done)
    return render_template("conversations.html", f=f, page=page, choices=queries.filter_choices(db, intents()),
                           args=f.query_args(), catching_up=catching_up)


@bp.get("/conversations/<path:sender_id>")
def transcript_page(sender_id: str):
    db = database()
    events, cut = queries.events_of(db, sender_id)
    row = queries.summary(db, sender_id)
    if not events and row is None:
        abort(404, description="この会話は見つかりません。")
    mark, tag_rows, note_rows, corr = queries.review_data(db, sender_id)
    audit("view_conversation", sender_id)
    return render_template("transcript.html", sender_id=sender_id, row=row, turns=transcript.build(events),
                           cut=cut, mark=mark, tags=tag_rows, notes=note_rows, corrections=corr,
                           intents=intents(), in_queue=in_queue(row, mark),
                           booking_requests=bookings.open_requests(db, sender_id))


@bp.get("/queue")
def queue():
    fresh()
    only_distress = request.args.get("distress") == "1"
    rows, total, tag_map = queries.handoff_queue(database(), only_distress=only_distress)
    return render_template("queue.html", rows=rows, total=total, tags=tag_map, only_distress=only_distress,
                           now=time.time())


@bp.get("/dashboard")
def dashboard():
    fresh()
    try:
        days = int(request.args.get("days", "30"))
    except ValueError:
        days = 30
    days = days if days in (7, 30, 90, 365) else 30
    return render_template("dashboard.html", d=queries.dashboard(database(), days))
