"""The product's own Stack (runner.stack) for the tests, started on free loopback ports.

``make_stack`` builds one, ``start_stack`` starts it for a ``with`` block; every stack
fixture in the suite goes through them (REST only, with the LINE channel, with the web
chat, with the console, with two Rasa servers). ``stop_service``/``start_service`` kill
and restart one service of a started stack, as the fault tests do."""

from __future__ import annotations

import contextlib
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, Iterator, Optional, Union

from tests.support.line import line_env

if TYPE_CHECKING:
    from runner.stack import Stack
    from tests.support.fake_line import FakeLine

ROOT = Path(__file__).resolve().parents[2]
# SQLite tracker store in the stack's var dir, in-memory lock store: nothing shared
LOCAL_STORES = {"DATABASE_URL": "", "REDIS_URL": ""}


def make_stack(model: Path, var_dir: Path, *, line: Union[FakeLine, str, None] = None, web: bool = False,
               console: bool = False, rasa_servers: Optional[int] = None, env: Optional[Dict[str, str]] = None,
               local_stores: bool = True) -> Stack:
    """A Stack (not started) with the action server and Rasa on free ports.

    line: a FakeLine (or its URL) turns the LINE channel on against it, with the test
    secrets of tests.support.line. web/console: start those services on free ports too
    (otherwise port 0: not started). rasa_servers: Rasa servers rasa, rasa2, ... each on a
    free port. env: added last (over LOCAL_STORES unless local_stores=False)."""
    from runner.stack import Stack, free_port

    full_env: Dict[str, str] = dict(LOCAL_STORES) if local_stores else {}
    if line is not None:
        full_env.update(line_env(line if isinstance(line, str) else line.url))
    full_env.update(env or {})
    ports = {"rasa": free_port(), "actions": free_port(),
             "web": free_port() if web else 0, "console": free_port() if console else 0}
    for i in range(2, (rasa_servers or 1) + 1):
        ports[f"rasa{i}"] = free_port()
    return Stack(model, ports=ports, var_dir=var_dir, env=full_env, rasa_servers=rasa_servers)


@contextlib.contextmanager
def start_stack(model: Path, var_dir: Path, **kw: Any) -> Iterator[Stack]:
    """``make_stack(...)`` started; stopped when the block ends."""
    stack = make_stack(model, var_dir, **kw)
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()


def service(stack: Stack, name: str) -> Any:
    return next(s for s in stack.services if s.name == name)


def wait_port_free(port: int, timeout: float = 20) -> None:
    from runner.stack import port_is_free

    deadline = time.monotonic() + timeout
    while not port_is_free(port):
        assert time.monotonic() < deadline, f"port {port} still busy"
        time.sleep(0.2)


def wait_http_ok(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"{url} did not answer 200 within {timeout:.0f} s")
        time.sleep(0.2)


def stop_service(stack: Stack, name: str) -> None:
    from runner.stack import stop_process_group

    svc = service(stack, name)
    if svc.proc is not None:
        stop_process_group(svc.proc)
    wait_port_free(svc.port)


def start_service(stack: Stack, name: str, timeout: float = 120) -> None:
    svc = service(stack, name)
    log = open(stack.var_dir / "log" / f"{svc.name}.restarted.log", "a", encoding="utf-8")
    svc.proc = subprocess.Popen(svc.cmd, cwd=str(ROOT), stdout=log, stderr=subprocess.STDOUT,
                                env={**stack.env, **svc.env}, start_new_session=True)
    deadline = time.monotonic() + timeout
    while not stack._healthy(svc):
        assert svc.proc.poll() is None, f"{name} exited on restart (see {log.name})"
        assert time.monotonic() < deadline, f"{name} did not answer within {timeout} s"
        time.sleep(0.3)
