"""Fixtures for the fault and bad-input tests: a real Stack (action server + Rasa with the
REST, socket.io and LINE channels) on loopback, with the checked REST channel
(channels/rest.py) in place of Rasa's ``rest``, and helpers to post raw bodies and read
the stack's SQLite tracker store."""

from __future__ import annotations

import asyncio
import http.client
import json
import sqlite3
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pytest

from tests.channels.conftest import ACCESS_TOKEN, PSEUDONYM_KEY, SECRET
from tests.channels.fake_line import FakeLine

REST_PATH = "/webhooks/rest/webhook"


def make_stack(model: Path, var_dir: Path, fake_line_url: Optional[str] = None):
    """The product's own Stack (credentials.yml already uses channels.rest.RestInput)."""
    from runner.stack import Stack, free_port

    env = {"DATABASE_URL": "", "REDIS_URL": ""}
    if fake_line_url:
        env.update({"LINE_CHANNEL_SECRET": SECRET, "LINE_CHANNEL_ACCESS_TOKEN": ACCESS_TOKEN,
                    "LINE_API_BASE_URL": fake_line_url, "LINE_PSEUDONYM_KEY": PSEUDONYM_KEY})
    return Stack(model, ports={"rasa": free_port(), "actions": free_port(), "web": 0, "console": 0},
               var_dir=var_dir, env=env)


def post_raw(port: int, body: bytes, path: str = REST_PATH, timeout: float = 60,
             headers: Optional[Dict[str, str]] = None) -> Tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", path, body=body,
                     headers={"Content-Type": "application/json", **(headers or {})})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def post_json(port: int, payload: Any, **kw: Any) -> Tuple[int, Any]:
    status, data = post_raw(port, json.dumps(payload, ensure_ascii=False).encode("utf-8"), **kw)
    try:
        return status, json.loads(data)
    except ValueError:
        return status, data


def texts_of(reply: Any) -> List[str]:
    return [m.get("text", "") for m in reply] if isinstance(reply, list) else []


class Events:
    """Rasa's ``events`` table in the stack's SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _query(self, sql: str, args: tuple = ()) -> list:
        if not self.path.exists():
            return []
        with sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=10) as db:
            try:
                return db.execute(sql, args).fetchall()
            except sqlite3.OperationalError:
                return []

    def rows(self, sender: str) -> List[Tuple[str, Dict[str, Any]]]:
        return [(t, json.loads(d)) for t, d in self._query(
            "SELECT type_name, data FROM events WHERE sender_id = ? ORDER BY id", (sender,))]

    def user_events(self, sender: str) -> List[Dict[str, Any]]:
        return [d for t, d in self.rows(sender) if t == "user"]

    def count(self) -> int:
        return self._query("SELECT COUNT(*) FROM events")[0][0] if self.path.exists() else 0

    def senders(self) -> List[str]:
        return [r[0] for r in self._query("SELECT DISTINCT sender_id FROM events")]


def assert_no_half_events(events: Events, sender: str) -> None:
    """Every stored user event is whole: text a string, an intent, and Rasa went on to
    run at least one action after it."""
    rows = events.rows(sender)
    for i, (kind, data) in enumerate(rows):
        if kind != "user":
            continue
        assert isinstance(data.get("text"), str), data
        assert (data.get("parse_data") or {}).get("intent", {}).get("name"), data
        assert any(k == "action" for k, _ in rows[i + 1:]), f"user event without any action after it: {rows}"


def wait_port_free(port: int, timeout: float = 20) -> None:
    from runner.stack import port_is_free

    deadline = time.monotonic() + timeout
    while not port_is_free(port):
        assert time.monotonic() < deadline, f"port {port} still busy"
        time.sleep(0.2)


def stop_service(stack, name: str) -> None:
    from runner.stack import stop_process_group

    svc = next(s for s in stack.services if s.name == name)
    if svc.proc is not None:
        stop_process_group(svc.proc)
    wait_port_free(svc.port)


def start_service(stack, name: str, timeout: float = 120) -> None:
    svc = next(s for s in stack.services if s.name == name)
    log = open(stack.var_dir / "log" / f"{svc.name}.restarted.log", "a", encoding="utf-8")
    svc.proc = subprocess.Popen(svc.cmd, cwd=str(Path(__file__).resolve().parents[2]),
                                stdout=log, stderr=subprocess.STDOUT,
                                env={**stack.env, **svc.env}, start_new_session=True)
    deadline = time.monotonic() + timeout
    while not stack._healthy(svc):
        assert svc.proc.poll() is None, f"{name} exited on restart (see {log.name})"
        assert time.monotonic() < deadline, f"{name} did not answer within {timeout} s"
        time.sleep(0.3)


class SocketVisitor:
    """A widget-like socket.io client (python-socketio AsyncClient, polling transport: the
    websocket transport fails with this aiohttp) that joins a session like the widget does.

    ``say`` sends with an acknowledgement: python-socketio acknowledges an event after the
    server's handler returned, and everything that handler emitted was queued before the
    acknowledgement, so the bot messages received by then are the whole answer."""

    def __init__(self, url: str, session_id: Optional[str] = None) -> None:
        self.url = url
        self.session_id = session_id or uuid.uuid4().hex
        self.received: List[Any] = []
        self.client = None

    async def __aenter__(self) -> "SocketVisitor":
        import socketio

        self.client = socketio.AsyncClient(reconnection=False)
        confirmed: asyncio.Future = asyncio.get_running_loop().create_future()

        @self.client.on("session_confirm")
        async def on_confirm(sid: Any) -> None:
            if not confirmed.done():
                confirmed.set_result(sid)

        @self.client.on("bot_uttered")
        async def on_bot(msg: Any) -> None:
            self.received.append(msg)

        await self.client.connect(self.url, socketio_path="/socket.io", transports=["polling"])
        await self.client.emit("session_request", {"session_id": self.session_id})
        assert await asyncio.wait_for(confirmed, 30) == self.session_id
        return self

    async def __aexit__(self, *exc: Any) -> None:
        # drop the connection at once (a polite polling disconnect waits for the long poll)
        await self.client.eio.disconnect(abort=True)

    async def send(self, payload: Any = None, timeout: float = 90) -> List[Any]:
        """Emit ``user_uttered`` with ``payload`` as it is (None: no argument at all);
        the bot messages it brought."""
        mark = len(self.received)
        await self.client.call("user_uttered", payload, timeout=timeout)
        await asyncio.sleep(0.3)   # let the client's event tasks run
        return self.received[mark:]

    async def say(self, text: Any, timeout: float = 90, **extra: Any) -> List[Any]:
        return await self.send({"message": text, "session_id": self.session_id, **extra},
                               timeout=timeout)

    async def texts(self, text: Any, **kw: Any) -> List[str]:
        return [m.get("text", "") if isinstance(m, dict) else m for m in await self.say(text, **kw)]

    @property
    def eio_sid(self) -> str:
        return self.client.eio.sid


@pytest.fixture(scope="session")
def rob_fake_line():
    with FakeLine(ACCESS_TOKEN) as server:
        yield server


@pytest.fixture(scope="session")
def rob_stack(trained_model, rob_fake_line, tmp_path_factory):
    stack = make_stack(trained_model, tmp_path_factory.mktemp("robust-var"), rob_fake_line.url)
    stack.start()
    yield stack
    stack.stop()


@pytest.fixture(scope="session")
def rob_events(rob_stack) -> Events:
    return Events(rob_stack.var_dir / "rasa.db")
