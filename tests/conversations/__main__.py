"""``python -m tests.conversations`` (``make conversations-eval``): play every conversation
of tests/conversations/*.yml to the bot, print the pass rate and each failure, and write
reports/conversations/latest.md.

Without ``--url`` it starts the stack as the tests do (the fingerprinted model, trained
first if the data changed; its own ports and SQLite store in a temporary directory).
With ``--url`` it talks to a running bot, e.g. one started with
``RASA_AUTH_TOKEN=secret make run`` and ``--url http://127.0.0.1:5005 --token secret``
(the token reads Rasa's tracker for the slot checks; ``RASA_AUTH_TOKEN`` is the default).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import List, Optional

from tests.conversations.client import RestBot
from tests.conversations.runner import (
    HERE,
    ConversationResult,
    SuiteError,
    load_all,
    report_markdown,
    run_conversation,
    summarize,
)

ROOT = HERE.parent.parent
DEFAULT_REPORT = ROOT / "reports" / "conversations" / "latest.md"


def _git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def run_all(bot: RestBot, conversations, jobs: int = 1, progress=None) -> List[ConversationResult]:
    def one(conv):
        result = run_conversation(conv, bot.send, bot.slots)
        if progress:
            progress(result)
        return result

    if jobs <= 1:
        return [one(c) for c in conversations]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(one, conversations))


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.conversations", description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", help="a running bot (Rasa server base URL); default: start the stack here")
    ap.add_argument("--token", default=os.environ.get("RASA_AUTH_TOKEN"),
                    help="Rasa HTTP API token of that bot (default: $RASA_AUTH_TOKEN)")
    ap.add_argument("-k", "--only", action="append", default=[],
                    help="run conversations whose id or file name contains this (repeatable)")
    ap.add_argument("--jobs", type=int, default=1, help="conversations at a time (default 1)")
    ap.add_argument("--report", type=Path, default=DEFAULT_REPORT, help=f"default {DEFAULT_REPORT.relative_to(ROOT)}")
    ap.add_argument("--strict", action="store_true",
                    help="exit 1 when a conversation not marked xfail fails")
    args = ap.parse_args(argv)

    try:
        conversations = load_all()
    except SuiteError as exc:
        print(exc, file=sys.stderr)
        return 2
    if args.only:
        conversations = [c for c in conversations if any(k in c.id or k in c.source for k in args.only)]
    if not conversations:
        print("no conversation matches", file=sys.stderr)
        return 2

    stack = None
    if args.url:
        if not args.token:
            print("--url needs --token (or RASA_AUTH_TOKEN): the slot checks read Rasa's tracker", file=sys.stderr)
            return 2
        bot = RestBot(args.url, args.token)
        where = args.url
    else:
        from runner.model import ensure_model
        from runner.stack import Stack, StartupError, free_port

        try:
            model = ensure_model()
            var_dir = Path(tempfile.mkdtemp(prefix="conversations-"))
            stack = Stack(model, ports={"rasa": free_port(), "actions": free_port(), "web": 0, "console": 0},
                          var_dir=var_dir, env={"DATABASE_URL": "", "REDIS_URL": ""})
            print(f"starting the bot (model {model.name}, logs in {var_dir / 'log'})…", flush=True)
            stack.start()
        except (StartupError, RuntimeError) as exc:
            print(f"cannot start the bot: {exc}", file=sys.stderr)
            return 2
        bot = RestBot(stack.rasa_url, stack.auth_token)
        where = f"stack started here, model {model.name}"

    started = time.monotonic()
    done = [0]

    def progress(result: ConversationResult) -> None:
        done[0] += 1
        mark = "." if result.passed else "F"
        print(mark, end="\n" if done[0] % 50 == 0 else "", flush=True)

    try:
        results = run_all(bot, conversations, jobs=args.jobs, progress=progress)
    finally:
        if stack is not None:
            stack.stop()
    print()
    elapsed = time.monotonic() - started

    s = summarize(results)
    for r in results:
        if not r.passed:
            print(r.describe() + (f"\n  (xfail: {r.xfail})" if r.xfail else ""))
    print(f"\n{s['passed']}/{s['total']} conversations passed ({s['percent']}%) in {elapsed:.0f} s")
    for check, n in s["failed_conversations_by_check"].items():
        print(f"  {check}: {n} conversation(s)")

    header = (f"{dt.datetime.now().strftime('%Y-%m-%d %H:%M')}, commit {_git_commit() or '?'}, {where}, "
              f"{len(results)} conversations in {elapsed:.0f} s.")
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(report_markdown(results, header), encoding="utf-8")
    try:
        shown = args.report.resolve().relative_to(ROOT)
    except ValueError:
        shown = args.report
    print(f"report: {shown}")
    if args.strict and any(not r.passed and not r.xfail for r in results):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
