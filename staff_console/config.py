"""Settings, all from the environment (runner/stack.py passes VAR_DIR and RASA_URL).

| variable | default | meaning |
|---|---|---|
| ``DATABASE_URL`` | SQLite ``$VAR_DIR/rasa.db`` | Rasa's tracker store; the console's ``console_*`` tables live in the same database |
| ``VAR_DIR`` | ``<repo>/var`` | run-time files (SQLite file, generated secret key) |
| ``CONSOLE_SECRET_KEY`` | generated once into ``$VAR_DIR/console_secret`` (0600) | signs session cookies |
| ``CONSOLE_COOKIE_SECURE`` | ``auto`` | ``1``: cookies only over https; ``0``: never Secure; ``auto``: Secure when the request came over https |
| ``CONSOLE_TRUST_PROXY`` | ``0`` | ``1``: trust one reverse proxy's X-Forwarded-Proto/For/Host (needed for ``auto`` behind https) |
| ``CONSOLE_HOST`` | ``127.0.0.1`` | listen address (``--host`` overrides) |
| ``CONSOLE_LOCKOUT_FAILURES`` / ``CONSOLE_LOCKOUT_MINUTES`` | 5 / 15 | failed logins within the window before the account is locked, and for how long |
| ``CONSOLE_SESSION_HOURS`` / ``CONSOLE_IDLE_MINUTES`` | 12 / 120 | absolute and idle lifetime of a login |
| ``CONSOLE_REFRESH_SECONDS`` | 2 | how often the background refresher reads new events |
| ``CONSOLE_SQLITE_WAL`` | ``1`` | switch the SQLite file to WAL so the console's reads never block Rasa's writes |
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from booking import store as booking_store

ROOT = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    """A setting is unusable; the message is one line for the operator."""


def _int(name: str, default: int, minimum: int = 0) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} は整数で指定してください")
    if value < minimum:
        raise ConfigError(f"{name}={raw!r} は {minimum} 以上で指定してください")
    return value


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    return raw in ("1", "true", "yes", "on")


@dataclass
class Settings:
    database_url: str
    var_dir: Path
    secret_key: str
    cookie_secure: str = "auto"          # "auto" | "always" | "never"
    trust_proxy: bool = False
    lockout_failures: int = 5
    lockout_minutes: int = 15
    session_hours: int = 12
    idle_minutes: int = 120
    refresh_seconds: float = 2.0
    sqlite_wal: bool = True
    background_refresh: bool = True
    postgres_schema: Optional[str] = None

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def database_url_from_env(var_dir: Path) -> str:
    """DATABASE_URL, or SQLite ``$VAR_DIR/rasa.db``: the booking store's rule, so the console
    and the action server always open the same database."""
    return booking_store.database_url_from_env(var_dir)


def load_secret_key(var_dir: Path) -> str:
    """CONSOLE_SECRET_KEY, or a key generated once and kept in VAR_DIR/console_secret (0600),
    so logins survive restarts without anyone having to set a variable."""
    key = os.environ.get("CONSOLE_SECRET_KEY", "").strip()
    if key:
        if len(key) < 16:
            raise ConfigError("CONSOLE_SECRET_KEY は16文字以上のランダムな文字列にしてください")
        return key
    path = var_dir / "console_secret"
    var_dir.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text(encoding="ascii").strip()
        if len(key) < 16:
            raise ConfigError(f"{path} の鍵が短すぎます。ファイルを削除すると作り直します")
        if path.stat().st_mode & 0o077:
            os.chmod(path, 0o600)
        return key
    key = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key + "\n")
    return key


def load_settings(**overrides) -> Settings:
    var_dir = Path(os.environ.get("VAR_DIR") or (ROOT / "var")).resolve()
    secure = os.environ.get("CONSOLE_COOKIE_SECURE", "auto").strip().lower() or "auto"
    secure = {"1": "always", "true": "always", "yes": "always", "always": "always",
              "0": "never", "false": "never", "no": "never", "never": "never"}.get(secure, secure)
    if secure not in ("auto", "always", "never"):
        raise ConfigError("CONSOLE_COOKIE_SECURE は auto・1・0 のいずれかで指定してください")
    settings = Settings(
        database_url=database_url_from_env(var_dir),
        var_dir=var_dir,
        secret_key="",
        cookie_secure=secure,
        trust_proxy=_flag("CONSOLE_TRUST_PROXY", False),
        lockout_failures=_int("CONSOLE_LOCKOUT_FAILURES", 5, 1),
        lockout_minutes=_int("CONSOLE_LOCKOUT_MINUTES", 15, 1),
        session_hours=_int("CONSOLE_SESSION_HOURS", 12, 1),
        idle_minutes=_int("CONSOLE_IDLE_MINUTES", 120, 1),
        refresh_seconds=float(_int("CONSOLE_REFRESH_SECONDS", 2, 1)),
        sqlite_wal=_flag("CONSOLE_SQLITE_WAL", True),
        postgres_schema=os.environ.get("POSTGRESQL_SCHEMA") or None,
    )
    for key, value in overrides.items():
        setattr(settings, key, value)
    if not settings.secret_key:
        settings.secret_key = load_secret_key(settings.var_dir)
    return settings
