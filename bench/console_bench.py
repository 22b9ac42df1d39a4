"""Staff console at scale: 100,000 conversations in Rasa's SQL tracker store.

    .venv/bin/python -m bench.console_bench                      # SQLite and PostgreSQL
    .venv/bin/python -m bench.console_bench --backend sqlite --conversations 20000

For each store: creates Rasa's ``events`` table through rasa's own SQLTrackerStore, fills it
with synthetic conversations (staff_console/generate.py: the event dicts Rasa writes, ~20
events per conversation), builds the console's summaries from nothing (timed), then times
what staff do — list pages, every filter, Japanese substring searches of 1 to 4+
characters, the handoff queue, the dashboard, a transcript, an export — through the real
Flask application (routing, queries, templates), median and 95th percentile of several
runs. It also measures how long one Rasa-style event insert takes while the console runs
searches flat out, against the same insert with the console idle: the console must not slow
the bot. PostgreSQL: 127.0.0.1:5432, user postgres (PGHOST/PGPORT/PGUSER), a database of
its own, dropped afterwards (--keep keeps it).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Callable, Dict, List

os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from staff_console.generate import generate, rows_for  # noqa: E402

PASSWORD = "bench-password-123"


def pg_params():
    return (os.environ.get("PGHOST", "127.0.0.1"), int(os.environ.get("PGPORT", "5432")),
            os.environ.get("PGUSER", "postgres"))


def make_store(backend: str, workdir: Path):
    """Rasa's SQLTrackerStore (it creates the events table exactly as the bot does)."""
    from rasa.core.tracker_store import SQLTrackerStore

    if backend == "sqlite":
        path = workdir / "rasa.db"
        return SQLTrackerStore(dialect="sqlite", db=str(path)), f"sqlite:///{path}", None
    host, port, user = pg_params()
    name = f"console_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(f"postgresql://{user}@{host}:{port}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    store = SQLTrackerStore(dialect="postgresql", host=host, port=port, db=name, username=user)
    return store, f"postgresql://{user}@{host}:{port}/{name}", name


def drop_pg(name: str) -> None:
    host, port, user = pg_params()
    admin = sa.create_engine(f"postgresql://{user}@{host}:{port}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def fill(store, n: int) -> Dict[str, float]:
    table = store.SQLEvent.__table__
    started = time.perf_counter()
    events = 0
    batch: List[Dict] = []
    with store.engine.begin() as conn:
        for sender, evs in generate(n):
            batch.extend(rows_for(sender, evs))
            if len(batch) >= 20000:
                conn.execute(table.insert(), batch)
                events += len(batch)
                batch = []
        if batch:
            conn.execute(table.insert(), batch)
            events += len(batch)
    return {"events": events, "seconds": time.perf_counter() - started}


def timed(fn: Callable[[], object], runs: int) -> Dict[str, float]:
    fn()  # warm-up (caches, first compile)
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, int(round(0.95 * (len(samples) - 1))))]
    return {"median_ms": round(statistics.median(samples), 1), "p95_ms": round(p95, 1),
            "max_ms": round(samples[-1], 1)}


def bench_backend(backend: str, n: int, runs: int, keep: bool) -> Dict:
    from staff_console import auth, review
    from staff_console.app import create_app
    from staff_console.config import load_settings

    workdir = Path(tempfile.mkdtemp(prefix=f"console-bench-{backend}-"))
    store, url, pg_name = make_store(backend, workdir)
    out: Dict = {"backend": backend, "conversations": n}
    try:
        out["fill"] = fill(store, n)
        print(f"[{backend}] {out['fill']['events']:,} events written in {out['fill']['seconds']:.0f} s", flush=True)
        settings = load_settings(database_url=url, var_dir=workdir, secret_key="bench-secret-key-0123456789")
        app = create_app(settings)
        ext = app.extensions["console"]
        db, refresher = ext["db"], ext["refresher"]
        out["search_backend"] = db.search_backend
        t = time.perf_counter()
        refresher.catch_up()
        out["initial_summary_build_s"] = round(time.perf_counter() - t, 1)
        print(f"[{backend}] summaries built in {out['initial_summary_build_s']} s (search: {db.search_backend})", flush=True)
        if backend == "sqlite":
            out["db_file_mb"] = round(sum(p.stat().st_size for p in workdir.glob("rasa.db*")) / 1e6)
        auth.set_account(db, "bench", PASSWORD, True)
        # tag 1,000 conversations and review 5,000, as staff would over time
        with db.read() as conn:
            sids = [r[0] for r in conn.execute(sa.text("SELECT sender_id FROM console_conversations ORDER BY id LIMIT 5000"))]
        for sid in sids[:1000]:
            review.add_tag(db, sid, "要フォロー", "bench")
        for sid in sids:
            review.set_reviewed(db, sid, "bench", True)

        client = app.test_client()
        r = client.post("/login", data={"username": "bench", "password": PASSWORD})
        assert r.status_code == 303, r.status_code
        refresher.last_run = time.time() + 10 ** 9  # measure reads, not refreshes

        def page(path: str, **params):
            def go():
                resp = client.get(path, query_string=params)
                assert resp.status_code == 200, (path, params, resp.status_code)
                return resp
            return go

        def count_of(resp) -> str:
            html = resp.get_data(as_text=True)
            i = html.find('<p class="count"')
            return html[html.find("<strong>", i) + 8: html.find("</strong>", i)] if i >= 0 else ""

        day = 86400
        today = time.strftime("%Y-%m-%d", time.localtime(time.time() + 9 * 3600 - time.localtime().tm_gmtoff))
        week_ago = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 9 * 3600 - 7 * day))
        cases = [
            ("list: newest first, page 1", "/conversations", {}),
            ("list: page 1,000 (offset 49,950)", "/conversations", {"page": 1000}),
            ("filter: channel LINE", "/conversations", {"channel": "line"}),
            ("filter: date range 7 days", "/conversations", {"date_from": week_ago, "date_to": today}),
            ("filter: intent ask_settlement_refused", "/conversations", {"intent": "ask_settlement_refused"}),
            ("filter: primary bankruptcy", "/conversations", {"primary": "bankruptcy"}),
            ("filter: fallback happened", "/conversations", {"fallback": "1"}),
            ("filter: handoff requested", "/conversations", {"handoff": "1"}),
            ("filter: distress flagged", "/conversations", {"distress": "1"}),
            ("filter: not reviewed", "/conversations", {"reviewed": "0"}),
            ("filter: tag 要フォロー", "/conversations", {"tag": "要フォロー"}),
            ("filter: LINE + fallback + 7 days", "/conversations", {"channel": "line", "fallback": "1", "date_from": week_ago}),
            ("search: 断られ (3 chars)", "/conversations", {"q": "断られ"}),
            ("search: 借金 (2 chars, common)", "/conversations", {"q": "借金"}),
            ("search: 自己破産 (4 chars)", "/conversations", {"q": "自己破産"}),
            ("search: 督促の電話 (5 chars)", "/conversations", {"q": "督促の電話"}),
            ("search: 金 (1 char)", "/conversations", {"q": "金"}),
            ("search: 任意整理 断られ (2 terms)", "/conversations", {"q": "任意整理 断られ"}),
            ("search: 該当しない言葉 (no hit)", "/conversations", {"q": "該当しない言葉"}),
            ("search: 断られ + LINE", "/conversations", {"q": "断られ", "channel": "line"}),
            ("search: 100%_' OR 1=1 -- (SQL chars)", "/conversations", {"q": "100%_' OR 1=1 --"}),
            ("handoff queue", "/queue", {}),
            ("dashboard 30 days", "/dashboard", {"days": 30}),
            ("dashboard 365 days", "/dashboard", {"days": 365}),
            ("transcript", "/conversations/" + sids[123], {}),
        ]
        results = []
        for label, path, params in cases:
            stats = timed(page(path, **params), runs)
            stats["results"] = count_of(page(path, **params)()) if path == "/conversations" else ""
            results.append((label, stats))
            print(f"[{backend}] {label:<42} {stats['median_ms']:>8.1f} ms  p95 {stats['p95_ms']:>8.1f} ms  {stats['results']}", flush=True)
        out["requests"] = results

        # export: CSV of the REST conversations (~10%) streamed to the end
        def export():
            resp = client.post("/export/conversations", data={"format": "csv", "channel": "rest",
                                                              "csrf_token": csrf(client)})
            assert resp.status_code == 200
            return resp.get_data()
        t = time.perf_counter()
        body = export()
        out["export_csv_rest"] = {"rows": body.count(b"\n") - 1, "seconds": round(time.perf_counter() - t, 2)}

        # incremental refresh: 20 new conversations arrive
        refresher.last_run = 0
        with store.engine.begin() as conn:
            for sender, evs in generate(20, seed=99):
                conn.execute(store.SQLEvent.__table__.insert(), list(rows_for(sender, evs)))
        t = time.perf_counter()
        r = refresher.refresh(max_batches=5)
        out["incremental_refresh"] = {"events": r.events, "ms": round((time.perf_counter() - t) * 1000, 1)}

        out["bot_write_latency"] = bot_write_latency(store, db, client)
        print(f"[{backend}] bot insert while idle {out['bot_write_latency']['idle']} / while console searches "
              f"{out['bot_write_latency']['console_busy']}", flush=True)
        db.dispose()
    finally:
        store.engine.dispose()
        if pg_name and not keep:
            drop_pg(pg_name)
        if not keep:
            for p in workdir.glob("*"):
                p.unlink()
            workdir.rmdir()
    return out


def csrf(client) -> str:
    with client.session_transaction() as s:
        return s["csrf"]


def bot_write_latency(store, db, client) -> Dict:
    """One SQLTrackerStore-style insert+commit (what Rasa does per message), idle vs. busy."""
    table = store.SQLEvent.__table__
    row = next(rows_for("latency-probe", next(generate(1, seed=5))[1][:1]))

    def insert_many(k: int) -> List[float]:
        out = []
        for _ in range(k):
            t = time.perf_counter()
            with store.engine.begin() as conn:
                conn.execute(table.insert(), [row])
            out.append((time.perf_counter() - t) * 1000)
            time.sleep(0.01)
        return out

    def summary(xs):
        xs = sorted(xs)
        return {"median_ms": round(statistics.median(xs), 2), "p95_ms": round(xs[int(0.95 * (len(xs) - 1))], 2),
                "max_ms": round(xs[-1], 2)}

    idle = insert_many(100)
    stop = threading.Event()
    busy_client = client.application.test_client()
    busy_client.post("/login", data={"username": "bench", "password": PASSWORD})

    def hammer():
        queries_ = ["借金", "断られ", "金", "自己破産", "督促の電話"]
        i = 0
        while not stop.is_set():
            busy_client.get("/conversations", query_string={"q": queries_[i % len(queries_)]})
            i += 1

    threads = [threading.Thread(target=hammer) for _ in range(2)]
    for th in threads:
        th.start()
    time.sleep(0.5)
    busy = insert_many(100)
    stop.set()
    for th in threads:
        th.join()
    return {"idle": summary(idle), "console_busy": summary(busy)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the generated databases")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    report = [bench_backend(b, args.conversations, args.runs, args.keep) for b in backends]
    if args.json:
        Path(args.json).write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    for r in report:
        print(f"\n== {r['backend']} ({r['conversations']:,} conversations, {r['fill']['events']:,} events; "
              f"search index: {r['search_backend']}) ==")
        print(f"initial summary build: {r['initial_summary_build_s']} s"
              + (f"; database file {r['db_file_mb']} MB" if "db_file_mb" in r else ""))
        for label, s in r["requests"]:
            print(f"  {label:<42} median {s['median_ms']:>7.1f} ms   p95 {s['p95_ms']:>7.1f} ms   {s['results']}")
        print(f"  export CSV (REST conversations): {r['export_csv_rest']['rows']:,} rows in {r['export_csv_rest']['seconds']} s")
        print(f"  incremental refresh: {r['incremental_refresh']['events']} events in {r['incremental_refresh']['ms']} ms")
        print(f"  bot event insert, console idle: {r['bot_write_latency']['idle']}")
        print(f"  bot event insert, console searching: {r['bot_write_latency']['console_busy']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
