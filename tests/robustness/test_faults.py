"""Fault tests on a real Stack over loopback HTTP (issue 8, part 3).

* The action server stopped mid-conversation: stock Rasa 3.6 logs the failed custom
  action, drops its events and the REST channel answers 200 ``[]`` (silence) to every
  message. With channels/rest.py the visitor gets ``APOLOGY``; once the action server is
  back (a new process on the same port) the conversation goes on.
* The Rasa server restarted mid-diagnosis: the SQL tracker store keeps the conversation,
  so the next answer continues the diagnosis instead of starting over.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import pytest

from channels.rest import APOLOGY
from tests.support.clients import SocketVisitor, post_json, post_raw, texts_of
from tests.support.line import new_token, new_user, sign, text_event
from tests.support.stack import make_stack, start_service, start_stack, stop_service
from tests.support.trackers import Events

pytestmark = pytest.mark.slow
DEBT_TOTAL_Q = "借金は全部でいくら"
DIAGNOSIS_START = "あなたに合う方法を一緒に確認します"


@pytest.fixture(scope="module")
def fault_stack(trained_model, rob_fake_line, tmp_path_factory):
    with start_stack(trained_model, tmp_path_factory.mktemp("fault-var"), line=rob_fake_line) as stack:
        yield stack


def say(stack, sender: str, text: str) -> list:
    status, reply = post_json(stack.rasa_port, {"sender": sender, "message": text})
    assert status == 200, reply
    return texts_of(reply)


def line_say(stack, fake_line, user: str, text: str) -> list:
    mark, token = fake_line.mark(), new_token()
    body = json.dumps({"destination": "U" + "0" * 32,
                       "events": [text_event(user, token, text)]}).encode()
    status, _ = post_raw(stack.rasa_port, body, path="/webhooks/line/webhook",
                         headers={"X-Line-Signature": sign(body)})
    assert status == 200
    return fake_line.wait_reply(token, since=mark, timeout=60).texts


async def socket_say_while(visitor_texts, texts):
    async with SocketVisitor(visitor_texts) as visitor:
        return [await visitor.texts(t) for t in texts]


def test_action_server_down_gets_an_apology_and_the_conversation_continues_when_it_is_back(
        fault_stack, rob_fake_line):
    sender = f"fault-{uuid.uuid4().hex[:10]}"
    line_user = new_user()
    assert APOLOGY not in say(fault_stack, sender, "こんにちは")

    stop_service(fault_stack, "actions")
    try:
        for text in ("自分に合う方法を知りたい", "こんにちは"):
            started = time.monotonic()
            assert say(fault_stack, sender, text) == [APOLOGY]
            assert time.monotonic() - started < 5          # no long hang before the apology
        # the same short apology on the widget's socket.io channel and on LINE, not silence
        socket_replies = asyncio.run(socket_say_while(fault_stack.rasa_url, ["自分に合う方法を知りたい"]))
        assert socket_replies == [[APOLOGY]]
        assert line_say(fault_stack, rob_fake_line, line_user, "自分に合う方法を知りたい") == [APOLOGY]
        assert [s.name for s in fault_stack.dead_services()] == ["actions"]
    finally:
        start_service(fault_stack, "actions")

    line_back = line_say(fault_stack, rob_fake_line, line_user, "自分に合う方法を知りたい")
    assert any(DEBT_TOTAL_Q in t for t in line_back), line_back

    first = say(fault_stack, sender, "自分に合う方法を知りたい")
    assert any(DIAGNOSIS_START in t for t in first) and any(DEBT_TOTAL_Q in t for t in first), first
    second = say(fault_stack, sender, "300万です")
    assert second and APOLOGY not in second and not any(DEBT_TOTAL_Q in t for t in second), second
    assert fault_stack.dead_services() == []


def test_rasa_restart_resumes_the_diagnosis_where_it_was(fault_stack):
    sender = f"restart-{uuid.uuid4().hex[:10]}"
    first = say(fault_stack, sender, "自分に合う方法を知りたい")
    assert any(DEBT_TOTAL_Q in t for t in first), first
    before_restart = say(fault_stack, sender, "300万です")
    assert before_restart and not any(DEBT_TOTAL_Q in t for t in before_restart)

    stop_service(fault_stack, "rasa")
    start_service(fault_stack, "rasa")

    after = say(fault_stack, sender, "5万円です")
    assert after and APOLOGY not in after
    assert not any(DEBT_TOTAL_Q in t or DIAGNOSIS_START in t for t in after), after
    events = Events(fault_stack.var_dir / "rasa.db")
    rows = events.rows(sender)
    slots = [(d["name"], d["value"]) for t, d in rows if t == "slot"]
    # the answer given after the restart was added to the facts gathered before it
    assert ("facts", {"debt_total": 3_000_000, "monthly_capacity": 50_000}) in slots, slots
    asking = [v for n, v in slots if n == "asking"]
    assert asking[-1] not in ("debt_total", "monthly_capacity"), asking   # the next question, not a repeat
    assert [t for t, _ in rows].count("session_started") == 1, "the restart began a new session"
    assert fault_stack.dead_services() == []


def test_unreachable_database_is_one_clear_line(trained_model, tmp_path):
    from runner.stack import StartupError

    stack = make_stack(trained_model, tmp_path, env={"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/x"},
                       local_stores=False)
    with pytest.raises(StartupError, match="データベース.*接続できません") as info:
        stack.start()
    assert "\n" not in str(info.value)
    assert all(s.proc is None for s in stack.services)   # nothing was started


@pytest.mark.slow
def test_auth_token_that_looks_like_an_option_still_starts(trained_model, tmp_path):
    """A token starting with "-" must reach Rasa as the token, not as an option."""
    stack = make_stack(trained_model, tmp_path, env={"RASA_AUTH_TOKEN": "-starts-with-dash"})
    rasa = next(s for s in stack.services if s.name == "rasa")
    assert "--auth-token=-starts-with-dash" in rasa.cmd
    with stack:   # starts only if Rasa took the token (the health check uses it)
        assert stack.dead_services() == []
