"""Fixtures shared by the whole suite.

``trained_model`` is the same fingerprinted model ``make run`` uses (models/<hash>.tar.gz),
trained once if the data changed and reused by every test. ``bot`` starts the real
action server and Rasa server on free loopback ports with their own SQLite store.
"""

from __future__ import annotations

import json
import os
import urllib.request
import uuid
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="session")
def trained_model() -> Path:
    """TEST_MODEL=path reuses a given model while developing; CI never sets it."""
    from runner.model import ensure_model

    if os.environ.get("TEST_MODEL") and not IN_CI:
        return Path(os.environ["TEST_MODEL"])
    return ensure_model()


@pytest.fixture(scope="session")
def bot(trained_model, tmp_path_factory):
    from runner.stack import Stack, free_port

    var_dir = tmp_path_factory.mktemp("var")
    env = {"DATABASE_URL": "", "REDIS_URL": ""}
    # web widget and console are started by their own fixtures (port 0 = not here)
    stack = Stack(trained_model, ports={"rasa": free_port(), "actions": free_port(), "web": 0, "console": 0},
                  var_dir=var_dir, env=env)
    stack.start()
    yield stack
    stack.stop()


class RestClient:
    """Talks to the bot through Rasa's REST channel, as a visitor's script would."""

    def __init__(self, base_url: str, sender: str | None = None) -> None:
        self.base_url = base_url
        self.sender = sender or f"test-{uuid.uuid4().hex[:12]}"

    def send(self, message: str) -> list[dict]:
        body = json.dumps({"sender": self.sender, "message": message}).encode()
        req = urllib.request.Request(
            f"{self.base_url}/webhooks/rest/webhook", data=body,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=60) as resp:
            return json.loads(resp.read())

    def texts(self, message: str) -> list[str]:
        return [m.get("text", "") for m in self.send(message)]


@pytest.fixture
def visitor(bot):
    return RestClient(bot.rasa_url)
