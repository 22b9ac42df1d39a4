"""The suite's shared fixtures and helpers, loaded as a pytest plugin
(``pytest_plugins = ["tests.support"]`` in tests/conftest.py).

Test modules import helpers from here (``from tests.support.line import sign``), never
from another folder's conftest.py. The modules:

- stack: ``make_stack``/``start_stack``, the product's Stack on free ports (LINE, web chat,
  console, several Rasa servers as asked); stopping and restarting one service.
- clients: RestClient, raw REST posts, SocketVisitor, reading buttons and answers.
- line: LINE test secrets, signed events, LineWebhook. fake_line: the fake LINE API.
- trackers: the SQLite ``events`` table of a stack.
- databases: PostgreSQL and Redis (skipped locally, required in CI).
- browser: Debian's Chromium for Playwright.

Fixtures (available to every test): ``trained_model``, ``bot`` (a REST-only stack for the
session), ``visitor``, ``chromium_path``, ``postgres_available``, ``redis_available``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.browser import ensure_chromium
from tests.support.clients import RestClient
from tests.support.databases import IN_CI, fresh_postgres_database, require_postgres, require_redis
from tests.support.stack import start_stack

__all__ = ["IN_CI"]


@pytest.fixture(scope="session")
def trained_model() -> Path:
    """The same fingerprinted model ``make run`` uses (models/<hash>.tar.gz), trained once
    if the data changed. TEST_MODEL=path reuses a given model while developing; CI never
    sets it."""
    from runner.model import ensure_model

    if os.environ.get("TEST_MODEL") and not IN_CI:
        return Path(os.environ["TEST_MODEL"])
    return ensure_model()


@pytest.fixture(scope="session")
def bot(trained_model, tmp_path_factory):
    """The real action server and Rasa server on free loopback ports with their own SQLite
    store (web widget and console are started by their own fixtures)."""
    with start_stack(trained_model, tmp_path_factory.mktemp("var")) as stack:
        yield stack


@pytest.fixture
def visitor(bot):
    return RestClient(bot.rasa_url)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    return ensure_chromium()


@pytest.fixture(scope="session")
def postgres_available() -> bool:
    return require_postgres()


@pytest.fixture(scope="session")
def redis_available() -> bool:
    return require_redis()


@pytest.fixture
def postgres_url(request, postgres_available):
    """A fresh PostgreSQL database <package>_test_<random> (console_test_…, booking_test_…),
    dropped after the test."""
    package = request.node.path.parent.name.replace("staff_console", "console")
    with fresh_postgres_database(f"{package}_test") as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """Each test once on a temporary SQLite file and once on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'rasa.db'}"
    return request.getfixturevalue("postgres_url")
