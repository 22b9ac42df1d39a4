"""runner.lock_store.AtomicRedisLockStore on a real Redis, with one store (one connection)
per simulated Rasa server: simultaneous tickets are unique, two servers never handle the
same conversation at once, and a finishing server never drops a ticket issued meanwhile.
Keys live under a prefix of their own, deleted afterwards; Redis unreachable: skipped
locally, FAILS when CI=true (tests/scale/conftest.py)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from typing import List

import pytest

from tests.support.databases import REDIS_URL, RedisKeys


@pytest.fixture
def servers(redis_available):
    """make(n): n lock stores as n Rasa servers would build them, sharing one prefix."""
    from urllib.parse import urlparse

    from runner.lock_store import AtomicRedisLockStore

    keys = RedisKeys(REDIS_URL, f"locktest{uuid.uuid4().hex[:10]}")
    u = urlparse(REDIS_URL)
    made: List[AtomicRedisLockStore] = []

    def make(n: int) -> List[AtomicRedisLockStore]:
        made.extend(AtomicRedisLockStore(host=u.hostname, port=u.port or 6379,
                                         db=int(u.path.strip("/") or 0), key_prefix=keys.prefix)
                    for _ in range(n))
        return made[-n:]

    make.keys = keys
    try:
        yield make
    finally:
        keys.delete_all()
        keys.client.close()
        for store in made:
            store.red.close()


def at_once(functions) -> list:
    """Run the functions in threads released together; their results in order."""
    results: list = [None] * len(functions)
    errors: list = []
    gate = threading.Barrier(len(functions))

    def run(i, fn):
        gate.wait()
        try:
            results[i] = fn()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(functions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    return results


def stored_tickets(keys: RedisKeys, conversation: str) -> List[int]:
    raw = keys.client.get(f"{keys.prefix}:lock:{conversation}")
    return sorted(json.loads(t)["number"] for t in json.loads(raw)["tickets"]) if raw else []


def test_simultaneous_tickets_are_unique_and_all_kept(servers):
    stores = servers(8)
    for round_ in range(25):
        conversation = f"c{round_}"
        numbers = at_once([lambda s=s: s.issue_ticket(conversation) for s in stores])
        assert len(set(numbers)) == len(stores), numbers
        assert stored_tickets(servers.keys, conversation) == sorted(numbers)


def test_finishing_never_drops_a_ticket_issued_meanwhile(servers):
    a, b = servers(2)
    for round_ in range(40):
        conversation = f"c{round_}"
        mine = a.issue_ticket(conversation)
        _, theirs = at_once([lambda: a.cleanup(conversation, mine),
                             lambda: b.issue_ticket(conversation)])
        assert stored_tickets(servers.keys, conversation) == [theirs]
        b.cleanup(conversation, theirs)
        assert stored_tickets(servers.keys, conversation) == []
    assert servers.keys.keys() == []


def test_two_servers_never_handle_one_conversation_at_once(servers):
    """Rasa's own ``async with lock_store.lock(id)`` (what Agent.handle_message does) on two
    servers, each message taking 30 ms: the handling periods never overlap."""
    stores = servers(2)
    periods: List[tuple] = []

    def server(store) -> None:
        async def handle(conversation: str) -> None:
            async with store.lock(conversation, wait_time_in_seconds=0.01):
                start = time.monotonic()
                await asyncio.sleep(0.03)
                periods.append((conversation, start, time.monotonic()))

        async def main() -> None:
            for i in range(15):
                await handle(f"c{i}")

        asyncio.run(main())

    at_once([lambda s=s: server(s) for s in stores])
    assert len(periods) == 30
    for i in range(15):
        (_, _, first_end), (_, second_start, _) = sorted(
            (p for p in periods if p[0] == f"c{i}"), key=lambda p: p[1])
        assert first_end <= second_start, f"conversation c{i} handled by both servers at once"
    assert servers.keys.keys() == [], "locks left behind"
