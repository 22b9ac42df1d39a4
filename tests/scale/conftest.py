"""Fixtures for the multi-server tests: the product's own Stack with two Rasa servers and one
action server, sharing a fresh PostgreSQL database (Rasa's SQL tracker store, created here
and dropped afterwards) and Redis (Rasa's lock store, under a key prefix of its own whose
keys are deleted afterwards), as deploy/README.md runs them behind a load balancer.

PostgreSQL is 127.0.0.1:5432 user postgres (PGHOST, PGPORT, PGUSER), Redis
redis://127.0.0.1:6379/0 (TEST_REDIS_URL). When either is unreachable these tests are
skipped locally and FAIL when CI=true."""

from __future__ import annotations

import json
import uuid
from typing import Any, Dict, List, Tuple

import pytest

# the same PostgreSQL server as the staff console tests, same rules (tests/support/databases.py)
from tests.support.databases import REDIS_URL, RedisKeys, fresh_postgres_database
from tests.support.stack import start_stack


@pytest.fixture(scope="module")
def scale_database(postgres_available):
    """A fresh PostgreSQL database scale_test_<random>, dropped after the module."""
    with fresh_postgres_database("scale_test") as url:
        yield url


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
    env = {"DATABASE_URL": scale_database, "REDIS_URL": REDIS_URL,
           "REDIS_KEY_PREFIX": redis_keys.prefix}
    with start_stack(trained_model, tmp_path_factory.mktemp("scale"), env=env, rasa_servers=2) as stack:
        yield stack


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
