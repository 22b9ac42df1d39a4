"""Fixtures for the staff console tests.

``database_url`` runs a test on SQLite (a temporary file) and on PostgreSQL (a database of
its own on 127.0.0.1:5432, user postgres, created here and dropped afterwards; when
PostgreSQL is not reachable the PostgreSQL half is skipped locally and FAILS when CI=true).
``console`` is the Flask application on that database with Rasa's SQLTrackerStore to write
conversations into it; ``make_console_user`` creates an account with the real
``python -m staff_console adduser`` command (usable from any test package).
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Dict, Iterable, Optional

import pytest

from tests.staff_console import helpers

SECRET = "test-secret-key-0123456789abcdef"


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch):
    """In-process tests hash with argon2's cheapest parameters (a login costs milliseconds,
    not a quarter second); servers started as subprocesses keep the real ones."""
    from argon2 import PasswordHasher
    from argon2.profiles import CHEAPEST

    from staff_console import auth

    cheap = PasswordHasher.from_parameters(CHEAPEST)
    monkeypatch.setattr(auth, "hasher", cheap)
    monkeypatch.setattr(auth, "_DUMMY_HASH", cheap.hash("dummy-password"))


@pytest.fixture(scope="session")
def domain():
    return helpers.rasa_domain()


class Console:
    """The console application on one database, plus Rasa's tracker store writing into it."""

    def __init__(self, database_url: str, var_dir: Path, domain) -> None:
        from staff_console.app import create_app
        from staff_console.config import load_settings

        self.database_url = database_url
        self.var_dir = var_dir
        self.store = helpers.tracker_store(database_url, domain)
        self.settings = load_settings(database_url=database_url, var_dir=var_dir, secret_key=SECRET)
        self.app = create_app(self.settings)
        self.app.testing = True
        ext = self.app.extensions["console"]
        self.db = ext["db"]
        self.refresher = ext["refresher"]
        self.clock = time.time() - 3600

    def tick(self, seconds: float = 1.0) -> float:
        self.clock += seconds
        return self.clock

    def add(self, sender_id: str, events: Iterable) -> None:
        helpers.save_events(self.store, sender_id, events)

    def refresh(self) -> None:
        self.refresher.catch_up()

    def user(self, username: str, password: str = helpers.DEFAULT_PASSWORD, admin: bool = False):
        from staff_console import auth

        return auth.set_account(self.db, username, password, admin)[0]

    def client(self, username: Optional[str] = None, password: str = helpers.DEFAULT_PASSWORD, admin: bool = False):
        client = self.app.test_client()
        if username:
            self.user(username, password, admin)
            resp = login(client, username, password)
            assert resp.status_code == 303, resp.get_data(as_text=True)[:500]
        return client

    def close(self) -> None:
        self.db.dispose()
        self.store.engine.dispose()


def csrf_of(client, path: str = "/login") -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client, username: str, password: str = helpers.DEFAULT_PASSWORD):
    return client.post("/login", data={"username": username, "password": password, "csrf_token": csrf_of(client)})


def post(client, path: str, data: Dict[str, str], page: str = "/conversations"):
    """A POST as the browser sends it: with the session's CSRF token from a page's form."""
    return client.post(path, data={**data, "csrf_token": csrf_of(client, page)})


@pytest.fixture
def console(database_url, tmp_path, domain):
    c = Console(database_url, tmp_path, domain)
    yield c
    c.close()


@pytest.fixture
def sqlite_console(tmp_path, domain):
    c = Console(f"sqlite:///{tmp_path / 'rasa.db'}", tmp_path, domain)
    yield c
    c.close()


@pytest.fixture
def make_console_user():
    """make_console_user(database_url, var_dir, "name", password=..., admin=False): an account made
    with ``python -m staff_console adduser`` (the password goes to standard input)."""
    return helpers.create_console_user
