"""The staff console's commands.

    python -m staff_console --port 8090            serve (CONSOLE_PORT; runner/stack.py starts this)
    python -m staff_console adduser NAME [--admin] create or update an account; password on stdin
    python -m staff_console migrate                create or upgrade the console_* tables
    python -m staff_console refresh [--rebuild]    fold new Rasa events into the summaries now

Settings come from the environment (staff_console/config.py): DATABASE_URL or
VAR_DIR/rasa.db, CONSOLE_SECRET_KEY, CONSOLE_COOKIE_SECURE, CONSOLE_TRUST_PROXY, …
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
import threading
import time

os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")


def _read_password(stream) -> str:
    if stream.isatty():
        first = getpass.getpass("パスワード: ")
        second = getpass.getpass("もう一度: ")
        if first != second:
            raise SystemExit("パスワードが一致しません。")
        return first
    line = stream.readline()
    return line.rstrip("\r\n")


def cmd_adduser(args) -> int:
    from staff_console import auth, migrate, review
    from staff_console.config import load_settings
    from staff_console.db import Database

    db = Database(load_settings())
    migrate.upgrade(db)
    password = _read_password(sys.stdin)
    admin = True if args.admin else (False if args.no_admin else None)
    try:
        user, created = auth.set_account(db, args.name, password, admin)
    except auth.AccountError as exc:
        print(f"エラー: {exc}", file=sys.stderr)
        return 2
    review.log(db, None, "create_user" if created else "reset_password", user.username,
               {"admin": user.is_admin, "by": "command line"})
    role = "管理者" if user.is_admin else "スタッフ"
    print(f"アカウント {user.username} を{'作成' if created else '更新'}しました（{role}）。")
    return 0


def cmd_migrate(args) -> int:
    from staff_console import migrate
    from staff_console.config import load_settings
    from staff_console.db import Database

    db = Database(load_settings())
    migrate.upgrade(db)
    print(f"console_* テーブルは最新です（検索: {db.search_backend}）。")
    return 0


def cmd_refresh(args) -> int:
    from staff_console import migrate
    from staff_console.config import load_settings
    from staff_console.db import Database
    from staff_console.summary import Refresher

    db = Database(load_settings())
    migrate.upgrade(db)
    refresher = Refresher(db)
    started = time.perf_counter()
    if args.rebuild:
        refresher.rebuild()
    else:
        refresher.catch_up()
    done, newest = refresher.progress()
    print(f"集計を更新しました（イベント {done:,} / {newest:,}、{time.perf_counter() - started:.1f} 秒）。")
    return 0


def cmd_serve(args) -> int:
    from waitress import create_server

    from staff_console.app import create_app
    from staff_console.config import load_settings

    settings = load_settings()
    app = create_app(settings)
    console = app.extensions["console"]
    stop = threading.Event()
    console["refresher"].start_background(settings.refresh_seconds, stop)
    server = create_server(app, host=args.host, port=args.port, threads=args.threads, ident="staff-console",
                           clear_untrusted_proxy_headers=not settings.trust_proxy)
    logging.getLogger("staff_console").info("staff console on http://%s:%s/ (%s, search: %s)", args.host,
                                            args.port, console["db"].dialect, console["db"].search_backend)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.close()
    return 0


def main(argv=None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(prog="python -m staff_console", description="スタッフコンソール")
    parser.add_argument("--port", type=int, default=int(os.environ.get("CONSOLE_PORT", "8090")))
    parser.add_argument("--host", default=os.environ.get("CONSOLE_HOST", "127.0.0.1"))
    parser.add_argument("--threads", type=int, default=8)
    sub = parser.add_subparsers(dest="command")
    p = sub.add_parser("adduser", help="アカウントを作成・更新（パスワードは標準入力から）")
    p.add_argument("name")
    role = p.add_mutually_exclusive_group()
    role.add_argument("--admin", action="store_true", help="管理者にする")
    role.add_argument("--no-admin", action="store_true", help="管理者権限を外す")
    sub.add_parser("migrate", help="console_* テーブルを作成・更新")
    p = sub.add_parser("refresh", help="会話の集計を今すぐ更新")
    p.add_argument("--rebuild", action="store_true", help="集計を作り直す（タグ・メモ・確認は残ります）")
    args = parser.parse_args(argv)
    from staff_console.config import ConfigError

    try:
        if args.command == "adduser":
            return cmd_adduser(args)
        if args.command == "migrate":
            return cmd_migrate(args)
        if args.command == "refresh":
            return cmd_refresh(args)
        return cmd_serve(args)
    except ConfigError as exc:
        print(f"設定エラー: {exc}", file=sys.stderr)
        return 2
    except RuntimeError as exc:
        print(f"エラー: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
