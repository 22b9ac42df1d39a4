"""The console as the runner starts it: ``python -m staff_console --port N`` over real HTTP,
accounts made with ``python -m staff_console adduser`` (password on standard input), on
SQLite and PostgreSQL."""

from __future__ import annotations

import stat
import subprocess
import sys
import time

import pytest

from tests.staff_console import helpers
from tests.staff_console.helpers import HttpClient, session_start, user

pytestmark = pytest.mark.slow


def test_adduser_reads_the_password_from_stdin(tmp_path, database_url, make_console_user):
    out = make_console_user(database_url, tmp_path, "chief", "first-password-1", admin=True)
    assert "chief" in out.stdout and "作成" in out.stdout and "管理者" in out.stdout
    # running it again updates the password and keeps the role
    out = make_console_user(database_url, tmp_path, "chief", "second-password-2")
    assert "更新" in out.stdout and "管理者" in out.stdout
    short = subprocess.run([sys.executable, "-m", "staff_console", "adduser", "someone"], input="short\n",
                           capture_output=True, text=True, cwd=helpers.ROOT,
                           env=helpers.console_env(database_url, tmp_path), timeout=120)
    assert short.returncode == 2 and "10文字以上" in short.stderr
    bad_name = subprocess.run([sys.executable, "-m", "staff_console", "adduser", "名前 空白"], input="long-enough-pw\n",
                              capture_output=True, text=True, cwd=helpers.ROOT,
                              env=helpers.console_env(database_url, tmp_path), timeout=120)
    assert bad_name.returncode == 2 and "ユーザー名" in bad_name.stderr

    server = helpers.start_console(database_url, tmp_path)
    try:
        client = HttpClient(server.url)
        assert client.login("chief", "first-password-1")[0] == 401
        status, headers, _ = client.login("chief", "second-password-2")
        assert status == 303 and headers["Location"].endswith("/conversations")
        assert client.get("/users")[0] == 200        # still an admin
    finally:
        server.stop()


def test_staff_member_reads_a_conversation_over_http(tmp_path, database_url, domain):
    store = helpers.tracker_store(database_url, domain)
    now = time.time()
    helpers.save_events(store, "visitor-42", session_start(now) + [
        user("任意整理を断られました", "ask_settlement_refused", 0.93, channel="socketio", ts=now + 1)])
    store.engine.dispose()
    helpers.create_console_user(database_url, tmp_path, "staff", helpers.DEFAULT_PASSWORD)
    server = helpers.start_console(database_url, tmp_path)
    try:
        assert HttpClient(server.url).get("/healthz")[0] == 200
        anonymous = HttpClient(server.url)
        status, headers, _ = anonymous.get("/conversations/visitor-42")
        assert status == 302 and "/login" in headers["Location"]

        client = HttpClient(server.url)
        status, headers, _ = client.login("staff")
        assert status == 303
        cookie = headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
        # the background refresher folds the events within a few seconds
        deadline = time.monotonic() + 20
        while True:
            status, _, html = client.get("/conversations", q="断られ")
            if "visitor-42" in html or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert status == 200 and "/conversations/visitor-42" in html
        status, _, html = client.get("/conversations/visitor-42")
        assert status == 200 and "任意整理を断られました" in html and "ask_settlement_refused" in html

        # a script may log in with just the two form fields (interfaces.md)
        script = HttpClient(server.url)
        assert script.request("POST", "/login", {"username": "staff", "password": helpers.DEFAULT_PASSWORD})[0] == 303
        # but a form posted from another site is refused
        other = HttpClient(server.url)
        assert other.request("POST", "/login", {"username": "staff", "password": helpers.DEFAULT_PASSWORD},
                             headers={"Origin": "https://evil.example"})[0] == 403
    finally:
        server.stop()

    # the generated secret key is private and kept, so logins survive a restart
    secret = tmp_path / "console_secret"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    server = helpers.start_console(database_url, tmp_path)
    try:
        client.base = server.url      # a new port; cookies are per host, so the login is kept
        assert client.get("/conversations")[0] == 200
    finally:
        server.stop()
