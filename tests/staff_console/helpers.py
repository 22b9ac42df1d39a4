"""Helpers for tests that need the staff console: conversations written through Rasa's own
SQLTrackerStore, console accounts made with the real ``adduser`` command, a console server
started as ``python -m staff_console --port N`` and a tiny HTTP client with cookies.

Other test packages may import these (``from tests.staff_console.helpers import ...``).
"""

from __future__ import annotations

import asyncio
import http.cookiejar
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Optional

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PASSWORD = "console-test-password"


# -- Rasa's tracker store ------------------------------------------------------------------
def rasa_domain():
    from rasa.shared.core.domain import Domain

    return Domain.load(str(ROOT / "domain.yml"))


def tracker_store(database_url: str, domain=None):
    """Rasa's SQLTrackerStore on a SQLAlchemy URL, as runner/stack.py configures it."""
    from rasa.core.tracker_store import SQLTrackerStore
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return SQLTrackerStore(domain=domain, dialect="sqlite", db=url.database)
    return SQLTrackerStore(domain=domain, dialect="postgresql", host=url.host, port=url.port,
                           db=url.database, username=url.username, password=url.password)


def save_events(store, sender_id: str, events: Iterable) -> None:
    """Append events to a conversation and save it with SQLTrackerStore.save, exactly as Rasa
    does after each message: retrieve the tracker (latest session), update it, save (only the
    events not yet stored are written). The store needs the domain (``tracker_store(url,
    rasa_domain())``) to retrieve an existing conversation."""
    from rasa.shared.core.trackers import DialogueStateTracker

    tracker = asyncio.run(store.retrieve(sender_id))
    if tracker is None:
        slots = store.domain.slots if store.domain is not None else None
        tracker = DialogueStateTracker.from_events(sender_id, list(events), slots=slots)
    else:
        for e in events:
            tracker.update(e)
    asyncio.run(store.save(tracker))


def user(text: str, intent: str, confidence: float = 0.9, entities: Optional[List[Dict]] = None,
         channel: str = "socketio", ts: Optional[float] = None, ranking: Optional[List] = None):
    from rasa.shared.core.events import UserUttered

    entities = entities or []
    parse = {"intent": {"name": intent, "confidence": confidence}, "entities": entities, "text": text,
             "intent_ranking": ranking or [{"name": intent, "confidence": confidence}]}
    return UserUttered(text, intent={"name": intent, "confidence": confidence}, entities=entities,
                       parse_data=parse, input_channel=channel, timestamp=ts, message_id=uuid.uuid4().hex)


def bot(text: str, buttons: Optional[List[Dict]] = None, ts: Optional[float] = None):
    from rasa.shared.core.events import BotUttered

    return BotUttered(text, data={"buttons": buttons} if buttons else {}, timestamp=ts)


def action(name: str, ts: Optional[float] = None):
    from rasa.shared.core.events import ActionExecuted

    return ActionExecuted(name, policy="RulePolicy", confidence=1.0, timestamp=ts)


def slot(name: str, value, ts: Optional[float] = None):
    from rasa.shared.core.events import SlotSet

    return SlotSet(name, value, timestamp=ts)


def session_start(ts: Optional[float] = None):
    from rasa.shared.core.events import ActionExecuted, SessionStarted

    return [ActionExecuted("action_session_start", timestamp=ts), SessionStarted(timestamp=ts),
            ActionExecuted("action_listen", timestamp=ts)]


# -- accounts ------------------------------------------------------------------------------
def console_env(database_url: str, var_dir: Path, **extra: str) -> Dict[str, str]:
    env = {**os.environ, "VAR_DIR": str(var_dir), "DATABASE_URL": database_url,
           "PYTHONPATH": str(ROOT), "SQLALCHEMY_SILENCE_UBER_WARNING": "1", "PYTHONUNBUFFERED": "1"}
    env.update(extra)
    return env


def create_console_user(database_url: str, var_dir: Path, username: str, password: str = DEFAULT_PASSWORD,
                        admin: bool = False) -> subprocess.CompletedProcess:
    """``python -m staff_console adduser NAME [--admin]`` with the password on standard input."""
    cmd = [sys.executable, "-m", "staff_console", "adduser", username] + (["--admin"] if admin else [])
    result = subprocess.run(cmd, input=password + "\n", capture_output=True, text=True, cwd=ROOT,
                            env=console_env(database_url, var_dir), timeout=120)
    assert result.returncode == 0, result.stderr
    return result


# -- a console server over real HTTP -------------------------------------------------------------
def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class ConsoleServer:
    url: str
    proc: subprocess.Popen
    log: Path

    def stop(self) -> None:
        from runner.stack import stop_process_group

        stop_process_group(self.proc)


def start_console(database_url: str, var_dir: Path, timeout: float = 60.0, **env: str) -> ConsoleServer:
    port = free_port()
    log = var_dir / f"console-{port}.log"
    fh = open(log, "w", encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "staff_console", "--port", str(port)], cwd=ROOT,
                            env=console_env(database_url, var_dir, **env), stdout=fh, stderr=subprocess.STDOUT,
                            start_new_session=True)
    server = ConsoleServer(f"http://127.0.0.1:{port}", proc, log)
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise AssertionError(f"console exited ({proc.returncode}): {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(server.url + "/healthz", timeout=2) as resp:
                if resp.status == 200:
                    return server
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise AssertionError(f"console did not answer /healthz within {timeout} s: {log.read_text()[-2000:]}")
        time.sleep(0.2)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class HttpClient:
    """A browser-like client over real HTTP: cookies kept, redirects visible."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect)

    def request(self, method: str, path: str, data: Optional[Dict[str, str]] = None,
                headers: Optional[Dict[str, str]] = None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body, method=method, headers=headers or {})
        try:
            resp = self.opener.open(req, timeout=30)
        except urllib.error.HTTPError as err:
            resp = err
        return resp.status, dict(resp.headers), resp.read().decode("utf-8", errors="replace")

    def get(self, path: str, **params):
        query = ("?" + urllib.parse.urlencode(params)) if params else ""
        return self.request("GET", path + query)

    def csrf(self, path: str = "/login") -> str:
        _, _, html = self.get(path)
        match = re.search(r'name="csrf_token" value="([^"]+)"', html)
        assert match, "no CSRF token in the page"
        return match.group(1)

    def login(self, username: str, password: str = DEFAULT_PASSWORD):
        return self.request("POST", "/login", {"username": username, "password": password,
                                                "csrf_token": self.csrf("/login")})
