"""The staff console: a Flask application (Jinja2 autoescaping), served by waitress.

The routes are Flask blueprints by area (staff_console/blueprints/: auth, conversations,
review, bookings, admin, exports); what every request goes through (login, CSRF, headers)
is staff_console/blueprints/common.py. ``create_app`` wires them together.

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

import logging
from pathlib import Path
from typing import Optional

import yaml
from flask import Flask, render_template, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

from staff_console import labels
from staff_console.blueprints import admin, auth, bookings, conversations, exports, review
from staff_console.blueprints.common import csrf_token, load_user, security_headers
from staff_console.config import ROOT, Settings, load_settings
from staff_console.db import Database
from staff_console.migrate import upgrade
from staff_console.summary import Refresher

log = logging.getLogger("staff_console")
HERE = Path(__file__).resolve().parent
BLUEPRINTS = (auth.bp, conversations.bp, review.bp, bookings.bp, admin.bp, exports.bp)
ERROR_TITLES = {400: "操作を受け付けられませんでした", 403: "この操作はできません", 404: "ページが見つかりません",
                405: "この操作はできません", 413: "送信内容が大きすぎます", 500: "エラーが発生しました"}


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


def error_page(err):
    return render_template("error.html", code=err.code, title=ERROR_TITLES.get(err.code, "エラー"),
                           message=err.description if isinstance(err.description, str)
                           and not err.description.startswith("The ") else None), err.code


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
    app.extensions["console"] = {"db": db, "settings": settings, "refresher": Refresher(db),
                                 "intents": domain_intents()}

    app.jinja_env.globals.update(csrf_token=csrf_token, labels=labels, jst=labels.jst,
                                 jst_seconds=labels.jst_seconds)
    app.jinja_env.filters["pct"] = lambda v: "—" if v is None else f"{float(v) * 100:.0f}%"
    app.jinja_env.filters["conf"] = lambda v: "—" if v is None else f"{float(v):.2f}"

    app.before_request(load_user)          # login, CSRF
    app.after_request(security_headers)    # CSP, nosniff, frame, referrer, no-store, HSTS
    for code in ERROR_TITLES:
        app.register_error_handler(code, error_page)
    for bp in BLUEPRINTS:
        app.register_blueprint(bp)
    return app
