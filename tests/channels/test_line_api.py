"""LineApi (channels/line_api.py) over real loopback HTTP against the fake LINE server:
LINE's retry rules, the retry key, errors. And event-id de-duplication in a real Redis."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid

import pytest

from channels.line_api import LineApi, LineApiError
from channels.line_dedup import RecentEventIds, RedisEventIds
from tests.support.fake_line import PUSH, REPLY, FakeLine

pytestmark = pytest.mark.slow
TOKEN = "api-test-access-token"
TEXT = [{"type": "text", "text": "ご相談ありがとうございます。"}]


@pytest.fixture
def fake():
    with FakeLine(TOKEN) as server:
        yield server


def api_for(fake, token=TOKEN):
    return LineApi(token, fake.url + "/", attempts=3, backoff=0.05)


async def test_reply_sends_token_messages_and_bearer(fake):
    api = api_for(fake)
    await api.reply("rt-ok", TEXT)
    await api.close()
    (call,) = fake.snapshot()
    assert (call.path, call.status, call.reply_token, call.messages) == (REPLY, 200, "rt-ok", TEXT)
    assert call.headers["Authorization"] == f"Bearer {TOKEN}"
    assert call.headers["Content-Type"].startswith("application/json")


async def test_used_reply_token_is_reported_as_invalid(fake):
    api = api_for(fake)
    await api.reply("rt-once", TEXT)
    with pytest.raises(LineApiError) as err:
        await api.reply("rt-once", TEXT)
    await api.close()
    assert err.value.status == 400 and err.value.invalid_reply_token
    assert [c.status for c in fake.snapshot()] == [200, 400]  # 400 is not retried


async def test_5xx_is_retried_then_succeeds(fake):
    fake.fail_next(REPLY, 500)
    api = api_for(fake)
    await api.reply("rt-flaky", TEXT)
    await api.close()
    assert [(c.reply_token, c.status) for c in fake.snapshot()] == [("rt-flaky", 500), ("rt-flaky", 200)]


async def test_push_429_retried_with_the_same_retry_key(fake):
    fake.fail_next(PUSH, 429)
    api = api_for(fake)
    await api.push("Uuser", TEXT)
    await api.close()
    first, second = fake.snapshot()
    assert (first.status, second.status) == (429, 200)
    assert first.headers["X-Line-Retry-Key"] == second.headers["X-Line-Retry-Key"]
    uuid.UUID(first.headers["X-Line-Retry-Key"])  # LINE wants a UUID
    assert second.to == "Uuser"


async def test_push_accepted_but_answer_lost_is_not_sent_twice(fake):
    fake.fail_next(PUSH, 500, accept=True)  # LINE took it, the 200 never arrived
    api = api_for(fake)
    await api.push("Uuser", TEXT)  # the retry gets 409: already accepted -> success
    await api.close()
    assert [c.status for c in fake.snapshot()] == [500, 409]


async def test_persistent_5xx_gives_up_after_the_attempts(fake):
    fake.fail_next(REPLY, 503, times=5)
    api = api_for(fake)
    with pytest.raises(LineApiError) as err:
        await api.reply("rt-down", TEXT)
    await api.close()
    assert err.value.status == 503 and len(fake.snapshot()) == 3


async def test_wrong_access_token_is_401_not_retried(fake):
    api = api_for(fake, token="wrong")
    with pytest.raises(LineApiError) as err:
        await api.push("Uuser", TEXT)
    await api.close()
    assert err.value.status == 401 and len(fake.snapshot()) == 1


async def test_unreachable_server_is_an_error_after_retries():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    api = LineApi(TOKEN, f"http://127.0.0.1:{port}", attempts=2, backoff=0.01)
    with pytest.raises(LineApiError) as err:
        await api.reply("rt", TEXT)
    await api.close()
    assert err.value.status is None


# -- de-duplication -----------------------------------------------------------------------
async def test_memory_ids_are_bounded():
    ids = RecentEventIds(capacity=3)
    assert [await ids.first_time(i) for i in "abca"] == [True, True, True, False]
    assert await ids.first_time("d") and len(ids) == 3
    assert await ids.first_time("b")  # the oldest one ("b") was forgotten


@pytest.fixture
def redis_url(tmp_path):
    server = shutil.which("redis-server")
    if server is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("redis-server is needed for the Redis de-duplication test")
        pytest.skip("redis-server not installed")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(tmp_path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(10)


async def test_redis_ids_shared_between_instances_with_expiry(redis_url):
    prefix = f"line:test-{uuid.uuid4().hex[:8]}:"
    one = RedisEventIds(redis_url, prefix=prefix, ttl_seconds=60)
    two = RedisEventIds(redis_url, prefix=prefix, ttl_seconds=60)  # another Rasa instance
    assert await one.first_time("01HEVT")
    assert not await two.first_time("01HEVT")
    client = one._get_client()
    ttl = await client.ttl(prefix + "01HEVT")
    assert 0 < ttl <= 60
    keys = [k async for k in client.scan_iter(match=prefix + "*")]
    assert keys == [(prefix + "01HEVT").encode()]
    await client.delete(*keys)
    await one.close()
    await two.close()


async def test_redis_down_falls_back_to_memory():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ids = RedisEventIds(f"redis://127.0.0.1:{port}/0")
    assert await ids.first_time("x") and not await ids.first_time("x")
    await ids.close()
