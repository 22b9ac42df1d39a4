"""Fixtures for the web chat tests: Debian's Chromium driven by Playwright, and a real
Stack (action server, Rasa, web service) on free loopback ports.

Chromium comes from Debian (`/usr/bin/chromium`), installed here with apt-get when
missing, together with a Japanese font so that the screenshots are readable. Playwright
only drives it (`executable_path`); its own browser download is never used.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "web"
CHROMIUM = "/usr/bin/chromium"
# The flags a root session on this machine needs; Playwright adds --headless and its own
# fresh --user-data-dir (a new temporary profile for every launch).
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-quic",
]


def _has_japanese_font() -> bool:
    try:
        out = subprocess.run(["fc-list", ":lang=ja"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return bool(out.strip())


def _apt_install(packages: list[str]) -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update"], ["apt-get", "install", "-y", *packages]):
        result = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
        if result.returncode != 0:
            pytest.fail(f"{' '.join(cmd)} failed ({result.returncode}): {result.stderr.strip()[-500:]}")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    missing = []
    if not os.access(CHROMIUM, os.X_OK):
        missing.append("chromium")
    if not _has_japanese_font():
        missing.append("fonts-ipafont-gothic")
    if missing:
        if shutil.which("apt-get") is None:
            pytest.fail(f"{', '.join(missing)} missing and apt-get is not available")
        _apt_install(missing)
    assert os.access(CHROMIUM, os.X_OK), f"{CHROMIUM} still missing after apt-get install chromium"
    return CHROMIUM


@pytest.fixture(scope="module")  # closed before other modules' asyncio tests run
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


# -- the product -------------------------------------------------------------------
def wait_http_ok(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"{url} did not answer 200 within {timeout:.0f} s")
        time.sleep(0.2)


class WebStack:
    """A started Stack with the web service, plus what the tests need to poke at it."""

    def __init__(self, stack) -> None:
        self.stack = stack
        self.web = next(s for s in stack.services if s.name == "web")

    @property
    def url(self) -> str:
        return self.web.url + "/"

    def tracker(self, sender_id: str) -> dict:
        url = (f"{self.stack.rasa_url}/conversations/{sender_id}/tracker"
               f"?include_events=ALL&token={self.stack.auth_token}")
        with urllib.request.urlopen(url, timeout=30) as resp:
            return json.loads(resp.read())

    def user_events(self, sender_id: str) -> list[dict]:
        return [e for e in self.tracker(sender_id).get("events", []) if e.get("event") == "user"]

    def stop_web(self) -> None:
        """Kill the web service (the browser's socket.io connection goes down with it)."""
        from runner.stack import stop_process_group

        stop_process_group(self.web.proc)

    def start_web(self) -> None:
        """Start the web service again, exactly as Stack.start() does."""
        svc = self.web
        log = open(self.stack.var_dir / "log" / "web.log", "a", encoding="utf-8")
        svc.proc = subprocess.Popen(
            svc.cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            env={**self.stack.env, **svc.env}, start_new_session=True,
        )
        wait_http_ok(svc.url + "/healthz")


@pytest.fixture(scope="session")
def web_stack(trained_model, tmp_path_factory):
    from runner.stack import Stack, free_port

    if not (ROOT / "web" / "node_modules" / "socket.io-client").exists():
        pytest.fail("web/node_modules is missing: run `make install` (npm ci --prefix web)")
    var_dir = tmp_path_factory.mktemp("web-var")
    stack = Stack(
        trained_model,
        ports={"rasa": free_port(), "actions": free_port(), "web": free_port(), "console": 0},
        var_dir=var_dir, env={"DATABASE_URL": "", "REDIS_URL": ""},
    )
    stack.start()
    try:
        yield WebStack(stack)
    finally:
        stack.stop()


@pytest.fixture
def new_page(browser):
    """Pages in fresh browser contexts (own localStorage: a new visitor each time)."""
    contexts = []

    def make(width: int = 1280, height: int = 800, **kw):
        ctx = browser.new_context(viewport={"width": width, "height": height}, locale="ja-JP",
                                  timezone_id="Asia/Tokyo", **kw)
        contexts.append(ctx)
        page = ctx.new_page()
        page.errors = []
        page.on("pageerror", lambda exc: page.errors.append(str(exc)))
        return page

    yield make
    for ctx in contexts:
        ctx.close()
