"""Fixtures for the booking store tests: a fresh database on SQLite (a temporary file) and
on PostgreSQL (a database of its own, dropped afterwards), the same fixtures the console
tests use (tests/staff_console/conftest.py: skipped locally without PostgreSQL, failing in CI)."""

from __future__ import annotations

import pytest


@pytest.fixture
def fresh_store(monkeypatch):
    """booking.store with no database opened yet in this process (and the one a test opens
    closed afterwards)."""
    from booking import store

    monkeypatch.setattr(store, "_db", None)
    yield store
    if store._db is not None:
        store._db.dispose()
