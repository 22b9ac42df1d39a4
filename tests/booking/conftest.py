"""Fixtures for the booking store tests: a fresh database on SQLite (a temporary file) and
on PostgreSQL (a database of its own, dropped afterwards), the same fixtures the console
tests use (tests/staff_console/conftest.py: skipped locally without PostgreSQL, failing in CI)."""

from __future__ import annotations

import pytest

from tests.support.databases import fresh_postgres_database


@pytest.fixture
def postgres_url(postgres_available):
    with fresh_postgres_database("booking_test") as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'rasa.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def fresh_store(monkeypatch):
    """booking.store with no database opened yet in this process (and the one a test opens
    closed afterwards)."""
    from booking import store

    monkeypatch.setattr(store, "_db", None)
    yield store
    if store._db is not None:
        store._db.dispose()
