"""Accounts, passwords, login throttling and server-side sessions.

* Passwords: argon2id (argon2-cffi's defaults: RFC 9106 low-memory profile), rehashed on
  login when the parameters change. Unknown user names are verified against a dummy hash
  so that timing does not tell which names exist.
* Lockout: ``lockout_failures`` failed logins for one user name within
  ``lockout_minutes`` lock that name for ``lockout_minutes`` (even the right password is
  refused meanwhile); success clears the count. Names that do not exist are throttled the
  same way, so the answer never reveals whether an account exists.
* Sessions: the cookie carries a random token (signed by Flask); the database keeps only
  its SHA-256, with the user, creation and last use. Logout, password change and disabling
  an account delete the rows, so a copied cookie stops working at once.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from dataclasses import dataclass
from typing import Optional, Tuple

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from staff_console.config import Settings
from staff_console.db import Database, login_throttle, sessions, users

hasher = PasswordHasher()
_DUMMY_HASH = hasher.hash(secrets.token_urlsafe(16))
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
MIN_PASSWORD = 10
MAX_PASSWORD = 1024


class AccountError(ValueError):
    """Why an account could not be created or changed (Japanese, for the operator)."""


@dataclass
class User:
    id: int
    username: str
    is_admin: bool
    is_active: bool
    last_login_at: Optional[float] = None
    created_at: Optional[float] = None


def validate_username(username: str) -> str:
    username = (username or "").strip()
    if not USERNAME_RE.match(username):
        raise AccountError("ユーザー名は半角英数字と _ . @ - で、64文字以内にしてください")
    return username


def validate_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"パスワードは{MIN_PASSWORD}文字以上にしてください")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"パスワードは{MAX_PASSWORD}文字以内にしてください")
    return password


def _user(row) -> User:
    return User(row.id, row.username, bool(row.is_admin), bool(row.is_active), row.last_login_at, row.created_at)


def get_user(db: Database, user_id: int) -> Optional[User]:
    with db.read() as conn:
        row = conn.execute(sa.select(users).where(users.c.id == user_id)).first()
    return _user(row) if row else None


def list_users(db: Database):
    with db.read() as conn:
        return [_user(r) for r in conn.execute(sa.select(users).order_by(users.c.username))]


def count_users(db: Database) -> int:
    with db.read() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(users)).scalar() or 0


def set_account(db: Database, username: str, password: str, admin: Optional[bool],
                reactivate: bool = True) -> Tuple[User, bool]:
    """Create the account or update its password (and role when ``admin`` is not None).
    Returns (user, created). An update clears the lockout, ends the account's sessions and,
    with ``reactivate`` (the adduser command), re-enables a disabled account."""
    username = validate_username(username)
    validate_password(password)
    digest = hasher.hash(password)
    now = time.time()
    with db.write() as conn:
        row = conn.execute(sa.select(users).where(sa.func.lower(users.c.username) == username.lower())).first()
        if row is None:
            conn.execute(users.insert().values(
                username=username, password_hash=digest, is_admin=bool(admin), is_active=True,
                created_at=now, updated_at=now, password_changed_at=now))
            created = True
        else:
            values = dict(password_hash=digest, updated_at=now, password_changed_at=now)
            if reactivate:
                values["is_active"] = True
            if admin is not None:
                values["is_admin"] = admin
            conn.execute(users.update().where(users.c.id == row.id).values(**values))
            conn.execute(sessions.delete().where(sessions.c.user_id == row.id))
            username = row.username
            created = False
        conn.execute(login_throttle.delete().where(login_throttle.c.username_key == username.lower()))
        row = conn.execute(sa.select(users).where(users.c.username == username)).first()
    return _user(row), created


def update_user(db: Database, user_id: int, *, is_admin: Optional[bool] = None,
                is_active: Optional[bool] = None) -> None:
    values = {"updated_at": time.time()}
    if is_admin is not None:
        values["is_admin"] = is_admin
    if is_active is not None:
        values["is_active"] = is_active
    with db.write() as conn:
        conn.execute(users.update().where(users.c.id == user_id).values(**values))
        if is_active is False:
            conn.execute(sessions.delete().where(sessions.c.user_id == user_id))


def unlock(db: Database, username: str) -> None:
    with db.write() as conn:
        conn.execute(login_throttle.delete().where(login_throttle.c.username_key == username.lower()))


def locked_until(db: Database, username: str) -> Optional[float]:
    with db.read() as conn:
        row = conn.execute(sa.select(login_throttle).where(
            login_throttle.c.username_key == username.strip().lower()[:64])).first()
    if row and row.locked_until and row.locked_until > time.time():
        return row.locked_until
    return None


@dataclass
class LoginResult:
    user: Optional[User] = None
    locked_until: Optional[float] = None   # the name is locked until then
    failures: int = 0
    refused_locked: bool = False           # refused without checking: it was locked already


def authenticate(db: Database, settings: Settings, username: str, password: str) -> LoginResult:
    key = (username or "").strip().lower()[:64]
    now = time.time()
    with db.read() as conn:
        throttle = conn.execute(sa.select(login_throttle).where(login_throttle.c.username_key == key)).first()
        row = conn.execute(sa.select(users).where(sa.func.lower(users.c.username) == key)).first() if key else None
    if throttle and throttle.locked_until and throttle.locked_until > now:
        return LoginResult(locked_until=throttle.locked_until, failures=throttle.failures, refused_locked=True)
    ok = False
    if password and len(password) <= MAX_PASSWORD:
        try:
            ok = hasher.verify(row.password_hash if row is not None else _DUMMY_HASH, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            ok = False
    ok = ok and row is not None and bool(row.is_active)
    window = settings.lockout_minutes * 60
    with db.write() as conn:
        current = conn.execute(sa.select(login_throttle).where(login_throttle.c.username_key == key)).first()
        if ok:
            if current:
                conn.execute(login_throttle.delete().where(login_throttle.c.username_key == key))
            values = {"last_login_at": now}
            if hasher.check_needs_rehash(row.password_hash):
                values["password_hash"] = hasher.hash(password)
            conn.execute(users.update().where(users.c.id == row.id).values(**values))
            return LoginResult(user=_user(row))
        if not key:
            return LoginResult()
        if current is None or now - current.first_failure_at > window:
            failures, first = 1, now
        else:
            failures, first = current.failures + 1, current.first_failure_at
        lock = now + window if failures >= settings.lockout_failures else None
        values = dict(failures=failures, first_failure_at=first, locked_until=lock)
        if current is None:
            conn.execute(login_throttle.insert().values(username_key=key, **values))
        else:
            conn.execute(login_throttle.update().where(login_throttle.c.username_key == key).values(**values))
    return LoginResult(locked_until=lock, failures=failures)


# -- sessions ---------------------------------------------------------------------------
def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_session(db: Database, user: User, ip: Optional[str], user_agent: Optional[str]) -> str:
    token = secrets.token_urlsafe(32)
    now = time.time()
    with db.write() as conn:
        conn.execute(sessions.insert().values(
            token_hash=_hash_token(token), user_id=user.id, created_at=now, last_seen_at=now,
            ip=(ip or "")[:64], user_agent=(user_agent or "")[:200]))
    return token


def session_user(db: Database, settings: Settings, token: str) -> Optional[User]:
    """The user of a live session, touching its last use at most once a minute."""
    if not token:
        return None
    digest = _hash_token(token)
    now = time.time()
    with db.read() as conn:
        row = conn.execute(
            sa.select(sessions.c.created_at, sessions.c.last_seen_at, users)
            .join(users, users.c.id == sessions.c.user_id)
            .where(sessions.c.token_hash == digest)).first()
    if row is None:
        return None
    expired = (now - row.created_at > settings.session_hours * 3600
               or now - row.last_seen_at > settings.idle_minutes * 60
               or not row.is_active)
    if expired:
        end_session(db, token)
        return None
    if now - row.last_seen_at > 60:
        with db.write() as conn:
            conn.execute(sessions.update().where(sessions.c.token_hash == digest).values(last_seen_at=now))
    return User(row.id, row.username, bool(row.is_admin), bool(row.is_active), row.last_login_at, row.created_at)


def end_session(db: Database, token: str) -> None:
    if token:
        with db.write() as conn:
            conn.execute(sessions.delete().where(sessions.c.token_hash == _hash_token(token)))


def purge_sessions(db: Database, settings: Settings) -> None:
    cutoff = time.time() - max(settings.session_hours * 3600, settings.idle_minutes * 60)
    with db.write() as conn:
        conn.execute(sessions.delete().where(sessions.c.last_seen_at < cutoff))
