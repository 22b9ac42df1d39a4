"""``make run``: train if needed, start every process, print where each is, stop on Ctrl-C."""

from __future__ import annotations

import signal
import sys
import time

from runner.model import ensure_model
from runner.stack import Stack, StartupError


def _width(text: str) -> int:
    """Columns a string takes in a terminal (full-width characters take two)."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def store_label(stack) -> str:
    """Where conversations go: the SQLite file, or the database URL without its password."""
    url = stack.env.get("DATABASE_URL")
    if not url:
        return str(stack.var_dir / "rasa.db")
    from sqlalchemy.engine.url import make_url

    return make_url(url).render_as_string(hide_password=True)


def main() -> int:
    try:
        model = ensure_model()
        stack = Stack(model)
        print("起動しています…", flush=True)
        stack.start()
    except StartupError as exc:
        print(f"起動できません: {exc}", file=sys.stderr)
        return 1
    except RuntimeError as exc:  # training failed
        print(exc, file=sys.stderr)
        return 1

    stopping = False

    def on_signal(signum, frame):  # noqa: ARG001
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    print("\n起動しました（Ctrl-C で全て停止）:")
    width = max(_width(s.label) for s in stack.services) + 2
    for svc in stack.services:
        print(f"  {svc.label}{' ' * (width - _width(svc.label))}{svc.url}{svc.public_path}")
    print(f"  モデル: {model.name}   会話の保存先: {store_label(stack)}（設定: {stack.runtime / 'endpoints.yml'}）")
    print(f"\n試す: curl -s -XPOST localhost:{stack.rasa_port}/webhooks/rest/webhook "
          "-d '{\"sender\":\"me\",\"message\":\"こんにちは\"}'\n", flush=True)
    try:
        while not stopping:
            dead = stack.dead_services()
            if dead:
                print(f"{dead[0].label}が停止しました（ログ: var/log/{dead[0].name}.log）。全体を停止します。",
                      file=sys.stderr)
                return 1
            time.sleep(0.5)
    finally:
        print("停止しています…", flush=True)
        stack.stop()
        print("停止しました。")
    return 0


if __name__ == "__main__":
    sys.exit(main())
