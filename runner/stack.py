"""Start, watch and stop every process of the product on localhost.

``make run`` and the end-to-end tests both use :class:`Stack`, so what the tests start is
what an operator starts. Ports come from the environment (interfaces.md); run-time
Rasa files (endpoints, credentials) are written to ``var/runtime/`` from the
environment, so ``DATABASE_URL`` and ``REDIS_URL`` switch stores without editing files.
``RASA_SERVERS=N`` starts N Rasa servers (ports RASA_PORT, RASA_PORT+1, ...) sharing one
action server; they need a shared database and Redis (deploy/README.md).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

import yaml

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
LOGS = VAR / "log"
RUNTIME = VAR / "runtime"

DEFAULT_PORTS = {
    "rasa": ("RASA_PORT", 5005),
    "actions": ("ACTION_PORT", 5055),
    "web": ("WEB_PORT", 8080),
    "console": ("CONSOLE_PORT", 8090),
}
# seconds the action server keeps an idle connection from Rasa open (see Stack.__init__)
ACTION_SERVER_KEEP_ALIVE = 120
# Optional processes: started when their package exists. Each is
# `python -m <module> --port N` and answers GET /healthz with 200 once ready.
OPTIONAL_SERVICES = {
    "web": ("web", "ウェブチャット（デモページ）", "/"),
    "console": ("staff_console", "スタッフコンソール", "/login"),
}


class StartupError(RuntimeError):
    """A process could not start; the message is one line for the operator."""


def port_from_env(service: str) -> int:
    var, default = DEFAULT_PORTS[service]
    raw = os.environ.get(var, str(default))
    try:
        port = int(raw)
        if not 0 < port < 65536:
            raise ValueError
    except ValueError:
        raise StartupError(f"{var}={raw!r} はポート番号として使えません（1〜65535 の整数を指定してください）")
    return port


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Rasa's SQLTrackerStore that keeps booking contact data out of the stored events
TRACKER_STORE_TYPE = "privacy.tracker_store.RedactingSQLTrackerStore"


def stop_process_group(proc: subprocess.Popen, timeout: float = 15.0) -> None:
    """Stop a process started with ``start_new_session=True`` and its children: SIGTERM to
    the group, SIGKILL after ``timeout`` seconds. A process that already ended is left alone."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def tracker_store_config(database_url: Optional[str], sqlite_path: Path) -> Dict:
    """Tracker store settings (SQL keys) from a SQLAlchemy URL, SQLite by default."""
    if not database_url:
        return {"type": TRACKER_STORE_TYPE, "dialect": "sqlite", "db": str(sqlite_path)}
    from sqlalchemy.engine.url import make_url

    url = make_url(database_url)
    if url.drivername.startswith("sqlite"):
        return {"type": TRACKER_STORE_TYPE, "dialect": "sqlite", "db": url.database}
    cfg = {
        "type": TRACKER_STORE_TYPE,
        "dialect": url.drivername,
        "url": url.host or "127.0.0.1",
        "db": url.database,
    }
    if url.port:
        cfg["port"] = url.port
    if url.username:
        cfg["username"] = url.username
    if url.password:
        cfg["password"] = url.password
    return cfg


# Rasa's RedisLockStore takes only a letters-and-digits prefix and silently falls back to
# its bare "lock:" keys for anything else (an underscore included), so check it here.
DEFAULT_REDIS_KEY_PREFIX = "debtassistant"
LOCK_STORE_TYPE = "runner.lock_store.AtomicRedisLockStore"


def redis_key_prefix(env: Dict[str, str]) -> str:
    raw = env.get("REDIS_KEY_PREFIX") or DEFAULT_REDIS_KEY_PREFIX
    if not re.fullmatch(r"[A-Za-z0-9]{1,64}", raw):
        raise StartupError(f"REDIS_KEY_PREFIX={raw!r} は使えません（Rasa のロックストアは英数字のみの"
                           "接頭辞しか受け付けません。例: debtassistant）")
    return raw


def lock_store_config(redis_url: Optional[str],
                      key_prefix: str = DEFAULT_REDIS_KEY_PREFIX) -> Optional[Dict]:
    """Rasa's Redis lock store made atomic for several Rasa servers (runner/lock_store.py);
    keys are ``<key_prefix>:lock:<conversation id>``."""
    if not redis_url:
        return None
    from urllib.parse import urlparse

    u = urlparse(redis_url)
    cfg = {"type": LOCK_STORE_TYPE, "url": u.hostname or "127.0.0.1", "port": u.port or 6379,
           "db": int((u.path or "/0").strip("/") or 0), "key_prefix": key_prefix}
    if u.password:
        cfg["password"] = u.password
    return cfg


@dataclass
class Service:
    name: str
    label: str                # what the operator reads
    cmd: List[str]
    port: int
    health_path: str
    public_path: str = "/"
    env: Dict[str, str] = field(default_factory=dict)
    proc: Optional[subprocess.Popen] = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return LOGS / f"{self.name}.log"


class Stack:
    """The product's processes. Use as a context manager, or start()/stop()."""

    def __init__(
        self,
        model: Path,
        ports: Optional[Dict[str, int]] = None,
        var_dir: Path = VAR,
        env: Optional[Dict[str, str]] = None,
        rasa_servers: Optional[int] = None,
    ) -> None:
        """``rasa_servers``: how many Rasa servers (default RASA_SERVERS, else 1). The first
        is ``rasa`` on ports["rasa"]; server i (2, 3, ...) is ``rasa<i>`` on ports["rasa<i>"],
        by default the first one's port + i - 1."""
        self.model = model
        self.env = {**os.environ, **(env or {})}
        self.var_dir = var_dir
        self.runtime = var_dir / "runtime"
        ports = ports or {}
        self.rasa_port = ports.get("rasa") or port_from_env("rasa")
        self.action_port = ports.get("actions") or port_from_env("actions")
        self.ports = {"rasa": self.rasa_port, "actions": self.action_port}
        count = rasa_servers if rasa_servers is not None else self.env.get("RASA_SERVERS") or 1
        try:
            count = int(count)
            if not 1 <= count <= 16:
                raise ValueError
        except ValueError:
            raise StartupError(f"RASA_SERVERS={count!r} は使えません（1〜16 の整数を指定してください）")
        if count > 1 and not (self.env.get("DATABASE_URL") and self.env.get("REDIS_URL")):
            # each server would keep its own conversations and locks
            raise StartupError(f"Rasa サーバーを {count} 台動かすには、共有する DATABASE_URL（PostgreSQL）と"
                               "REDIS_URL（ロックストア）が必要です（deploy/README.md）")
        self.rasa_ports = [self.rasa_port]
        for i in range(2, count + 1):
            self.ports[f"rasa{i}"] = ports.get(f"rasa{i}") or self.rasa_port + i - 1
            self.rasa_ports.append(self.ports[f"rasa{i}"])
        self.redis_key_prefix = redis_key_prefix(self.env)
        # hex: a token starting with "-" would be read by argparse as an option
        self.auth_token = self.env.get("RASA_AUTH_TOKEN") or secrets.token_hex(24)
        bin_dir = Path(sys.executable).parent
        base_env = {
            "PYTHONPATH": str(ROOT),
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "PYTHONUNBUFFERED": "1",
        }
        self.services: List[Service] = [
            Service(
                "actions", "アクションサーバー",
                [str(bin_dir / "rasa"), "run", "actions", "--actions", "actions",
                 "--port", str(self.action_port)],
                # VAR_DIR: booking requests go to the console's tables in the same database
                self.action_port, "/health", "/health", {**base_env, "VAR_DIR": str(self.var_dir)},
            ),
        ]
        # rasa-sdk 3.6's Sanic drops an idle keep-alive connection after 5 s, Rasa's aiohttp
        # client reuses one for up to 15 s: a request sent on a connection the action server
        # is closing fails ("Cannot write to closing transport") and the visitor gets no
        # answer. Seen under load in tests/scale; rasa-sdk later raised it to 120 s too.
        actions = self.services[0]
        actions.env = {**actions.env, "SANIC_KEEP_ALIVE_TIMEOUT": str(ACTION_SERVER_KEEP_ALIVE)}
        for i, port in enumerate(self.rasa_ports, start=1):
            self.services.append(Service(
                "rasa" if i == 1 else f"rasa{i}",
                "Rasa サーバー（REST・socket.io・LINE）" if count == 1
                else f"Rasa サーバー {i}（REST・socket.io・LINE）",
                [str(bin_dir / "rasa"), "run", "--model", str(model),
                 "--endpoints", str(self.runtime / "endpoints.yml"),
                 "--credentials", str(self.runtime / "credentials.yml"),
                 "--port", str(port), "--interface", "127.0.0.1",
                 "--enable-api", f"--auth-token={self.auth_token}", "--cors", "*"],
                port, f"/status?token={self.auth_token}", "/webhooks/rest/webhook",
                base_env,
            ))
        for name, (module, label, public_path) in OPTIONAL_SERVICES.items():
            if not (ROOT / module / "__main__.py").exists() or ports.get(name) == 0:
                continue
            port = ports.get(name) or port_from_env(name)
            self.ports[name] = port
            svc_env = {**base_env, "RASA_URL": f"http://127.0.0.1:{self.rasa_port}",
                       "VAR_DIR": str(self.var_dir)}
            self.services.append(Service(
                name, label, [sys.executable, "-m", module, "--port", str(port)],
                port, "/healthz", public_path, svc_env,
            ))

    # -- configuration ---------------------------------------------------------------
    def write_runtime_files(self) -> None:
        self.runtime.mkdir(parents=True, exist_ok=True)
        (self.var_dir / "log").mkdir(parents=True, exist_ok=True)
        endpoints = {
            "action_endpoint": {"url": f"http://127.0.0.1:{self.action_port}/webhook"},
            "tracker_store": tracker_store_config(
                self.env.get("DATABASE_URL"), self.var_dir / "rasa.db"
            ),
        }
        lock = lock_store_config(self.env.get("REDIS_URL"), self.redis_key_prefix)
        if lock:
            endpoints["lock_store"] = lock
        with open(ROOT / "credentials.yml", encoding="utf-8") as fh:
            credentials = yaml.safe_load(fh) or {}
        # LINE is on only with its secrets in the environment; the channel reads them
        # from there itself, so no secret is ever written to disk.
        if self.env.get("LINE_CHANNEL_SECRET") and self.env.get("LINE_CHANNEL_ACCESS_TOKEN"):
            if (ROOT / "channels" / "line.py").exists():
                credentials["channels.line.LineInput"] = None
        for name, data in (("endpoints.yml", endpoints), ("credentials.yml", credentials)):
            (self.runtime / name).write_text(
                yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8"
            )

    def check_database(self) -> None:
        """Rasa only logs an unreachable tracker store and carries on with conversations in
        memory, so refuse to start instead, with one line naming the database."""
        url = self.env.get("DATABASE_URL")
        if not url:
            return
        import sqlalchemy
        from sqlalchemy.engine.url import make_url

        try:
            safe = make_url(url).render_as_string(hide_password=True)
        except Exception:
            raise StartupError("DATABASE_URL を SQLAlchemy の URL として読めません"
                               "（例: postgresql://user@127.0.0.1:5432/db）") from None
        args = {"connect_timeout": 5} if url.startswith("postgresql") else {}
        engine = sqlalchemy.create_engine(url, connect_args=args)
        try:
            with engine.connect():
                pass
        except Exception as exc:
            msg = str(getattr(exc, "orig", None) or exc).strip()
            first = msg.splitlines()[0] if msg else type(exc).__name__
            raise StartupError(f"データベース {safe} に接続できません（{first}）。"
                               "DATABASE_URL と、データベースが起動しているかを確認してください") from None
        finally:
            engine.dispose()

    # -- lifecycle -------------------------------------------------------------------
    def start(self, timeout: float = 240.0) -> Stack:
        if not self.model.exists():
            raise StartupError(f"モデル {self.model} がありません（make model で学習してください）")
        self.check_database()
        for svc in self.services:
            if not port_is_free(svc.port):
                var = DEFAULT_PORTS.get(svc.name.rstrip("0123456789"), ("", 0))[0]
                hint = f"（{var} で変えられます）" if var else ""
                raise StartupError(
                    f"ポート {svc.port} は他のプロセスが使用中のため、{svc.label}を起動できません{hint}"
                )
        self.write_runtime_files()
        for svc in self.services:
            log = open(self.var_dir / "log" / f"{svc.name}.log", "w", encoding="utf-8")
            svc.proc = subprocess.Popen(
                svc.cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                env={**self.env, **svc.env}, start_new_session=True,
            )
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        pending = list(self.services)
        while pending:
            for svc in list(pending):
                if svc.proc.poll() is not None:
                    raise StartupError(
                        f"{svc.label}が起動直後に終了しました（終了コード {svc.proc.returncode}）。"
                        f" {self._log_hint(svc)}"
                    )
                if self._healthy(svc):
                    pending.remove(svc)
            if pending and time.monotonic() > deadline:
                names = "、".join(s.label for s in pending)
                raise StartupError(f"{names}が {timeout:.0f} 秒以内に応答しませんでした。"
                                   f" {self._log_hint(pending[0])}")
            if pending:
                time.sleep(0.5)

    def _log_hint(self, svc: Service) -> str:
        path = self.var_dir / "log" / f"{svc.name}.log"
        lines = path.read_text(encoding="utf-8", errors="replace").strip().splitlines() if path.exists() else []
        errors = [ln for ln in lines if "Error" in ln or "error" in ln or "エラー" in ln]
        last = (errors or lines or ["(ログなし)"])[-1].strip()
        return f"ログ {path}: {last[:300]}"

    @staticmethod
    def _healthy(svc: Service) -> bool:
        try:
            with urllib.request.urlopen(svc.url + svc.health_path, timeout=2) as resp:
                if svc.name.startswith("rasa"):
                    return bool(json.loads(resp.read()).get("model_file"))
                return resp.status == 200
        except (urllib.error.URLError, OSError, ValueError):
            return False

    def stop(self) -> None:
        for svc in reversed(self.services):
            proc = svc.proc
            if proc is None or proc.poll() is not None:
                continue
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
        for svc in self.services:
            proc = svc.proc
            if proc is None:
                continue
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def dead_services(self) -> List[Service]:
        return [s for s in self.services if s.proc is not None and s.proc.poll() is not None]

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def rasa_urls(self) -> List[str]:
        return [f"http://127.0.0.1:{port}" for port in self.rasa_ports]
