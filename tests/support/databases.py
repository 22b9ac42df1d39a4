"""PostgreSQL and Redis for the tests that need real servers (staff console, multi-server).

PostgreSQL is 127.0.0.1:5432 user postgres (PGHOST, PGPORT, PGUSER), Redis
redis://127.0.0.1:6379/0 (TEST_REDIS_URL). ``require_postgres``/``require_redis`` skip the
test when the server is unreachable locally and FAIL it when CI=true."""

from __future__ import annotations

import contextlib
import os
import threading
import uuid
from typing import Iterator, List

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"
PG_HOST = os.environ.get("PGHOST", "127.0.0.1")
PG_PORT = int(os.environ.get("PGPORT", "5432"))
PG_USER = os.environ.get("PGUSER", "postgres")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _pg_admin():
    import sqlalchemy as sa

    return sa.create_engine(f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/postgres", isolation_level="AUTOCOMMIT",
                            connect_args={"connect_timeout": 5})


def require_postgres() -> bool:
    import sqlalchemy as sa

    try:
        engine = _pg_admin()
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
        return True
    except Exception as exc:  # noqa: BLE001 - any reason PostgreSQL cannot be used
        msg = f"PostgreSQL at {PG_HOST}:{PG_PORT} (user {PG_USER}) is not reachable: {exc}"
        if IN_CI:
            pytest.fail(msg + " — CI must run the PostgreSQL tests")
        pytest.skip(msg)


@contextlib.contextmanager
def fresh_postgres_database(prefix: str) -> Iterator[str]:
    """A new PostgreSQL database ``<prefix>_<random>`` (its URL), dropped afterwards even
    when connections to it are still open."""
    import sqlalchemy as sa

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = _pg_admin()
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def require_redis() -> bool:
    import redis

    try:
        client = redis.Redis.from_url(REDIS_URL, socket_timeout=5, socket_connect_timeout=5)
        client.ping()
        client.close()
        return True
    except Exception as exc:  # noqa: BLE001 - any reason Redis cannot be used
        msg = f"Redis at {REDIS_URL} is not reachable: {exc}"
        if IN_CI:
            pytest.fail(msg + " — CI must run the multi-server tests")
        pytest.skip(msg)


class RedisKeys:
    """The lock store's keys under one prefix; ``watch()`` samples them in the background
    (Rasa holds a conversation's lock only while it handles a message)."""

    def __init__(self, url: str, prefix: str) -> None:
        import redis

        self.prefix = prefix
        self.client = redis.Redis.from_url(url)
        self.seen: set = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def keys(self) -> List[str]:
        return sorted(k.decode() for k in self.client.scan_iter(match=f"{self.prefix}:*", count=1000))

    def watch(self) -> RedisKeys:
        def loop() -> None:
            while not self._stop.is_set():
                self.seen.update(self.keys())
                self._stop.wait(0.02)

        self._stop.clear()
        self._thread = threading.Thread(target=loop, daemon=True)
        self._thread.start()
        return self

    def stop_watching(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(5)

    def delete_all(self) -> None:
        keys = list(self.client.scan_iter(match=f"{self.prefix}:*", count=1000))
        if keys:
            self.client.delete(*keys)
