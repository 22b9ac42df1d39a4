"""The staff console: a Flask application (Jinja2 autoescaping), served by waitress.

Security model
* Every page but /login, /healthz and /static/* needs a login; a logged-out request is
  redirected to /login?next=… . Admin pages (users, audit log) answer 403 to other staff.
* Sessions are server-side rows (staff_console/auth.py); the cookie is signed, HttpOnly,
  SameSite=Lax, and Secure when the request came over https (CONSOLE_COOKIE_SECURE).
* CSRF: every POST form carries a per-session token (``csrf_token``), checked in constant
  time, and a POST whose Origin names another site is refused. POST /login also accepts a
  request without the token when it carries no foreign Origin/Referer (a script logging
  in, as interfaces.md allows); a browser's cross-site form always sends Origin, so it is
  refused.
* Output: Jinja2 escapes everything, and the Content-Security-Policy allows no script at
  all (script-src 'none'), so even a missed escape could not run a visitor's <script>.
* SQL: SQLAlchemy Core with bound parameters only; the search text goes through an FTS5
  phrase made of letters and digits only (staff_console/search.py).
"""

from __future__ import annotations

import hmac
import logging
import re
import secrets
import time
from datetime import datetime
from functools import wraps
from pathlib import Path
from typing import Optional
from urllib.parse import urlparse

import yaml
from flask import (Flask, Response, abort, flash, g, redirect, render_template, request, session,
                   stream_with_context, url_for)
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

from booking import store as bookings
from staff_console import auth, exports, labels, queries, review, transcript
from staff_console.config import ROOT, Settings, load_settings
from staff_console.db import Database
from staff_console.migrate import upgrade
from staff_console.summary import Refresher

log = logging.getLogger("staff_console")
HERE = Path(__file__).resolve().parent
SAFE_NEXT = re.compile(r"/(?:[^/\\\s\x00-\x1f\x7f][^\\\s\x00-\x1f\x7f]*)?")
PUBLIC_ENDPOINTS = {"login", "login_post", "healthz", "static", "favicon"}
CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'none'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


class ConsoleSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie, with Secure decided per request when CONSOLE_COOKIE_SECURE=auto."""

    def get_cookie_secure(self, app: Flask) -> bool:
        mode = app.config["CONSOLE_SETTINGS"].cookie_secure
        if mode == "always":
            return True
        if mode == "never":
            return False
        return bool(request and request.is_secure)


def domain_intents() -> list:
    """The intents a correction may choose: the bot's domain (domain.yml)."""
    names = []
    for path in [ROOT / "domain.yml"]:
        if not path.exists():
            continue
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError:
            continue
        for item in data.get("intents") or []:
            name = item if isinstance(item, str) else (next(iter(item)) if isinstance(item, dict) and item else None)
            if name and name not in names:
                names.append(name)
    return names or [k for k in labels.INTENTS if k != "nlu_fallback"]


def create_app(settings: Optional[Settings] = None, db: Optional[Database] = None, migrate: bool = True) -> Flask:
    settings = settings or load_settings()
    db = db or Database(settings)
    if migrate:
        upgrade(db)
    app = Flask("staff_console", root_path=str(HERE), template_folder="templates", static_folder="static")
    app.json.ensure_ascii = False   # slot values in Japanese, not \u escapes (tojson stays HTML-safe)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_NAME="console_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=256 * 1024,
        CONSOLE_SETTINGS=settings,
        JSON_AS_ASCII=False,
    )
    app.session_interface = ConsoleSessionInterface()
    if settings.trust_proxy:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
    refresher = Refresher(db)
    app.extensions["console"] = {"db": db, "settings": settings, "refresher": refresher}
    intents = domain_intents()

    # -- helpers ---------------------------------------------------------------------------
    def client_ip() -> str:
        return request.remote_addr or ""

    def audit(action: str, target: Optional[str] = None, detail=None, username: Optional[str] = None) -> None:
        user = username if username is not None else (g.user.username if g.get("user") else None)
        review.log(db, user, action, target, detail, client_ip())

    def csrf_token() -> str:
        token = session.get("csrf")
        if not token:
            token = session["csrf"] = secrets.token_urlsafe(32)
        return token

    def foreign_origin() -> bool:
        own = urlparse(request.host_url)
        for header in ("Origin", "Referer"):
            value = request.headers.get(header)
            if not value:
                continue
            if value == "null":
                return True
            parsed = urlparse(value)
            if (parsed.scheme, parsed.netloc) != (own.scheme, own.netloc):
                return True
        if request.headers.get("Sec-Fetch-Site") in ("cross-site", "same-site"):
            return True
        return False

    def fresh(wait: float = 0.5) -> None:
        """Fold new events before a page reads summaries (cheap when nothing is new)."""
        if refresher.behind and refresher.background is not None:
            return  # the background refresher is catching up; the page says so
        if time.time() - refresher.last_run > 1.0:
            refresher.refresh(max_batches=2, wait=wait)

    def safe_next(value: Optional[str]) -> str:
        """Only a path on this site (no scheme, host, backslash, white space or control
        characters, which browsers may strip into "//other.site")."""
        if value and SAFE_NEXT.fullmatch(value):
            return value
        return url_for("conversation_list")

    def admin_required(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not g.user.is_admin:
                abort(403)
            return view(*args, **kwargs)
        return wrapped

    app.jinja_env.globals.update(csrf_token=csrf_token, labels=labels, jst=labels.jst,
                                 jst_seconds=labels.jst_seconds)
    app.jinja_env.filters["pct"] = lambda v: "—" if v is None else f"{float(v) * 100:.0f}%"
    app.jinja_env.filters["conf"] = lambda v: "—" if v is None else f"{float(v):.2f}"

    # -- request hooks ---------------------------------------------------------------------
    @app.before_request
    def load_user():
        g.user = auth.session_user(db, settings, session.get("t", "")) if session.get("t") else None
        if request.method == "POST":
            if foreign_origin():
                abort(403, description="別のサイトから送信されたフォームは受け付けません。")
            sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
            expected = session.get("csrf") or ""
            lenient_login = request.endpoint == "login_post" and not sent
            if not lenient_login and not (sent and expected and hmac.compare_digest(sent, expected)):
                abort(400, description="フォームの有効期限が切れました。ページを読み込み直してから、もう一度操作してください。")
        if g.user is None and request.endpoint not in PUBLIC_ENDPOINTS:
            session.pop("t", None)
            target = request.full_path.rstrip("?") if request.method == "GET" else ""
            if target in ("", "/"):
                return redirect(url_for("login"))
            return redirect(url_for("login", next=target))
        if g.user is not None:
            g.queue_size = queries.queue_size(db)
            g.bookings_new = bookings.counts(db)["new"]
        return None

    @app.after_request
    def headers(resp: Response) -> Response:
        resp.headers.setdefault("Content-Security-Policy", CSP)
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["X-Frame-Options"] = "DENY"
        resp.headers["Referrer-Policy"] = "same-origin"
        if request.endpoint != "static":
            resp.headers["Cache-Control"] = "no-store"
        if request.is_secure:
            resp.headers["Strict-Transport-Security"] = "max-age=31536000"
        return resp

    @app.errorhandler(400)
    @app.errorhandler(403)
    @app.errorhandler(404)
    @app.errorhandler(405)
    @app.errorhandler(413)
    @app.errorhandler(500)
    def error_page(err):
        titles = {400: "操作を受け付けられませんでした", 403: "この操作はできません",
                  404: "ページが見つかりません", 405: "この操作はできません", 413: "送信内容が大きすぎます",
                  500: "エラーが発生しました"}
        return render_template("error.html", code=err.code, title=titles.get(err.code, "エラー"),
                               message=err.description if isinstance(err.description, str)
                               and not err.description.startswith("The ") else None), err.code

    # -- public ----------------------------------------------------------------------------
    @app.get("/healthz")
    def healthz():
        with db.read() as conn:
            conn.exec_driver_sql("SELECT 1")
        return Response("ok\n", mimetype="text/plain")

    @app.get("/favicon.ico")
    def favicon():
        return Response(status=204)

    @app.get("/login")
    def login():
        if g.user is not None:
            return redirect(safe_next(request.args.get("next")))
        return render_template("login.html", next=request.args.get("next", ""),
                               no_users=auth.count_users(db) == 0)

    @app.post("/login")
    def login_post():
        username = (request.form.get("username") or "").strip()[:64]
        password = request.form.get("password") or ""
        nxt = request.form.get("next") or request.args.get("next")
        result = auth.authenticate(db, settings, username, password)
        if result.user is None:
            if result.locked_until:
                audit("login_locked" if result.refused_locked else "login_failed", username,
                      {"locked_until": labels.jst_seconds(result.locked_until)}, username=username or None)
                minutes = max(1, int((result.locked_until - time.time() + 59) // 60))
                error = (f"ログインに続けて失敗したため、このアカウントは一時的にロックされています。"
                         f"約{minutes}分後にもう一度お試しください。")
                status = 429
            else:
                audit("login_failed", username, None, username=username or None)
                error = "ユーザー名またはパスワードが正しくありません。"
                status = 401
            return render_template("login.html", error=error, username=username, next=nxt or "",
                                   no_users=False), status
        if g.user is not None and session.get("t"):
            auth.end_session(db, session["t"])
        session.clear()
        session["t"] = auth.create_session(db, result.user, client_ip(), request.headers.get("User-Agent"))
        session["csrf"] = secrets.token_urlsafe(32)
        audit("login", result.user.username, None, username=result.user.username)
        return redirect(safe_next(nxt), code=303)

    @app.post("/logout")
    def logout():
        auth.end_session(db, session.get("t", ""))
        audit("logout", g.user.username)
        session.clear()
        flash("ログアウトしました。")
        return redirect(url_for("login"), code=303)

    # -- conversations ---------------------------------------------------------------------
    @app.get("/")
    def index():
        return redirect(url_for("conversation_list"))

    @app.get("/conversations")
    def conversation_list():
        fresh()
        f = queries.Filters.from_args(request.args)
        try:
            page_no = max(1, min(int(request.args.get("page", "1")), 100000))
        except ValueError:
            page_no = 1
        page = queries.list_conversations(db, f, page_no)
        if f.q:
            audit("search", None, {"q": f.q, "results": page.total})
        catching_up = 0
        if refresher.behind:
            done, newest = refresher.progress()
            catching_up = max(0, newest - done)
        return render_template("conversations.html", f=f, page=page, choices=queries.filter_choices(db, intents),
                               args=f.query_args(), catching_up=catching_up)

    @app.get("/conversations/<path:sender_id>")
    def transcript_page(sender_id: str):
        events, cut = queries.events_of(db, sender_id)
        row = queries.summary(db, sender_id)
        if not events and row is None:
            abort(404, description="この会話は見つかりません。")
        mark, tag_rows, note_rows, corr = queries.review_data(db, sender_id)
        audit("view_conversation", sender_id)
        return render_template("transcript.html", sender_id=sender_id, row=row, turns=transcript.build(events),
                               cut=cut, mark=mark, tags=tag_rows, notes=note_rows, corrections=corr,
                               intents=intents, in_queue=_in_queue(row, mark),
                               booking_requests=bookings.open_requests(db, sender_id))

    def _in_queue(row, mark) -> bool:
        if row is None or not (row.handoff or row.distress) or row.attention_first_at is None:
            return False
        return mark is None or mark.handled_at is None or mark.handled_at < (row.attention_last_at or 0)

    def back_to(sender_id: str, anchor: str = ""):
        if request.form.get("return") == "queue":
            return redirect(url_for("queue"), code=303)
        return redirect(url_for("transcript_page", sender_id=sender_id) + anchor, code=303)

    def form_sender() -> str:
        sender_id = request.form.get("sender_id") or ""
        if not sender_id or len(sender_id) > 255:
            abort(400, description="会話が指定されていません。")
        return sender_id

    @app.post("/review/reviewed")
    def mark_reviewed():
        sid = form_sender()
        value = request.form.get("value") == "1"
        review.set_reviewed(db, sid, g.user.username, value)
        audit("mark_reviewed" if value else "unmark_reviewed", sid)
        flash("確認済みにしました。" if value else "確認済みを取り消しました。")
        return back_to(sid)

    @app.post("/review/handled")
    def mark_handled():
        sid = form_sender()
        value = request.form.get("value") == "1"
        review.set_handled(db, sid, g.user.username, value)
        audit("mark_handled" if value else "unmark_handled", sid)
        flash("対応済みにしました。対応待ちの一覧から外れます。" if value else "対応待ちに戻しました。")
        return back_to(sid)

    @app.post("/review/tags/add")
    def tag_add():
        sid = form_sender()
        try:
            tag = review.add_tag(db, sid, request.form.get("tag", ""), g.user.username)
        except review.ReviewError as exc:
            flash(str(exc), "error")
            return back_to(sid, "#review")
        audit("add_tag", sid, {"tag": tag})
        flash(f"タグ「{tag}」を付けました。")
        return back_to(sid, "#review")

    @app.post("/review/tags/remove")
    def tag_remove():
        sid = form_sender()
        tag = request.form.get("tag", "")
        review.remove_tag(db, sid, tag)
        audit("remove_tag", sid, {"tag": tag})
        flash(f"タグ「{tag}」を外しました。")
        return back_to(sid, "#review")

    @app.post("/review/notes")
    def note_add():
        sid = form_sender()
        try:
            review.add_note(db, sid, request.form.get("body", ""), g.user.username)
        except review.ReviewError as exc:
            flash(str(exc), "error")
            return back_to(sid, "#review")
        audit("add_note", sid)
        flash("メモを追加しました。")
        return back_to(sid, "#review")

    @app.post("/review/correct")
    def correct():
        try:
            event_id = int(request.form.get("event_id", ""))
        except ValueError:
            abort(400, description="発話が指定されていません。")
        event = queries.event_by_id(db, event_id)
        if event is None or event.type_name != "user":
            abort(404, description="この発話は見つかりません。")
        intent = request.form.get("intent", "")
        if intent not in intents:
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

    # -- handoff queue, dashboard -----------------------------------------------------------
    @app.get("/queue")
    def queue():
        fresh()
        only_distress = request.args.get("distress") == "1"
        rows, total, tag_map = queries.handoff_queue(db, only_distress=only_distress)
        return render_template("queue.html", rows=rows, total=total, tags=tag_map, only_distress=only_distress,
                               now=time.time())

    @app.get("/dashboard")
    def dashboard():
        fresh()
        try:
            days = int(request.args.get("days", "30"))
        except ValueError:
            days = 30
        days = days if days in (7, 30, 90, 365) else 30
        return render_template("dashboard.html", d=queries.dashboard(db, days))

    # -- booking requests (booking/store.py) -------------------------------------------------
    booking_page_size = 50
    booking_gone = ("この予約申込みは見つかりません。訪問者が取り消した可能性があります"
                    "（取り消された申込みは、お名前と連絡先ごと削除されます）。")

    def booking_status_arg(value: Optional[str]) -> str:
        """A status to filter by, or "" for every request (a draft is never one of them)."""
        return value if value in bookings.STATUSES else ""

    def booking_or_404(ref: str) -> dict:
        row = bookings.get(db, ref=ref) if 0 < len(ref) <= 16 else None
        if row is None or row["status"] == "draft":       # drafts are the visitor's, not staff's
            abort(404, description=booking_gone)
        return row

    @app.get("/bookings")
    def booking_list():
        status = booking_status_arg(request.args.get("status"))
        counts = bookings.counts(db)
        total = counts[status] if status else sum(counts.values())
        pages = max(1, -(-total // booking_page_size))
        try:
            page_no = max(1, min(int(request.args.get("page", "1")), pages))
        except ValueError:
            page_no = 1
        rows = bookings.queue(db, status or None, limit=booking_page_size, offset=(page_no - 1) * booking_page_size)
        return render_template("bookings.html", rows=rows, counts=counts, status=status, total=total,
                               page=page_no, pages=pages)

    @app.get("/bookings/<ref>")
    def booking_detail(ref: str):
        row = booking_or_404(ref)
        audit("view_booking", ref)
        return render_template("booking.html", b=row, summary_items=labels.booking_summary(row["summary"]),
                               statuses=bookings.STATUSES)

    @app.post("/bookings/<ref>/status")
    def booking_status(ref: str):
        new = request.form.get("status", "")
        before = bookings.get(db, ref=ref) if 0 < len(ref) <= 16 else None
        if before is None or before["status"] == "draft":
            flash(booking_gone, "error")
            return redirect(url_for("booking_list"), code=303)
        old = before["status"]
        if new == old:
            flash(f"状態はすでに「{labels.booking_status_label(new)}」です。")
            return redirect(url_for("booking_detail", ref=ref), code=303)
        try:
            bookings.set_status(db, ref, new, g.user.username)
        except bookings.BookingError as exc:
            flash(str(exc), "error")
            gone = bookings.get(db, ref=ref) is None
            return redirect(url_for("booking_list") if gone else url_for("booking_detail", ref=ref), code=303)
        audit("set_booking_status", ref, {"from": old, "to": new})
        flash(f"受付番号 {ref} の状態を「{labels.booking_status_label(old)}」から"
              f"「{labels.booking_status_label(new)}」に変更しました。")
        return redirect(url_for("booking_detail", ref=ref), code=303)

    @app.post("/export/bookings")
    def export_bookings():
        status = booking_status_arg(request.form.get("status"))
        audit("export_bookings", None, {"format": "csv", "status": status or "all",
                                        "requests": exports.count_bookings(db, status or None)})
        stamp = datetime.now(labels.JST).strftime("%Y%m%d-%H%M")
        resp = Response(stream_with_context(exports.bookings_csv(db, status or None, {})),
                        mimetype="text/csv; charset=utf-8")
        resp.headers["Content-Disposition"] = f'attachment; filename="bookings-{stamp}.csv"'
        return resp

    # -- exports ---------------------------------------------------------------------------
    @app.post("/export/conversations")
    def export_conversations():
        fmt = request.form.get("format", "csv")
        if fmt not in ("csv", "jsonl"):
            abort(400, description="書き出し形式は CSV か JSONL を選んでください。")
        f = queries.Filters.from_args(request.form)
        matching = queries.list_conversations(db, f, 1, page_size=1)
        audit("export_conversations", None, {"format": fmt, "filters": f.query_args(),
                                             "conversations": matching.total,
                                             "more_than": matching.capped or None})
        counter = {}
        stamp = datetime.now(labels.JST).strftime("%Y%m%d-%H%M")
        if fmt == "csv":
            body, mime = exports.conversations_csv(db, f, counter), "text/csv; charset=utf-8"
        else:
            body, mime = exports.conversations_jsonl(db, f, counter), "application/x-ndjson; charset=utf-8"
        resp = Response(stream_with_context(body), mimetype=mime)
        resp.headers["Content-Disposition"] = f'attachment; filename="conversations-{stamp}.{fmt}"'
        return resp

    @app.get("/corrections")
    def corrections_page():
        return render_template("corrections.html", rows=queries.list_corrections(db))

    @app.post("/corrections/delete")
    def correction_delete():
        try:
            cid = int(request.form.get("id", ""))
        except ValueError:
            abort(400)
        row = review.delete_correction(db, cid)
        if row:
            audit("delete_correction", row.sender_id, {"event_id": row.event_id, "intent": row.corrected_intent})
            flash("修正を取り消しました。")
        return redirect(url_for("corrections_page"), code=303)

    @app.post("/corrections/export")
    def corrections_export():
        rows = queries.list_corrections(db)
        audit("export_corrections", None, {"corrections": len(rows)})
        stamp = datetime.now(labels.JST).strftime("%Y%m%d-%H%M")
        resp = Response(exports.corrections_yaml(rows), mimetype="application/x-yaml; charset=utf-8")
        resp.headers["Content-Disposition"] = f'attachment; filename="nlu-corrections-{stamp}.yml"'
        return resp

    # -- admin -----------------------------------------------------------------------------
    @app.get("/audit")
    @admin_required
    def audit_page():
        try:
            page_no = max(1, int(request.args.get("page", "1")))
        except ValueError:
            page_no = 1
        user = request.args.get("user", "")[:64]
        action = request.args.get("action", "")[:40]
        rows, more = queries.audit_page(db, page_no, user, action)
        return render_template("audit.html", rows=rows, more=more, page=page_no, user=user, action=action)

    @app.get("/users")
    @admin_required
    def users_page():
        locked = {u.username: auth.locked_until(db, u.username) for u in auth.list_users(db)}
        return render_template("users.html", users=auth.list_users(db), locked=locked,
                               min_password=auth.MIN_PASSWORD)

    def _target_user() -> auth.User:
        try:
            user = auth.get_user(db, int(request.form.get("user_id", "")))
        except ValueError:
            user = None
        if user is None:
            abort(404, description="このユーザーは見つかりません。")
        return user

    @app.post("/users/create")
    @admin_required
    def user_create():
        username = request.form.get("username", "")
        try:
            if any(u.username.lower() == username.strip().lower() for u in auth.list_users(db)):
                raise auth.AccountError("そのユーザー名はすでに使われています")
            user, _ = auth.set_account(db, username, request.form.get("password", ""),
                                       request.form.get("admin") == "1")
        except auth.AccountError as exc:
            flash(str(exc), "error")
            return redirect(url_for("users_page"), code=303)
        audit("create_user", user.username, {"admin": user.is_admin})
        flash(f"ユーザー「{user.username}」を作成しました。")
        return redirect(url_for("users_page"), code=303)

    @app.post("/users/password")
    @admin_required
    def user_password():
        user = _target_user()
        try:
            auth.set_account(db, user.username, request.form.get("password", ""), None, reactivate=False)
        except auth.AccountError as exc:
            flash(str(exc), "error")
            return redirect(url_for("users_page"), code=303)
        audit("reset_password", user.username)
        flash(f"「{user.username}」のパスワードを変更しました（ログイン中の画面はログアウトされます）。")
        return redirect(url_for("users_page"), code=303)

    @app.post("/users/admin")
    @admin_required
    def user_admin():
        user = _target_user()
        value = request.form.get("value") == "1"
        if user.id == g.user.id and not value:
            flash("自分の管理者権限は外せません（ほかの管理者に依頼してください）。", "error")
        else:
            auth.update_user(db, user.id, is_admin=value)
            audit("set_admin", user.username, {"admin": value})
            flash(f"「{user.username}」を{'管理者に' if value else 'スタッフに'}しました。")
        return redirect(url_for("users_page"), code=303)

    @app.post("/users/active")
    @admin_required
    def user_active():
        user = _target_user()
        value = request.form.get("value") == "1"
        if user.id == g.user.id and not value:
            flash("自分のアカウントは無効にできません。", "error")
        else:
            auth.update_user(db, user.id, is_active=value)
            audit("set_active", user.username, {"active": value})
            flash(f"「{user.username}」を{'有効' if value else '無効'}にしました。")
        return redirect(url_for("users_page"), code=303)

    @app.post("/users/unlock")
    @admin_required
    def user_unlock():
        user = _target_user()
        auth.unlock(db, user.username)
        audit("unlock_user", user.username)
        flash(f"「{user.username}」のロックを解除しました。")
        return redirect(url_for("users_page"), code=303)

    return app
