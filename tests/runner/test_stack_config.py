"""runner.stack without starting anything: how many Rasa servers a Stack starts, on which
ports, and the run-time endpoints they share (tracker store, Redis lock store and its key
prefix as Rasa itself reads it)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from runner.stack import Stack, StartupError

MODEL = Path("models/any.tar.gz")   # never loaded: nothing is started here
SHARED = {"DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/debt",
          "REDIS_URL": "redis://127.0.0.1:6379/0"}
PORTS = {"rasa": 15005, "actions": 15055, "web": 0, "console": 0}


def make(tmp_path, env=None, **kw) -> Stack:
    base = {"DATABASE_URL": "", "REDIS_URL": "", "REDIS_KEY_PREFIX": "", "RASA_SERVERS": ""}
    return Stack(MODEL, ports=kw.pop("ports", PORTS), var_dir=tmp_path, env={**base, **(env or {})}, **kw)


def endpoints(stack: Stack) -> dict:
    stack.write_runtime_files()
    return yaml.safe_load((stack.runtime / "endpoints.yml").read_text(encoding="utf-8"))


def test_default_is_one_rasa_server_as_before(tmp_path):
    stack = make(tmp_path)
    assert [s.name for s in stack.services] == ["actions", "rasa"]
    assert stack.rasa_ports == [15005] and stack.rasa_urls == [stack.rasa_url]
    assert stack.ports == {"rasa": 15005, "actions": 15055}
    assert "lock_store" not in endpoints(stack)


def test_two_rasa_servers_share_action_server_and_endpoints(tmp_path):
    stack = make(tmp_path, SHARED, rasa_servers=2)
    rasa = [s for s in stack.services if s.name.startswith("rasa")]
    assert [s.name for s in stack.services] == ["actions", "rasa", "rasa2"]
    assert [s.port for s in rasa] == [15005, 15006] == stack.rasa_ports
    assert stack.rasa_urls == ["http://127.0.0.1:15005", "http://127.0.0.1:15006"]
    for svc in rasa:
        cmd = svc.cmd
        assert cmd[cmd.index("--port") + 1] == str(svc.port)
        assert cmd[cmd.index("--endpoints") + 1] == str(stack.runtime / "endpoints.yml")
        assert f"--auth-token={stack.auth_token}" in cmd
    assert len({s.label for s in stack.services}) == 3          # the operator can tell them apart
    ep = endpoints(stack)
    assert ep["action_endpoint"]["url"] == "http://127.0.0.1:15055/webhook"
    assert ep["tracker_store"]["db"] == "debt" and ep["lock_store"]["type"] == "runner.lock_store.AtomicRedisLockStore"


def test_extra_rasa_ports_and_env_count(tmp_path):
    stack = make(tmp_path, {**SHARED, "RASA_SERVERS": "3"}, ports={**PORTS, "rasa3": 17000})
    assert stack.rasa_ports == [15005, 15006, 17000]
    assert [s.name for s in stack.services if s.name.startswith("rasa")] == ["rasa", "rasa2", "rasa3"]


@pytest.mark.parametrize("env", [{}, {"DATABASE_URL": SHARED["DATABASE_URL"]}, {"REDIS_URL": SHARED["REDIS_URL"]}])
def test_several_rasa_servers_need_shared_database_and_redis(tmp_path, env):
    with pytest.raises(StartupError, match="DATABASE_URL.*REDIS_URL"):
        make(tmp_path, env, rasa_servers=2)


@pytest.mark.parametrize("count", ["0", "x", "17"])
def test_bad_rasa_servers_is_refused_in_one_line(tmp_path, count):
    with pytest.raises(StartupError, match="RASA_SERVERS"):
        make(tmp_path, {**SHARED, "RASA_SERVERS": count})


def rasa_lock_store(stack: Stack):
    """The lock store Rasa builds from the written endpoints.yml (no Redis connection yet)."""
    from rasa.core.lock_store import LockStore
    from rasa.utils.endpoints import read_endpoint_config

    stack.write_runtime_files()
    return LockStore.create(read_endpoint_config(str(stack.runtime / "endpoints.yml"), "lock_store"))


def test_lock_store_is_the_atomic_one_with_the_default_prefix(tmp_path):
    from runner.lock_store import AtomicRedisLockStore

    store = rasa_lock_store(make(tmp_path, SHARED))
    assert isinstance(store, AtomicRedisLockStore)
    assert store.key_prefix == "debtassistant:lock:"
    kw = store.red.connection_pool.connection_kwargs
    assert (kw["host"], kw["port"], kw["db"]) == ("127.0.0.1", 6379, 0)


def test_redis_key_prefix_from_env(tmp_path):
    stack = make(tmp_path, {**SHARED, "REDIS_KEY_PREFIX": "staging2"}, rasa_servers=2)
    assert endpoints(stack)["lock_store"]["key_prefix"] == "staging2"
    assert rasa_lock_store(stack).key_prefix == "staging2:lock:"


@pytest.mark.parametrize("prefix", ["debt_assistant", "a:b", "a b", "x-y"])
def test_prefix_rasa_would_ignore_is_refused(tmp_path, prefix):
    # Rasa silently drops a prefix that is not letters and digits and shares bare "lock:" keys
    with pytest.raises(StartupError, match="REDIS_KEY_PREFIX"):
        make(tmp_path, {**SHARED, "REDIS_KEY_PREFIX": prefix})


def test_action_server_keeps_idle_connections_longer_than_rasa_reuses_them(tmp_path):
    # Rasa's aiohttp client reuses an idle connection for up to 15 s; Sanic's default 5 s
    # made requests fail under load (tests/scale)
    stack = make(tmp_path)
    actions = next(s for s in stack.services if s.name == "actions")
    assert int(actions.env["SANIC_KEEP_ALIVE_TIMEOUT"]) > 15
    assert "SANIC_KEEP_ALIVE_TIMEOUT" not in next(s for s in stack.services if s.name == "rasa").env


def test_make_run_names_where_conversations_are_stored_without_a_password(tmp_path):
    from types import SimpleNamespace

    from runner.__main__ import store_label

    assert store_label(SimpleNamespace(env={}, var_dir=tmp_path)) == str(tmp_path / "rasa.db")
    shown = store_label(SimpleNamespace(env={"DATABASE_URL": "postgresql://debt:s3cret@db:5432/debt"},
                                        var_dir=tmp_path))
    assert shown == "postgresql://debt:***@db:5432/debt" and "s3cret" not in shown
