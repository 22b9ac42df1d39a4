"""The booking store (booking/store.py) on real SQLite and PostgreSQL: drafts, consent,
withdrawal, the staff queue and status changes; the table it creates is the one the
console's migration 0002 created (so existing databases keep working), whichever of the
action server and the console opens a database first; the database is opened lazily,
once per process, and the booking package never loads the staff console."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from booking import store
from booking.store import BookingError, bookings

ROOT = Path(__file__).resolve().parents[2]
SUMMARY = {"primary": "bankruptcy", "debt_total": 3000000, "urgent": True, "distress": False,
           "urgent_notes": ["裁判所から訴状が届いている"]}


@pytest.fixture
def db(database_url):
    d = store.Database(database_url)
    store.ensure_schema(d)
    yield d
    d.dispose()


def request(db, sender_id, method="phone", summary=None, **fields):
    fields = {"phone": "090-1234-5678", "name": "山田太郎", "preferred_time": "平日の夜", **fields}
    store.update_draft(db, sender_id, channel="socketio")
    store.update_draft(db, sender_id, contact_method=method, **fields)
    return store.submit(db, sender_id, consent_text="同意します。", summary=summary or {"urgent": False})


def all_rows(db):
    with db.read() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(bookings).order_by(bookings.c.id))]


# -- the visitor's side ------------------------------------------------------------------------------

def test_a_draft_collects_the_answers_and_cancelling_deletes_it(db):
    first = store.update_draft(db, "v1", channel="line")
    assert first["status"] == "draft" and first["channel"] == "line" and re.fullmatch(r"B[A-HJ-NP-Z2-9]{7}", first["ref"])
    second = store.update_draft(db, "v1", contact_method="phone", phone="090-1234-5678")
    assert second["ref"] == first["ref"] and second["channel"] == "line" and second["phone"] == "090-1234-5678"
    assert store.get_draft(db, "v1")["contact_method"] == "phone" and store.get_draft(db, "v2") is None
    with pytest.raises(BookingError, match="保存できない項目です: status"):
        store.update_draft(db, "v1", status="new")
    assert store.open_requests(db, "v1") == []                        # a draft is not a request
    assert store.discard_draft(db, "v1") == 1 and store.discard_draft(db, "v1") == 0
    assert all_rows(db) == []


def test_a_stale_draft_is_deleted_by_the_next_write(db):
    store.update_draft(db, "old", phone="090-0000-0000")
    with db.write() as conn:
        conn.execute(bookings.update().values(updated_at=time.time() - store.DRAFT_TTL_SECONDS - 1))
    store.update_draft(db, "new", name="佐藤")
    assert store.get_draft(db, "old") is None and [r["sender_id"] for r in all_rows(db)] == ["new"]


def test_consent_turns_the_draft_into_a_new_request(db):
    store.update_draft(db, "v1", channel="socketio")
    with pytest.raises(BookingError, match="申し込み中の予約が見つかりません"):   # no contact method yet
        store.submit(db, "v1", consent_text="同意します。", summary={})
    with pytest.raises(BookingError):
        store.submit(db, "nobody", consent_text="同意します。", summary={})
    row = request(db, "v1", summary=SUMMARY)
    assert row["status"] == "new" and row["consent_text"] == "同意します。" and row["consented_at"] > 0
    assert row["primary_rec"] == "bankruptcy" and row["debt_total"] == 3000000
    assert row["urgent"] is True and row["distress"] is False and row["summary"] == SUMMARY
    assert store.get_draft(db, "v1") is None
    assert [r["ref"] for r in store.open_requests(db, "v1")] == [row["ref"]]
    assert store.get(db, ref=row["ref"]) == store.get(db, booking_id=row["id"]) == row
    with db.read() as conn:   # the summary is stored as JSON text, Japanese unescaped
        stored = conn.execute(sa.select(bookings.c.summary)).scalar()
    assert json.loads(stored) == SUMMARY and "裁判所" in stored


def test_withdrawing_deletes_requests_and_drafts_of_that_conversation_only(db):
    request(db, "v1")
    store.update_draft(db, "v1", phone="080-1111-2222")
    other = request(db, "v2")
    assert store.withdraw(db, "v1") == 2
    assert [r["ref"] for r in all_rows(db)] == [other["ref"]]
    assert store.withdraw(db, "v1") == 0


# -- the staff side ---------------------------------------------------------------------------------

def test_queue_is_urgent_then_distress_then_oldest_and_closed_last(db):
    plain = request(db, "plain")
    urgent = request(db, "urgent", summary={"urgent": True})
    distress = request(db, "distress", summary={"distress": True})
    done = request(db, "done", summary={"urgent": True})
    store.set_status(db, done["ref"], "closed", "staff")
    store.update_draft(db, "typing", phone="090-9999-8888")
    assert [r["ref"] for r in store.queue(db)] == [urgent["ref"], distress["ref"], plain["ref"], done["ref"]]
    assert [r["ref"] for r in store.queue(db, "closed")] == [done["ref"]]
    assert [r["ref"] for r in store.queue(db, limit=2, offset=1)] == [distress["ref"], plain["ref"]]
    assert store.counts(db) == {"new": 3, "contacted": 0, "booked": 0, "closed": 1}


def test_status_changes_are_checked_and_name_who_made_them(db):
    row = request(db, "v1")
    changed = store.set_status(db, row["ref"], "contacted", "staff1")
    assert changed["status"] == "contacted" and changed["status_changed_by"] == "staff1"
    with pytest.raises(BookingError, match=r"状態「draft」は使えません（新規・連絡済み・予約確定・終了）"):
        store.set_status(db, row["ref"], "draft", "staff1")
    draft = store.update_draft(db, "v2", phone="090-0000-1111")
    with pytest.raises(BookingError, match="見つかりません"):           # staff never touch a draft
        store.set_status(db, draft["ref"], "booked", "staff1")
    store.withdraw(db, "v1")
    with pytest.raises(BookingError, match="取り消された可能性"):
        store.set_status(db, row["ref"], "booked", "staff1")
    assert store.get_draft(db, "v2")["status"] == "draft"


def test_labels_are_defined_once():
    from booking import labels
    from conversation import booking_flow
    from staff_console import labels as console_labels

    assert store.STATUSES is labels.STATUSES and store.STATUS_LABELS is labels.STATUS_LABELS
    assert booking_flow.METHOD_LABELS is labels.METHOD_LABELS is console_labels.BOOKING_METHODS
    assert console_labels.BOOKING_STATUSES is labels.STATUS_LABELS
    assert console_labels.BOOKING_STATUS_ORDER is labels.STATUSES


# -- the schema ---------------------------------------------------------------------------------------

def describe(engine) -> dict:
    """What an existing database knows of console_bookings."""
    with engine.connect() as conn:
        insp = sa.inspect(conn)
        columns = {c["name"]: (type(c["type"]).__name__, getattr(c["type"], "length", None), c["nullable"],
                               None if c.get("default") is None else re.sub(r"[()']", "", str(c["default"])).lower())
                   for c in insp.get_columns("console_bookings")}
        indexes = sorted((i["name"], tuple(i["column_names"]), bool(i["unique"]))
                         for i in insp.get_indexes("console_bookings"))
        uniques = sorted(tuple(u["column_names"]) for u in insp.get_unique_constraints("console_bookings"))
        pk = insp.get_pk_constraint("console_bookings")["constrained_columns"]
    return {"columns": columns, "indexes": indexes, "uniques": uniques, "pk": pk}


def console_alembic(url: str, revision: str) -> None:
    """The console's own migrations, run with Alembic as they were before the store owned the table."""
    from alembic import command

    from staff_console.migrate import alembic_config

    engine = sa.create_engine(url, future=True)
    cfg = alembic_config()
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        conn.commit()
    engine.dispose()


@pytest.fixture
def two_urls(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path / 'b.db'}"
        return
    from tests.support.databases import fresh_postgres_database

    request.getfixturevalue("postgres_available")
    with fresh_postgres_database("booking_a") as a, fresh_postgres_database("booking_b") as b:
        yield a, b


@pytest.mark.parametrize("two_urls", ["sqlite", "postgresql"], indirect=True)
def test_the_store_creates_the_table_migration_0002_created(two_urls):
    own, migrated = two_urls
    d = store.Database(own)
    store.ensure_schema(d)
    store.ensure_schema(d)                   # a second start changes nothing
    d.dispose()
    console_alembic(migrated, "0002")
    engines = [sa.create_engine(u, future=True) for u in (own, migrated)]
    try:
        ours, theirs = (describe(e) for e in engines)
    finally:
        for e in engines:
            e.dispose()
    assert ours == theirs
    assert len(ours["columns"]) == 20 and ours["pk"] == ["id"]
    assert [name for name, _, _ in ours["indexes"] if name.startswith("ix_")] == [
        "ix_console_bookings_sender_id", "ix_console_bookings_status"]
    assert ours["uniques"] == [("ref",)]


def test_store_first_then_console_records_0002_and_keeps_the_requests(database_url, tmp_path, fresh_store,
                                                                      monkeypatch):
    """The action server takes a booking before the console ever started on this database."""
    from alembic.script import ScriptDirectory

    from staff_console import migrate
    from staff_console.config import load_settings
    from staff_console.db import Database as ConsoleDatabase

    monkeypatch.setenv("DATABASE_URL", database_url)
    ref = request(fresh_store.database(), "early")["ref"]
    console = ConsoleDatabase(load_settings(database_url=database_url, var_dir=tmp_path, secret_key="x" * 32,
                                            background_refresh=False))
    try:
        migrate.upgrade(console)
        migrate.upgrade(console)             # and again at the next start
        head = ScriptDirectory.from_config(migrate.alembic_config()).get_current_head()
        with console.read() as conn:
            assert conn.execute(sa.text("SELECT version_num FROM console_alembic_version")).scalar() == head
            assert conn.execute(sa.text("SELECT count(*) FROM console_users")).scalar() == 0
        assert store.get(console, ref=ref)["sender_id"] == "early"
        later = request(console, "later")     # the console's engines use the same table
        assert [r["ref"] for r in store.queue(fresh_store.database())] == [ref, later["ref"]]
    finally:
        console.dispose()


def test_an_existing_console_database_keeps_working(database_url, fresh_store, monkeypatch):
    """A database the console migrated (0002 ran and created the table) before the store owned it."""
    console_alembic(database_url, "head")
    with sa.create_engine(database_url, future=True).begin() as conn:
        conn.execute(bookings.insert().values(ref="BOLD2345", sender_id="old", status="new", urgent=False,
                                              distress=False, contact_method="email", email="a@example.com",
                                              created_at=1.0, updated_at=1.0))
    monkeypatch.setenv("DATABASE_URL", database_url)
    db = fresh_store.database()
    assert [r["ref"] for r in store.open_requests(db, "old")] == ["BOLD2345"]
    assert store.set_status(db, "BOLD2345", "booked", "staff")["status"] == "booked"


def test_processes_starting_together_create_the_table_once(database_url):
    dbs = [store.Database(database_url) for _ in range(6)]
    barrier = threading.Barrier(len(dbs))
    errors = []

    def start(d):
        barrier.wait()
        try:
            store.ensure_schema(d)
        except Exception as exc:  # noqa: BLE001 - what the test looks for
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(d,)) for d in dbs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    try:
        assert errors == []
        assert request(dbs[0], "v1")["ref"] == store.open_requests(dbs[-1], "v1")[0]["ref"]
    finally:
        for d in dbs:
            d.dispose()


# -- the process's database ---------------------------------------------------------------------------------

def test_the_database_is_opened_on_first_use_and_once(tmp_path, fresh_store, monkeypatch):
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert not (tmp_path / "rasa.db").exists()
    first = fresh_store.database()
    assert first is fresh_store.database() and first.path == (tmp_path / "rasa.db").resolve()
    with first.read() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert sa.inspect(conn).has_table("console_bookings")


def test_a_database_that_cannot_be_used_is_refused(fresh_store, monkeypatch):
    for url, message in (("sqlite:///:memory:", "ファイルを指定してください"), ("mysql://x@localhost/db", "対応していません")):
        monkeypatch.setenv("DATABASE_URL", url)
        with pytest.raises(store.StoreConfigError, match=message):
            fresh_store.database()
        assert fresh_store._db is None


def test_database_url_follows_the_console_rule(tmp_path, monkeypatch):
    from staff_console.config import load_settings

    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert store.database_url_from_env() == f"sqlite:///{(tmp_path / 'rasa.db').resolve()}"
    assert load_settings(secret_key="x" * 32).database_url == store.database_url_from_env()
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db:5432/rasa")
    assert store.database_url_from_env() == "postgresql://u@db:5432/rasa"
    assert load_settings(secret_key="x" * 32).database_url == "postgresql://u@db:5432/rasa"


def test_importing_the_booking_package_opens_nothing_and_loads_no_console(tmp_path):
    code = ("import sys, pkgutil, importlib, booking\n"
            "for m in pkgutil.iter_modules(booking.__path__):\n"
            "    importlib.import_module('booking.' + m.name)\n"
            "from booking import store\n"
            "print(store._db is None, sorted(n for n in sys.modules if n.split('.')[0] == 'staff_console'))\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "VAR_DIR": str(tmp_path), "DATABASE_URL": ""}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "True []"
    assert list(tmp_path.iterdir()) == []
