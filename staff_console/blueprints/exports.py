"""Downloads (staff_console/exports.py): conversations as CSV/JSONL and booking requests as
CSV with personal data masked, intent corrections as NLU training data. Every export is in
the audit log."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, abort, request, stream_with_context

from staff_console import exports, labels, queries
from staff_console.blueprints.bookings import status_arg
from staff_console.blueprints.common import audit, database

bp = Blueprint("exports", __name__)


def _stamp() -> str:
    return datetime.now(labels.JST).strftime("%Y%m%d-%H%M")


@bp.post("/export/conversations")
def export_conversations():
    db = database()
    fmt = request.form.get("format", "csv")
    if fmt not in ("csv", "jsonl"):
        abort(400, description="書き出し形式は CSV か JSONL を選んでください。")
    f = queries.Filters.from_args(request.form)
    matching = queries.list_conversations(db, f, 1, page_size=1)
    audit("export_conversations", None, {"format": fmt, "filters": f.query_args(),
                                         "conversations": matching.total,
                                         "more_than": matching.capped or None})
    counter = {}
    stamp = _stamp()
    if fmt == "csv":
        body, mime = exports.conversations_csv(db, f, counter), "text/csv; charset=utf-8"
    else:
        body, mime = exports.conversations_jsonl(db, f, counter), "application/x-ndjson; charset=utf-8"
    resp = Response(stream_with_context(body), mimetype=mime)
    resp.headers["Content-Disposition"] = f'attachment; filename="conversations-{stamp}.{fmt}"'
    return resp


@bp.post("/export/bookings")
def export_bookings():
    db = database()
    status = status_arg(request.form.get("status"))
    audit("export_bookings", None, {"format": "csv", "status": status or "all",
                                    "requests": exports.count_bookings(db, status or None)})
    stamp = _stamp()
    resp = Response(stream_with_context(exports.bookings_csv(db, status or None, {})),
                    mimetype="text/csv; charset=utf-8")
    resp.headers["Content-Disposition"] = f'attachment; filename="bookings-{stamp}.csv"'
    return resp


@bp.post("/corrections/export")
def corrections_export():
    rows = queries.list_corrections(database())
    audit("export_corrections", None, {"corrections": len(rows)})
    stamp = _stamp()
    resp = Response(exports.corrections_yaml(rows), mimetype="application/x-yaml; charset=utf-8")
    resp.headers["Content-Disposition"] = f'attachment; filename="nlu-corrections-{stamp}.yml"'
    return resp
