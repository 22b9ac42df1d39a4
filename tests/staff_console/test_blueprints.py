"""The console's routes by area (staff_console/blueprints/): which blueprint serves each URL,
and that every route of every blueprint is behind the login, the CSRF check and the
security headers that staff_console/app.py wires in for all of them."""

from __future__ import annotations

from tests.staff_console.conftest import csrf_of

AREAS = {
    "auth": {"GET /login", "POST /login", "POST /logout", "GET /healthz", "GET /favicon.ico"},
    "conversations": {"GET /", "GET /conversations", "GET /conversations/<path:sender_id>", "GET /queue",
                      "GET /dashboard"},
    "review": {"POST /review/reviewed", "POST /review/handled", "POST /review/tags/add", "POST /review/tags/remove",
               "POST /review/notes", "POST /review/correct", "GET /corrections", "POST /corrections/delete"},
    "bookings": {"GET /bookings", "GET /bookings/<ref>", "POST /bookings/<ref>/status"},
    "admin": {"GET /audit", "GET /users", "POST /users/create", "POST /users/password", "POST /users/admin",
              "POST /users/active", "POST /users/unlock"},
    "exports": {"POST /export/conversations", "POST /export/bookings", "POST /corrections/export"},
}
PUBLIC = {"GET /login", "POST /login", "GET /healthz", "GET /favicon.ico"}


def routes(app):
    out = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            out[f"{method} {rule.rule}"] = rule
    return out


def test_each_area_is_one_blueprint(sqlite_console):
    found = {}
    for key, rule in routes(sqlite_console.app).items():
        found.setdefault(rule.endpoint.split(".")[0], set()).add(key)
    assert found == AREAS


def test_every_route_but_the_public_ones_needs_a_login_and_gets_the_headers(sqlite_console):
    client = sqlite_console.client()
    token = csrf_of(client)
    for key in sorted(set().union(*AREAS.values()) - PUBLIC):
        method, rule = key.split(" ", 1)
        path = rule.replace("<path:sender_id>", "someone").replace("<ref>", "BABCDEFG")
        resp = client.open(path, method=method, data={"csrf_token": token} if method == "POST" else None)
        assert resp.status_code == 302 and resp.headers["Location"].startswith("/login"), key
        assert "script-src 'none'" in resp.headers["Content-Security-Policy"], key
        assert resp.headers["X-Frame-Options"] == "DENY" and resp.headers["Cache-Control"] == "no-store", key
        if method == "POST":   # and no form is taken without the session's token
            assert client.open(path, method="POST", data={}).status_code == 400, key
