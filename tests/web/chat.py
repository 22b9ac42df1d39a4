"""Drives the chat widget in a Playwright page the way a visitor would.

Playwright's CSS selectors pierce the widget's open shadow root, so `.dc-bot` finds the
bot's messages inside it.
"""

from __future__ import annotations

import re
import time
from typing import List

JAPANESE = r"[\u3040-\u30ff\u3400-\u9fff]"

BOT = ".dc-bot .dc-text"
USER = ".dc-user .dc-text"


class Chat:
    def __init__(self, page, url: str) -> None:
        self.page = page
        self.url = url
        self.first_latency = 0.0   # seconds from the last send to the first bot message

    # -- navigation --------------------------------------------------------------
    def load(self) -> Chat:
        self.page.goto(self.url)
        self.page.locator(".dc-launcher").wait_for(state="visible")
        return self

    def open(self) -> Chat:
        self.page.locator(".dc-launcher").click()
        self.page.locator(".dc-panel").wait_for(state="visible")
        return self

    def wait_online(self, timeout: float = 30.0) -> None:
        self.page.locator('.dc[data-connection="online"]').wait_for(state="attached", timeout=timeout * 1000)

    # -- reading -----------------------------------------------------------------
    def bot_texts(self) -> List[str]:
        return self.page.locator(BOT).all_inner_texts()

    def user_texts(self) -> List[str]:
        return self.page.locator(USER).all_inner_texts()

    @property
    def session_id(self) -> str:
        return self.page.evaluate("window.DebtChat.sessionId")

    def connection(self) -> str:
        return self.page.locator(".dc").get_attribute("data-connection")

    # -- writing -----------------------------------------------------------------
    def type_and_enter(self, text: str) -> None:
        box = self.page.locator(".dc-input")
        box.fill(text)
        box.press("Enter")

    def wait_bot_after(self, before: int, timeout: float = 60.0, settle: float = 1.5) -> List[str]:
        """Bot messages that arrive after `before` ones were shown, once they stop coming."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        started = time.monotonic()
        try:
            self.page.wait_for_function(
                "([sel, n]) => document.querySelector('#debtchat-root').shadowRoot"
                ".querySelectorAll(sel).length > n",
                arg=[".dc-bot", before], timeout=timeout * 1000,
            )
        except PlaywrightTimeout:
            raise AssertionError(
                f"no bot message within {timeout:.0f} s (widget connection: {self.connection()!r}). "
                "If Rasa's log says \"coroutine 'AsyncServer.enter_room' was never awaited\", "
                "credentials.yml must use channels.socketio.SocketIOInput instead of socketio."
            ) from None
        self.first_latency = time.monotonic() - started
        last, stable_since = -1, time.monotonic()
        while time.monotonic() - stable_since < settle:
            n = len(self.bot_texts())
            if n != last:
                last, stable_since = n, time.monotonic()
            time.sleep(0.2)
        return self.bot_texts()[before:]

    def ask(self, text: str, timeout: float = 60.0) -> List[str]:
        before = len(self.bot_texts())
        self.type_and_enter(text)
        return self.wait_bot_after(before, timeout)


def is_japanese(text: str) -> bool:
    return re.search(JAPANESE, text) is not None
