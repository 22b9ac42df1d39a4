"""Fixtures for the web chat tests: Debian's Chromium (tests/support/browser.py, the
``chromium_path`` fixture) driven by Playwright, and a real Stack (action server, Rasa, web
service) on free loopback ports.
"""

from __future__ import annotations

import json
import subprocess
import urllib.request
from pathlib import Path

import pytest

from tests.support.browser import CHROMIUM_ARGS
from tests.support.stack import start_stack, wait_http_ok

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "web"


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
    if not (ROOT / "web" / "node_modules" / "socket.io-client").exists():
        pytest.fail("web/node_modules is missing: run `make install` (npm ci --prefix web)")
    with start_stack(trained_model, tmp_path_factory.mktemp("web-var"), web=True) as stack:
        yield WebStack(stack)


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
