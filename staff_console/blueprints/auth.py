"""Logging in and out, and the public endpoints (/healthz, /favicon.ico)."""

from __future__ import annotations

import secrets
import time

from flask import Blueprint, Response, flash, g, redirect, render_template, request, session, url_for

from staff_console import auth, labels
from staff_console.blueprints.common import audit, client_ip, database, safe_next, settings

bp = Blueprint("auth", __name__)


@bp.get("/healthz")
def healthz():
    with database().read() as conn:
        conn.exec_driver_sql("SELECT 1")
    return Response("ok\n", mimetype="text/plain")


@bp.get("/favicon.ico")
def favicon():
    return Response(status=204)


@bp.get("/login")
def login():
    if g.user is not None:
        return redirect(safe_next(request.args.get("next")))
    return render_template("login.html", next=request.args.get("next", ""),
                           no_users=auth.count_users(database()) == 0)


@bp.post("/login")
def login_post():
    db = database()
    username = (request.form.get("username") or "").strip()[:64]
    password = request.form.get("password") or ""
    nxt = request.form.get("next") or request.args.get("next")
    result = auth.authenticate(db, settings(), username, password)
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


@bp.post("/logout")
def logout():
    auth.end_session(database(), session.get("t", ""))
    audit("logout", g.user.username)
    session.clear()
    flash("ログアウトしました。")
    return redirect(url_for("auth.login"), code=303)
