"""Fixtures for the multi-server tests: the product's own Stack with two Rasa servers and one
action server, sharing a fresh PostgreSQL database (Rasa's SQL tracker store, created here
and dropped afterwards) and Redis (Rasa's lock store, under a key prefix of its own whose
keys are deleted afterwards), as deploy/README.md runs them behind a load balancer.

PostgreSQL is 127.0.0.1:5432 user postgres (PGHOST, PGPORT, PGUSER), Redis
redis://127.0.0.1:6379/0 (TEST_REDIS_URL). When either is unreachable these tests are
skipped locally and FAIL when CI=true."""

from __future__ import annotations

import json
import os
import threading
import uuid
from typing import Any, Dict, List, Tuple

import pytest

# the staff console tests' PostgreSQL check and admin connection (same server, same rules)
from tests.staff_console.conftest import IN_CI, fresh_postgres_database, postgres_available  # noqa: F401

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="session")
def redis_available() -> bool:
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


@pytest.fixture(scope="module")
def scale_database(postgres_available):
    """A fresh PostgreSQL database scale_test_<random>, dropped after the module."""
    with fresh_postgres_database("scale_test") as url:
        yield url


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

    def watch(self) -> "RedisKeys":
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


@pytest.fixture(scope="module")
def redis_keys(redis_available):
    """A key prefix of its own (letters and digits: what Rasa's lock store accepts); every
    key under it is deleted afterwards."""
    keys = RedisKeys(REDIS_URL, f"scaletest{uuid.uuid4().hex[:10]}")
    try:
        yield keys
    finally:
        keys.stop_watching()
        keys.delete_all()
        keys.client.close()


@pytest.fixture(scope="module")
def scale_stack(trained_model, tmp_path_factory, scale_database, redis_keys):
    """Action server + Rasa servers A and B on loopback; no web chat, no console."""
    from runner.stack import Stack, free_port

    env = {"DATABASE_URL": scale_database, "REDIS_URL": REDIS_URL,
           "REDIS_KEY_PREFIX": redis_keys.prefix}
    stack = Stack(trained_model, var_dir=tmp_path_factory.mktemp("scale"), env=env, rasa_servers=2,
                  ports={"rasa": free_port(), "rasa2": free_port(), "actions": free_port(),
                         "web": 0, "console": 0})
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()


class Transcripts:
    """Rasa's ``events`` table in the shared PostgreSQL database, read with SQLAlchemy."""

    def __init__(self, url: str) -> None:
        import sqlalchemy as sa

        self.sa = sa
        self.engine = sa.create_engine(url)

    def rows(self, sender: str) -> List[Tuple[str, Dict[str, Any]]]:
        with self.engine.connect() as conn:
            result = conn.execute(self.sa.text(
                "SELECT type_name, data FROM events WHERE sender_id = :s ORDER BY id"), {"s": sender})
            return [(t, json.loads(d)) for t, d in result]

    def user_texts(self, sender: str) -> List[str]:
        return [d["text"] for t, d in self.rows(sender) if t == "user"]

    def user_texts_by_sender(self, prefix: str) -> Dict[str, List[str]]:
        out: Dict[str, List[str]] = {}
        with self.engine.connect() as conn:
            result = conn.execute(self.sa.text(
                "SELECT sender_id, data FROM events WHERE type_name = 'user' AND sender_id LIKE :p "
                "ORDER BY id"), {"p": prefix + "%"})
            for sender, data in result:
                out.setdefault(sender, []).append(json.loads(data)["text"])
        return out


@pytest.fixture(scope="module")
def transcripts(scale_stack, scale_database):
    t = Transcripts(scale_database)
    yield t
    t.engine.dispose()
