"""Review of a conversation: reviewed/handled marks, tags, notes, intent corrections (and
the corrections page, where a correction can be taken back)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from staff_console import queries, review
from staff_console.blueprints.common import audit, database, intents

bp = Blueprint("review", __name__)


def back_to(sender_id: str, anchor: str = ""):
    if request.form.get("return") == "queue":
        return redirect(url_for("conversations.queue"), code=303)
    return redirect(url_for("conversations.transcript_page", sender_id=sender_id) + anchor, code=303)


def form_sender() -> str:
    sender_id = request.form.get("sender_id") or ""
    if not sender_id or len(sender_id) > 255:
        abort(400, description="会話が指定されていません。")
    return sender_id


@bp.post("/review/reviewed")
def mark_reviewed():
    sid = form_sender()
    value = request.form.get("value") == "1"
    review.set_reviewed(database(), sid, g.user.username, value)
    audit("mark_reviewed" if value else "unmark_reviewed", sid)
    flash("確認済みにしました。" if value else "確認済みを取り消しました。")
    return back_to(sid)


@bp.post("/review/handled")
def mark_handled():
    sid = form_sender()
    value = request.form.get("value") == "1"
    review.set_handled(database(), sid, g.user.username, value)
    audit("mark_handled" if value else "unmark_handled", sid)
    flash("対応済みにしました。対応待ちの一覧から外れます。" if value else "対応待ちに戻しました。")
    return back_to(sid)


@bp.post("/review/tags/add")
def tag_add():
    sid = form_sender()
    try:
        tag = review.add_tag(database(), sid, request.form.get("tag", ""), g.user.username)
    except review.ReviewError as exc:
        flash(str(exc), "error")
        return back_to(sid, "#review")
    audit("add_tag", sid, {"tag": tag})
    flash(f"タグ「{tag}」を付けました。")
    return back_to(sid, "#review")


@bp.post("/review/tags/remove")
def tag_remove():
    sid = form_sender()
    tag = request.form.get("tag", "")
    review.remove_tag(database(), sid, tag)
    audit("remove_tag", sid, {"tag": tag})
    flash(f"タグ「{tag}」を外しました。")
    return back_to(sid, "#review")


@bp.post("/review/notes")
def note_add():
    sid = form_sender()
    try:
        review.add_note(database(), sid, request.form.get("body", ""), g.user.username)
    except review.ReviewError as exc:
        flash(str(exc), "error")
        return back_to(sid, "#review")
    audit("add_note", sid)
    flash("メモを追加しました。")
    return back_to(sid, "#review")


@bp.post("/review/correct")
def correct():
    db = database()
    try:
        event_id = int(request.form.get("event_id", ""))
    except ValueError:
        abort(400, description="発話が指定されていません。")
    event = queries.event_by_id(db, event_id)
    if event is None or event.type_name != "user":
        abort(404, description="この発話は見つかりません。")
    intent = request.form.get("intent", "")
    if intent not in intents():
        flash("インテントは一覧から選んでください。", "error")
        return back_to(event.sender_id, f"#e{event_id}")
    try:
        review.correct_intent(db, event, intent, g.user.username)
    except review.ReviewError as exc:
        flash(str(exc), "error")
        return back_to(event.sender_id, f"#e{event_id}")
    audit("correct_intent", event.sender_id, {"event_id": event_id, "from": event.intent_name, "to": intent})
    flash(f"インテントを「{intent}」に修正しました。学習データ修正の画面から書き出せます。")
    return back_to(event.sender_id, f"#e{event_id}")


@bp.get("/corrections")
def corrections_page():
    return render_template("corrections.html", rows=queries.list_corrections(database()))


@bp.post("/corrections/delete")
def correction_delete():
    try:
        cid = int(request.form.get("id", ""))
    except ValueError:
        abort(400)
    row = review.delete_correction(database(), cid)
    if row:
        audit("delete_correction", row.sender_id, {"event_id": row.event_id, "intent": row.corrected_intent})
        flash("修正を取り消しました。")
    return redirect(url_for("review.corrections_page"), code=303)
