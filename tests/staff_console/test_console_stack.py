"""End to end: the product as `make run` starts it (runner.stack.Stack with the console on its
own port), visitors chatting through REST and LINE (the fake LINE API of tests/support),
then a staff member finding those conversations in the console by filter and search,
reading what the bot understood, and handling the handoff."""

from __future__ import annotations

import time
import uuid

import pytest

from tests.staff_console import helpers
from tests.staff_console.helpers import HttpClient
from tests.support.clients import RestClient
from tests.support.fake_line import FakeLine
from tests.support.line import ACCESS_TOKEN, LineWebhook, new_token, new_user, pseudonym_of, text_event
from tests.support.stack import start_stack

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def product(trained_model, tmp_path_factory):
    var_dir = tmp_path_factory.mktemp("console-stack")
    with FakeLine(ACCESS_TOKEN) as fake_line:
        with start_stack(trained_model, var_dir, line=fake_line, console=True) as stack:
            yield stack, fake_line


def wait_for(client: HttpClient, path: str, needle: str, timeout: float = 30.0, **params) -> str:
    deadline = time.monotonic() + timeout
    while True:
        status, _, html = client.get(path, **params)
        assert status == 200
        if needle in html or time.monotonic() > deadline:
            return html
        time.sleep(0.5)


def test_staff_finds_reads_and_handles_conversations(product):
    stack, fake_line = product
    console = next(s for s in stack.services if s.name == "console")
    assert stack.ports["console"] == console.port

    rest = RestClient(stack.rasa_url, sender=f"e2e-{uuid.uuid4().hex[:8]}")
    assert rest.send("任意整理を断られました")
    assert rest.send("/request_human")          # the button payload: parsed without NLU
    line_user = new_user()
    line_event = text_event(line_user, new_token(), "自己破産すると家族にバレますか")
    status, _, _ = LineWebhook(stack.rasa_port).post([line_event])
    assert status == 200
    line_sender = pseudonym_of(line_user)
    fake_line.wait_for(lambda calls: any(c.reply_token for c in calls), timeout=60)

    db_url = f"sqlite:///{stack.var_dir / 'rasa.db'}"
    helpers.create_console_user(db_url, stack.var_dir, "staff", helpers.DEFAULT_PASSWORD)
    client = HttpClient(console.url)
    assert client.login("staff")[0] == 303

    # search in Japanese finds the REST visitor; the channel filter finds the LINE one
    html = wait_for(client, "/conversations", f"/conversations/{rest.sender}", q="断られ")
    assert f"/conversations/{rest.sender}" in html and line_sender not in html
    html = wait_for(client, "/conversations", f"/conversations/{line_sender}", channel="line")
    assert f"/conversations/{line_sender}" in html and rest.sender not in html

    # the transcript shows what Rasa understood, as Rasa recorded it
    tracker_events = [e for e in _tracker(stack, rest.sender) if e.get("event") == "user"]
    first_intent = tracker_events[0]["parse_data"]["intent"]
    status, _, page = client.get(f"/conversations/{rest.sender}")
    assert status == 200 and "任意整理を断られました" in page
    assert first_intent["name"] in page and f"{first_intent['confidence']:.2f}" in page
    assert "handoff_requested" in page

    # the handoff is in the queue until a staff member marks it handled
    queue = wait_for(client, "/queue", rest.sender)
    assert f"/conversations/{rest.sender}" in queue
    token = client.csrf("/queue")
    status, headers, _ = client.request("POST", "/review/handled", {"sender_id": rest.sender, "value": "1",
                                                                    "return": "queue", "csrf_token": token})
    assert status == 303
    assert rest.sender not in client.get("/queue")[2]


def _tracker(stack, sender_id):
    import json
    import urllib.request

    url = f"{stack.rasa_url}/conversations/{sender_id}/tracker?token={stack.auth_token}"
    with urllib.request.urlopen(url, timeout=30) as resp:
        return json.loads(resp.read())["events"]
