"""This bot side by side with the stock bot that ``rasa init`` creates, same harness, same run.

    python -m bench.rasa_bench                    # full run (about 10 minutes on 2 cores)
    python -m bench.rasa_bench --skip-training --messages 60   # quicker, for development

What it measures, for both bots:

* training time: a fresh ``rasa train --force`` into a temporary output directory with an
  empty training cache (this bot: the same command as runner/model.py; models/ is never
  written by the timing run);
* startup time: process launch to the first successful REST answer (this bot: action server
  and Rasa through runner.stack.Stack; stock bot: ``rasa run`` with the same flags). Both
  keep conversations in Rasa's SQL tracker store on SQLite in a temporary directory. The
  stock bot has no custom actions, so it runs without an action server;
* per-message latency p50/p95/p99 through ``POST /webhooks/rest/webhook`` at 1, 10 and 50
  concurrent conversations (each conversation a realistic script sent one message after the
  other), errors (non-200, not a list, empty reply, this bot's apology, timeout) and
  answered messages per second. Levels are run in alternating rounds, this bot and the
  stock bot taking turns, so that load from other processes falls on both alike;
* resident memory (RSS from /proc) of each bot's processes after start and after the runs;
* as a diagnostic, NLU-only latency through ``POST /model/parse``.

It prints one markdown table (this bot, stock bot, ratio) and the three targets as
PASS/FAIL lines on stdout, writes them with the date, machine and versions to
reports/bench/rasa_bench.md (and .json), and prints progress on stderr. It exits 1 with one
line when a bot cannot be trained or started; ``--strict`` also exits 3 when a target fails.

The stock project is created once with ``rasa init --no-prompt`` (which trains by itself,
offline) and kept in var/bench/ (ignored by git); ``--fresh-stock`` creates it again.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import importlib.metadata
import json
import os
import platform
import secrets
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from bench.benchstats import (
    Row,
    breakdown,
    conversations_for,
    evaluate_targets,
    markdown_table,
    mib,
    percentile,
    reply_error,
    rounds_for,
    summarize,
)

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "reports" / "bench" / "rasa_bench.md"
STOCK_CACHE = ROOT / "var" / "bench"
REST_PATH = "/webhooks/rest/webhook"
LEVELS = (1, 10, 50)
TIMEOUT_S = 60.0

# One visitor's conversation with this bot: a greeting, topic questions, the diagnosis with
# answers (an amount, a count given before it is asked, a monthly amount, "don't know"), a
# question in the middle of the flow and thanks. Every message goes through Sudachi, the NLU
# pipeline, RulePolicy and (except the greeting's utterances) an action server round trip.
OURS_SCRIPT = [
    "こんにちは",
    "自己破産すると車はどうなりますか",
    "借金を減らしたい",
    "自分に合う方法を知りたい",
    "300万円",
    "5社",
    "月3万円",
    "わからない",
    "家族にバレますか",
    "ありがとう",
]
# The stock bot's own training examples (data/nlu.yml of `rasa init`), as long a script.
STOCK_SCRIPT = [
    "hello",
    "I am sad",
    "yes",
    "great",
    "hi",
    "I am feeling very good",
    "are you a bot?",
    "no",
    "perfect",
    "bye",
]
STOCK_FILES = ("config.yml", "domain.yml", "credentials.yml", "data/nlu.yml", "data/rules.yml",
               "data/stories.yml")


def progress(msg: str) -> None:
    print(f"[rasa_bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


class BenchError(RuntimeError):
    """Stops the benchmark; the message is one line for the operator."""


# -- processes and memory ------------------------------------------------------------------

def _children_map() -> Dict[int, List[int]]:
    kids: Dict[int, List[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8", errors="replace") as fh:
                stat = fh.read()
        except OSError:
            continue
        # the command name may hold spaces and parentheses: the ppid follows the last ")"
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        kids.setdefault(ppid, []).append(int(entry))
    return kids


def process_tree(pid: int) -> List[int]:
    kids = _children_map()
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def memory_kib(pid: int) -> Tuple[int, int]:
    """(VmRSS, VmHWM) in KiB summed over a process and its descendants."""
    rss = hwm = 0
    for p in process_tree(pid):
        try:
            with open(f"/proc/{p}/status", encoding="utf-8") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        rss += int(line.split()[1])
                    elif line.startswith("VmHWM:"):
                        hwm += int(line.split()[1])
        except OSError:
            continue
    return rss, hwm


def _http_json(url: str, payload: Optional[dict] = None, timeout: float = 10) -> Tuple[int, object]:
    data = None if payload is None else json.dumps(payload, ensure_ascii=False).encode("utf-8")
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, None
    except (urllib.error.URLError, OSError, ValueError):
        return 0, None


def wait_first_answer(url: str, message: str, apology: Optional[str], deadline: float) -> None:
    """Until the REST channel answers a first message properly (a new sender each try)."""
    attempt = 0
    while True:
        attempt += 1
        status, body = _http_json(f"{url}{REST_PATH}",
                                  {"sender": f"bench-first-{attempt}", "message": message}, timeout=30)
        if reply_error(status, body, apology) is None:
            return
        if time.monotonic() > deadline:
            raise BenchError(f"最初のメッセージに正しい応答がありません（{reply_error(status, body, apology)}）")
        time.sleep(0.5)


@dataclass
class Bot:
    """One bot under test, whatever starts it."""

    key: str                   # "ours" / "stock"
    label: str
    script: List[str]
    apology: Optional[str]
    url: str = ""
    token: str = ""
    pids: Dict[str, int] = field(default_factory=dict)   # process label -> pid
    db_path: Optional[Path] = None
    startup_s: Optional[float] = None
    stop: object = None

    def memory(self) -> Dict[str, Tuple[int, int]]:
        return {name: memory_kib(pid) for name, pid in self.pids.items()}


def start_ours(model: Path, var_dir: Path, env: Dict[str, str], timeout: float) -> Bot:
    from channels.rest import APOLOGY
    from runner.stack import Stack, StartupError, free_port

    stack = Stack(model, ports={"rasa": free_port(), "actions": free_port(), "web": 0, "console": 0},
                  var_dir=var_dir, env={**env, "DATABASE_URL": "", "REDIS_URL": ""})
    bot = Bot("ours", "this bot", OURS_SCRIPT, APOLOGY, url=stack.rasa_url, token=stack.auth_token,
              db_path=var_dir / "rasa.db", stop=stack.stop)
    t0 = time.monotonic()
    try:
        stack.start(timeout=timeout)
        wait_first_answer(stack.rasa_url, OURS_SCRIPT[0], APOLOGY, t0 + timeout)
    except (StartupError, BenchError) as exc:
        stack.stop()
        raise BenchError(f"本ボットが起動しませんでした: {exc}") from None
    bot.startup_s = time.monotonic() - t0
    bot.pids = {svc.name: svc.proc.pid for svc in stack.services}
    return bot


def start_stock(project: Path, model: Path, run_dir: Path, env: Dict[str, str], timeout: float) -> Bot:
    """``rasa run`` the way runner.stack starts ours: same flags, SQLite tracker store,
    health polled the same way (Stack._healthy every 0.5 s)."""
    import yaml

    from runner.model import rasa_bin
    from runner.stack import Service, Stack, free_port, stop_process_group

    (run_dir / "log").mkdir(parents=True, exist_ok=True)
    endpoints = run_dir / "endpoints.yml"
    endpoints.write_text(yaml.safe_dump({"tracker_store": {
        "type": "SQL", "dialect": "sqlite", "db": str(run_dir / "rasa.db")}}), encoding="utf-8")
    port, token = free_port(), secrets.token_hex(24)
    svc = Service(
        "rasa", "stock Rasa server",
        [rasa_bin(), "run", "--model", str(model), "--endpoints", str(endpoints),
         "--credentials", str(project / "credentials.yml"), "--port", str(port),
         "--interface", "127.0.0.1", "--enable-api", f"--auth-token={token}", "--cors", "*"],
        port, f"/status?token={token}",
    )
    log = open(run_dir / "log" / "rasa.log", "w", encoding="utf-8")
    t0 = time.monotonic()
    proc = subprocess.Popen(svc.cmd, cwd=project, stdout=log, stderr=subprocess.STDOUT,
                            env={**os.environ, **env, "PYTHONUNBUFFERED": "1"}, start_new_session=True)
    svc.proc = proc

    def stop() -> None:
        stop_process_group(proc)
        log.close()

    bot = Bot("stock", "stock bot", STOCK_SCRIPT, None, url=svc.url, token=token,
              pids={"rasa": proc.pid}, db_path=run_dir / "rasa.db", stop=stop)
    deadline = t0 + timeout
    try:
        while not Stack._healthy(svc):
            if proc.poll() is not None:
                raise BenchError(f"終了コード {proc.returncode}（ログ {run_dir / 'log' / 'rasa.log'}）")
            if time.monotonic() > deadline:
                raise BenchError(f"{timeout:.0f} 秒以内に応答しませんでした（ログ {run_dir / 'log' / 'rasa.log'}）")
            time.sleep(0.5)
        wait_first_answer(svc.url, STOCK_SCRIPT[0], None, deadline)
    except BenchError as exc:
        stop()
        raise BenchError(f"比較用の雛形ボット（rasa init）が起動しませんでした: {exc}") from None
    bot.startup_s = time.monotonic() - t0
    return bot


# -- training ------------------------------------------------------------------------------

@dataclass
class Training:
    seconds: float
    peak_rss_kib: int
    model: Path


def timed_train(cwd: Path, domain: str, out_dir: Path, env: Dict[str, str], log: Path,
                what: str) -> Training:
    """``rasa train --force`` (every component trained, none taken from a cache) into
    ``out_dir``, with an empty cache directory; wall time and the peak RSS of the process."""
    from runner.model import rasa_bin

    cmd = [rasa_bin(), "train", "--config", "config.yml", "--domain", domain, "--data", "data",
           "--out", str(out_dir), "--fixed-model-name", "bench", "--force"]
    run_env = {**os.environ, **env, "PYTHONPATH": str(cwd),
               "RASA_CACHE_DIRECTORY": str(out_dir / "cache")}
    with open(log, "w", encoding="utf-8") as fh:
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=fh, stderr=subprocess.STDOUT, env=run_env)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.monotonic() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    model = out_dir / "bench.tar.gz"
    if proc.returncode != 0 or not model.exists():
        tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-1:] or ["(ログなし)"]
        raise BenchError(f"{what}の学習に失敗しました（終了コード {proc.returncode}）: {tail[0][:200]} — ログ {log}")
    return Training(seconds, usage.ru_maxrss, model)


def stock_project(env: Dict[str, str], fresh: bool) -> Tuple[Path, Optional[float]]:
    """The `rasa init` project, created once per Rasa version and kept in var/bench/.
    Returns (project dir, seconds `rasa init` took if it ran now)."""
    from runner.model import rasa_bin

    version = importlib.metadata.version("rasa")
    project = STOCK_CACHE / f"stock-rasa-{version}"
    if fresh and project.exists():
        shutil.rmtree(project)
    if project.exists() and all((project / f).exists() for f in STOCK_FILES) \
            and list((project / "models").glob("*.tar.gz")):
        return project, None
    STOCK_CACHE.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="stock-init-", dir=STOCK_CACHE))
    init_dir = tmp / "stock"
    init_dir.mkdir()
    log = tmp / "init.log"
    progress(f"creating the stock bot: rasa init --no-prompt (trains it too, about 1.5 min); log {log}")
    t0 = time.monotonic()
    with open(log, "w", encoding="utf-8") as fh:
        result = subprocess.run([rasa_bin(), "init", "--no-prompt", "--init-dir", str(init_dir)],
                                cwd=init_dir, stdout=fh, stderr=subprocess.STDOUT,
                                env={**os.environ, **env})
    seconds = time.monotonic() - t0
    if result.returncode != 0 or not list((init_dir / "models").glob("*.tar.gz")):
        raise BenchError(f"rasa init に失敗しました（終了コード {result.returncode}）。ログ {log}")
    if project.exists():
        shutil.rmtree(project)
    shutil.move(str(init_dir), str(project))
    shutil.move(str(log), str(project / "init.log"))
    shutil.rmtree(tmp, ignore_errors=True)
    return project, seconds


# -- the load harness ----------------------------------------------------------------------

@dataclass
class Samples:
    latencies_ms: List[float] = field(default_factory=list)
    errors: int = 0
    wall_s: float = 0.0
    reasons: Dict[str, int] = field(default_factory=dict)

    def add(self, latency_ms: float, error: Optional[str]) -> None:
        self.latencies_ms.append(latency_ms)
        if error:
            self.errors += 1
            self.reasons[error] = self.reasons.get(error, 0) + 1


async def run_conversations(bot: Bot, concurrency: int, conversations: int, tag: str,
                            samples: Optional[Samples]) -> float:
    """``conversations`` scripted conversations, ``concurrency`` at a time, each one message
    after the other with a new sender id. Returns the wall time."""
    import aiohttp

    queue: asyncio.Queue = asyncio.Queue()
    for i in range(conversations):
        queue.put_nowait(f"bench-{tag}-{i}-{secrets.token_hex(3)}")
    timeout = aiohttp.ClientTimeout(total=TIMEOUT_S)
    connector = aiohttp.TCPConnector(limit=concurrency + 2)
    url = bot.url + REST_PATH

    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        async def worker() -> None:
            while True:
                try:
                    sender = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                for text in bot.script:
                    t = time.perf_counter()
                    try:
                        async with session.post(url, json={"sender": sender, "message": text}) as resp:
                            status = resp.status
                            raw = await resp.read()
                        try:
                            body = json.loads(raw)
                        except ValueError:
                            body = None
                        error = reply_error(status, body, bot.apology)
                    except asyncio.TimeoutError:
                        error = f"timeout after {TIMEOUT_S:.0f} s"
                    except aiohttp.ClientError as exc:
                        error = f"connection: {type(exc).__name__}"
                    latency = (time.perf_counter() - t) * 1000
                    if samples is not None:
                        samples.add(latency, error)

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - t0


def parse_latencies(bot: Bot, repeat: int) -> List[float]:
    """NLU alone: POST /model/parse for every script message, one at a time."""
    out = []
    for _ in range(repeat):
        for text in bot.script:
            t = time.perf_counter()
            status, _ = _http_json(f"{bot.url}/model/parse?token={bot.token}", {"text": text}, timeout=30)
            if status == 200:
                out.append((time.perf_counter() - t) * 1000)
    return out


def stored_conversations(db: Optional[Path]) -> Tuple[int, int]:
    """(senders, events) in a bot's SQLite tracker store."""
    if db is None or not db.exists():
        return 0, 0
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10) as conn:
        senders = conn.execute("SELECT COUNT(DISTINCT sender_id) FROM events").fetchone()[0]
        events = conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    return senders, events


# -- report --------------------------------------------------------------------------------

def machine() -> Dict[str, object]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {"cores": os.cpu_count(), "cpu": cpu, "memory_gib": mem_gib,
            "os": f"{platform.system()} {platform.release()}"}


def versions() -> Dict[str, str]:
    out = {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version}
    for pkg in ("rasa", "rasa-sdk", "tensorflow", "scikit-learn", "SudachiPy", "sanic", "aiohttp"):
        try:
            out[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            pass
    return out


def build_rows(res: Dict) -> List[Row]:
    rows: List[Row] = []
    lv = res["levels"]
    for level in res["level_list"]:
        o, s = lv["ours"][str(level)], lv["stock"][str(level)]
        word = "conversation" if level == 1 else "conversations"
        for p in ("p50", "p95", "p99"):
            rows.append(Row(f"latency {p}, {level} {word}", o[f"{p}_ms"], s[f"{p}_ms"], "ms"))
    for level in res["level_list"]:
        o, s = lv["ours"][str(level)], lv["stock"][str(level)]
        rows.append(Row(f"messages/s, {level} concurrent", o["per_second"], s["per_second"], "msg/s"))
    for level in res["level_list"]:
        o, s = lv["ours"][str(level)], lv["stock"][str(level)]
        rows.append(Row(f"errors, {level} concurrent", o["errors"], s["errors"], "count",
                        ours_text=f"{o['errors']} of {o['messages']}",
                        stock_text=f"{s['errors']} of {s['messages']}", show_ratio=False))
    mem = res["memory"]
    for when, label in (("after_runs", "resident memory (RSS) after the runs"),
                        ("after_start", "resident memory (RSS) after start")):
        o, s = mem["ours"][when], mem["stock"][when]
        rows.append(Row(label, o["total_mib"], s["total_mib"], "MiB",
                        ours_text=f"{o['total_mib']:,.0f} MiB ({breakdown(o['parts_mib'])})",
                        stock_text=f"{s['total_mib']:,.0f} MiB ({breakdown(s['parts_mib'])})"))
    o, s = mem["ours"]["peak"], mem["stock"]["peak"]
    rows.append(Row("peak RSS while serving (VmHWM)", o["total_mib"], s["total_mib"], "MiB"))
    rows.append(Row("startup (launch → first answer)", res["startup_s"]["ours"], res["startup_s"]["stock"], "s"))
    tr = res.get("training")
    if tr:
        rows.append(Row("training (`rasa train --force`, empty cache)", tr["ours"]["seconds"],
                        tr["stock"]["seconds"], "s"))
        rows.append(Row("training peak RSS", mib(tr["ours"]["peak_rss_kib"]),
                        mib(tr["stock"]["peak_rss_kib"]), "MiB"))
    else:
        rows.append(Row("training", None, None, "s", ours_text="skipped", stock_text="skipped",
                        show_ratio=False))
    pr = res.get("parse_p50_ms")
    if pr:
        rows.append(Row("diagnostic: NLU only (`/model/parse`), p50", pr["ours"], pr["stock"], "ms"))
    return rows


def render(res: Dict, rows: List[Row], targets) -> Tuple[str, str]:
    """(what stdout shows, the report file)."""
    table = markdown_table(rows)
    target_lines = "\n".join(t.line() for t in targets)
    m, v = res["machine"], res["versions"]
    notes = [
        f"Each conversation is a script of {len(OURS_SCRIPT)} messages sent one after the other, "
        f"conversations run concurrently (asyncio + aiohttp, a new sender id each); "
        f"{res['messages_target']}+ messages per bot per level, levels run in alternating rounds "
        "(this bot and the stock bot take turns). Latency is request sent → whole reply read, "
        "through `POST /webhooks/rest/webhook`, including this bot's action server round trips.",
        "An error is a non-200 status, a body that is not a JSON list, an empty reply, this bot's "
        f"apology (its REST channel's answer when the bot could not reply) or no reply within {TIMEOUT_S:.0f} s.",
        "The stock bot (`rasa init`: DIET + TED, 2-message greeting/mood story) has no custom "
        "actions, so it runs without an action server; this bot's memory is Rasa + action server.",
        "Both bots keep conversations in Rasa's SQL tracker store on SQLite in a temporary "
        f"directory (stored after the run: this bot {res['stored']['ours'][0]} conversations / "
        f"{res['stored']['ours'][1]:,} events, stock {res['stored']['stock'][0]} / {res['stored']['stock'][1]:,}).",
        f"Load average (1/5/15 min) before: {res['load_before']}, after: {res['load_after']} — the "
        f"{m['cores']} cores are shared with other work, so figures move from run to run.",
    ]
    if res.get("stock_init_s"):
        notes.append(f"`rasa init --no-prompt` ran in this run: {res['stock_init_s']:.0f} s (it trains the "
                     "stock bot itself; the training row is the separate timed `rasa train --force`).")
    if res["errors_sample"]:
        notes.append("Error kinds: " + "; ".join(f"{k}: {v}" for k, v in res["errors_sample"].items()))
    scripts = (f"Scripts — this bot: {' / '.join(OURS_SCRIPT)}\n\n"
               f"stock bot: {' / '.join(STOCK_SCRIPT)}")
    stdout = f"{table}\n\n{target_lines}\n"
    report = (
        f"# This bot versus the stock `rasa init` bot\n\n"
        f"`python -m bench.rasa_bench` (`make bench`), {res['date']}, {res['elapsed_s']:.0f} s.\n\n"
        f"Machine: {m['cores']} cores ({m['cpu']}), {m['memory_gib']} GiB, {m['os']}. "
        f"Versions: " + ", ".join(f"{k} {val}" for k, val in v.items()) + ".\n\n"
        f"{table}\n\n## Targets\n\n```\n{target_lines}\n```\n\n## Notes\n\n"
        + "\n".join(f"- {n}" for n in notes) + f"\n\n{scripts}\n"
    )
    return stdout, report


# -- main ----------------------------------------------------------------------------------

def level_stats(samples: Samples, level: int) -> Dict:
    return asdict(summarize(level, samples.latencies_ms, samples.errors, samples.wall_s))


def memory_summary(bot: Bot) -> Dict[str, Dict]:
    names = {"rasa": "Rasa", "actions": "actions"}
    mem = bot.memory()
    return {
        "current": {"total_mib": mib(sum(r for r, _ in mem.values())),
                    "parts_mib": {names.get(k, k): mib(r) for k, (r, _) in mem.items()}},
        "peak": {"total_mib": mib(sum(h for _, h in mem.values())),
                 "parts_mib": {names.get(k, k): mib(h) for k, (_, h) in mem.items()}},
    }


def run(args: argparse.Namespace) -> int:
    started = time.monotonic()
    env = {"RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "3",
           "SQLALCHEMY_SILENCE_UBER_WARNING": "1"}
    os.environ.update(env)
    levels = [int(x) for x in args.levels.split(",")]
    res: Dict = {"date": dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
                 "machine": machine(), "versions": versions(), "level_list": levels,
                 "messages_target": args.messages,
                 "load_before": " / ".join(f"{x:.2f}" for x in os.getloadavg())}
    work = Path(tempfile.mkdtemp(prefix="rasa-bench-"))
    bots: List[Bot] = []
    try:
        project, init_s = stock_project(env, args.fresh_stock)
        res["stock_init_s"] = init_s
        progress(f"stock project: {project}")

        from runner.model import ensure_model

        progress("this bot's model: runner.model.ensure_model() (trains only if missing)")
        try:
            our_model = ensure_model()
        except RuntimeError as exc:
            raise BenchError(str(exc).splitlines()[0]) from None
        progress(f"this bot's model: {our_model.relative_to(ROOT)}")

        stock_model = sorted((project / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)[-1]
        if not args.skip_training:
            res["training"] = {}
            for key, cwd, domain, what in (("ours", ROOT, "domain.yml", "本ボット"),
                                           ("stock", project, "domain.yml", "雛形ボット")):
                out = work / f"train-{key}"
                out.mkdir()
                progress(f"training {key} (timed `rasa train --force`, log {work / f'train-{key}.log'})…")
                tr = timed_train(cwd, domain, out, env, work / f"train-{key}.log", what)
                res["training"][key] = {"seconds": tr.seconds, "peak_rss_kib": tr.peak_rss_kib}
                progress(f"training {key}: {tr.seconds:.0f} s, peak RSS {mib(tr.peak_rss_kib):,.0f} MiB")
                if key == "stock":
                    stock_model = tr.model   # serve what was just trained

        progress("starting this bot (action server + Rasa via runner.stack.Stack)…")
        ours = start_ours(our_model, work / "var-ours", env, args.start_timeout)
        bots.append(ours)
        progress(f"this bot answered {ours.startup_s:.1f} s after launch")
        progress("starting the stock bot (`rasa run`, no action server: it has no custom actions)…")
        stock = start_stock(project, stock_model, work / "var-stock", env, args.start_timeout)
        bots.append(stock)
        progress(f"stock bot answered {stock.startup_s:.1f} s after launch")
        res["startup_s"] = {"ours": ours.startup_s, "stock": stock.startup_s}
        res["memory"] = {b.key: {"after_start": memory_summary(b)["current"]} for b in bots}

        progress("warm-up: 2 conversations each")
        for b in bots:
            asyncio.run(run_conversations(b, 1, 2, f"warm-{b.key}", None))
        if not args.no_parse:
            res["parse_p50_ms"] = {b.key: percentile(parse_latencies(b, 3), 50) for b in bots}

        samples = {b.key: {lvl: Samples() for lvl in levels} for b in bots}
        turn = 0
        for level in levels:
            n_conv = conversations_for(args.messages, len(OURS_SCRIPT), level)
            for r, count in enumerate(rounds_for(n_conv, level)):
                order = bots if turn % 2 == 0 else list(reversed(bots))
                turn += 1
                for b in order:
                    s = samples[b.key][level]
                    before = len(s.latencies_ms)
                    wall = asyncio.run(run_conversations(b, level, count, f"{b.key}-c{level}-r{r}", s))
                    s.wall_s += wall
                    sent = len(s.latencies_ms) - before
                    progress(f"{b.key:5s} {level:2d} concurrent, round {r + 1}: {sent} messages in {wall:.1f} s, "
                             f"errors so far {s.errors}")
        res["levels"] = {b.key: {str(lv): level_stats(samples[b.key][lv], lv) for lv in levels} for b in bots}
        res["errors_sample"] = {f"{b.key} at {lv}: {reason}": n for b in bots for lv in levels
                                for reason, n in samples[b.key][lv].reasons.items()}
        for b in bots:
            summary = memory_summary(b)
            res["memory"][b.key]["after_runs"] = summary["current"]
            res["memory"][b.key]["peak"] = summary["peak"]
        res["stored"] = {b.key: stored_conversations(b.db_path) for b in bots}
    except BenchError as exc:
        print(f"rasa_bench: {exc}", file=sys.stderr)
        return 1
    finally:
        for b in reversed(bots):
            b.stop()
        if args.keep:
            progress(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

    res["load_after"] = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    res["elapsed_s"] = time.monotonic() - started
    rows = build_rows(res)
    top = max(levels)
    lv = res["levels"]
    targets = evaluate_targets(
        lv["ours"][str(min(levels))]["p95_ms"], lv["stock"][str(min(levels))]["p95_ms"],
        lv["ours"][str(top)]["errors"], lv["ours"][str(top)]["messages"],
        res["memory"]["ours"]["after_runs"]["total_mib"], res["memory"]["stock"]["after_runs"]["total_mib"],
    )
    stdout, report = render(res, rows, targets)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report, encoding="utf-8")
    res["targets"] = [asdict(t) for t in targets]
    out.with_suffix(".json").write_text(json.dumps(res, ensure_ascii=False, indent=1, default=str),
                                        encoding="utf-8")
    print(stdout, flush=True)
    progress(f"report: {out} ({res['elapsed_s']:.0f} s in all)")
    if args.strict and not all(t.passed for t in targets):
        return 3
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--messages", type=int, default=200,
                    help="at least this many messages per bot per concurrency level (default 200)")
    ap.add_argument("--levels", default=",".join(map(str, LEVELS)),
                    help="concurrent conversations, comma-separated (default 1,10,50)")
    ap.add_argument("--skip-training", action="store_true",
                    help="no timed training (the stock bot serves the model rasa init trained)")
    ap.add_argument("--fresh-stock", action="store_true", help="run `rasa init` again")
    ap.add_argument("--no-parse", action="store_true", help="skip the /model/parse diagnostic")
    ap.add_argument("--start-timeout", type=float, default=240.0)
    ap.add_argument("--out", default=str(REPORT), help="report file (default reports/bench/rasa_bench.md)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, stores)")
    ap.add_argument("--strict", action="store_true", help="exit 3 when a target fails")
    args = ap.parse_args(argv)
    if args.messages < 1:
        ap.error("--messages must be positive")
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
