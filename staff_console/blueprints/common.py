"""What the console's blueprints share: the application's database and settings, the audit
log, CSRF, the login every page but the public ones needs, and the security headers.

The security model these implement is described in staff_console/app.py.
"""

from __future__ import annotations

import hmac
import re
import secrets
import time
from functools import wraps
from typing import List, Optional
from urllib.parse import urlparse

from flask import Response, abort, current_app, g, redirect, request, session, url_for

from booking import store as bookings
from staff_console import auth, queries, review
from staff_console.config import Settings
from staff_console.db import Database
from staff_console.summary import Refresher

SAFE_NEXT = re.compile(r"/(?:[^/\\\s\x00-\x1f\x7f][^\\\s\x00-\x1f\x7f]*)?")
PUBLIC_ENDPOINTS = {"auth.login", "auth.login_post", "auth.healthz", "static", "auth.favicon"}
CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'none'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


# -- the application's parts (app.extensions["console"], set by create_app) ----------------
def database() -> Database:
    return current_app.extensions["console"]["db"]


def settings() -> Settings:
    return current_app.extensions["console"]["settings"]


def refresher() -> Refresher:
    return current_app.extensions["console"]["refresher"]


def intents() -> List[str]:
    """The intents a correction may choose (staff_console.app.domain_intents)."""
    return current_app.extensions["console"]["intents"]


# -- helpers --------------------------------------------------------------------------------
def client_ip() -> str:
    return request.remote_addr or ""


def audit(action: str, target: Optional[str] = None, detail=None, username: Optional[str] = None) -> None:
    user = username if username is not None else (g.user.username if g.get("user") else None)
    review.log(database(), user, action, target, detail, client_ip())


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
    r = refresher()
    if r.behind and r.background is not None:
        return  # the background refresher is catching up; the page says so
    if time.time() - r.last_run > 1.0:
        r.refresh(max_batches=2, wait=wait)


def safe_next(value: Optional[str]) -> str:
    """Only a path on this site (no scheme, host, backslash, white space or control
    characters, which browsers may strip into "//other.site")."""
    if value and SAFE_NEXT.fullmatch(value):
        return value
    return url_for("conversations.conversation_list")


def admin_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not g.user.is_admin:
            abort(403)
        return view(*args, **kwargs)
    return wrapped


# -- every request ----------------------------------------------------------------------------
def load_user():
    """Before every request: the logged-in user, the CSRF check of a POST, the login redirect."""
    db = database()
    g.user = auth.session_user(db, settings(), session.get("t", "")) if session.get("t") else None
    if request.method == "POST":
        if foreign_origin():
            abort(403, description="別のサイトから送信されたフォームは受け付けません。")
        sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
        expected = session.get("csrf") or ""
        lenient_login = request.endpoint == "auth.login_post" and not sent
        if not lenient_login and not (sent and expected and hmac.compare_digest(sent, expected)):
            abort(400, description="フォームの有効期限が切れました。ページを読み込み直してから、もう一度操作してください。")
    if g.user is None and request.endpoint not in PUBLIC_ENDPOINTS:
        session.pop("t", None)
        target = request.full_path.rstrip("?") if request.method == "GET" else ""
        if target in ("", "/"):
            return redirect(url_for("auth.login"))
        return redirect(url_for("auth.login", next=target))
    if g.user is not None:
        g.queue_size = queries.queue_size(db)
        g.bookings_new = bookings.counts(db)["new"]
    return None


def security_headers(resp: Response) -> Response:
    """After every request."""
    resp.headers.setdefault("Content-Security-Policy", CSP)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["X-Frame-Options"] = "DENY"
    resp.headers["Referrer-Policy"] = "same-origin"
    if request.endpoint != "static":
        resp.headers["Cache-Control"] = "no-store"
    if request.is_secure:
        resp.headers["Strict-Transport-Security"] = "max-age=31536000"
    return resp
