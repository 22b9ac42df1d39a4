"""LineInput's event handling without servers: a recording stand-in for the LINE API and
a stand-in for Rasa's message handler. The HTTP path is in test_line_webhook.py."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time

import pytest
from rasa.shared.exceptions import RasaException

from channels.line import (
    GREETING_PAYLOAD,
    LineInput,
    LinePushOutput,
    pseudonym,
    pseudonym_key_from,
    signature_for,
)
from channels.line_api import DEFAULT_API_BASE_URL, REPLY_PATH, LineApiError
from channels.rest import APOLOGY, EMPTY_TEXT, TOO_LONG

SECRET = "unit-test-channel-secret"
USER = "U4af4980629aaaaaaaaaaaaaaaaaaaaaa"


class RecordingApi:
    def __init__(self, invalid_tokens=()):
        self.calls = []
        self.invalid_tokens = set(invalid_tokens)

    async def reply(self, token, messages):
        self.calls.append(("reply", token, messages))
        if token in self.invalid_tokens:
            raise LineApiError(REPLY_PATH, 400, '{"message":"Invalid reply token"}')
        return {}

    async def push(self, to, messages, retry_key=None):
        self.calls.append(("push", to, messages))
        return {}

    async def close(self):
        pass


class SilentRasa:
    """Rasa with the action server down: takes the message and sends nothing."""

    def __init__(self):
        self.received = []

    async def __call__(self, message):
        self.received.append(message)


class FakeRasa:
    """Answers every message with its text echoed, and records what Rasa received."""

    def __init__(self, delay=0.0, fail=False):
        self.received = []
        self.delay = delay
        self.fail = fail

    async def __call__(self, message):
        self.received.append(message)
        if self.delay:
            await asyncio.sleep(self.delay(message) if callable(self.delay) else self.delay)
        if self.fail:
            raise RuntimeError("model exploded")
        await message.output_channel.send_response(
            message.sender_id, {"text": f"受け付けました: {message.text}",
                                "buttons": [{"title": "はい", "payload": "/affirm"}]})


def event(kind="message", user=USER, token="rt-1", event_id="01EVT1", text="こんにちは",
          age_s=0.0, **extra):
    ev = {"type": kind, "mode": "active", "timestamp": int((time.time() - age_s) * 1000),
          "source": {"type": "user", "userId": user}, "webhookEventId": event_id,
          "deliveryContext": {"isRedelivery": False}, "replyToken": token}
    if kind == "message":
        ev["message"] = {"id": "1", "type": "text", "text": text}
    ev.update(extra)
    return ev


def channel(api=None, **kwargs):
    return LineInput(SECRET, "token", api=api or RecordingApi(), **kwargs)


async def handle(ch, ev, rasa):
    await ch.handle_event(ev, ev["source"]["userId"], rasa)


# -- configuration and identity ----------------------------------------------------------
def test_from_credentials_none_reads_the_environment(monkeypatch):
    monkeypatch.setenv("LINE_CHANNEL_SECRET", SECRET)
    monkeypatch.setenv("LINE_CHANNEL_ACCESS_TOKEN", "tok")
    monkeypatch.delenv("LINE_API_BASE_URL", raising=False)
    monkeypatch.delenv("LINE_PSEUDONYM_KEY", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    ch = LineInput.from_credentials(None)
    assert ch.name() == "line" and ch.url_prefix() == "line"
    assert ch.api.base_url == DEFAULT_API_BASE_URL == "https://api.line.me"
    monkeypatch.setenv("LINE_API_BASE_URL", "http://127.0.0.1:9/")
    assert LineInput.from_credentials(None).api.base_url == "http://127.0.0.1:9"


def test_missing_secret_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("LINE_CHANNEL_SECRET", raising=False)
    monkeypatch.setenv("LINE_CHANNEL_ACCESS_TOKEN", "tok")
    with pytest.raises(RasaException, match="LINE_CHANNEL_SECRET"):
        LineInput.from_credentials(None)


def test_signature_is_base64_hmac_sha256_of_the_raw_body():
    body = json.dumps({"events": []}).encode()
    expected = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
    assert signature_for(SECRET, body) == expected
    ch = channel()
    assert ch.is_signature_valid(body, expected)
    assert not ch.is_signature_valid(body + b" ", expected)
    assert not ch.is_signature_valid(body, expected[:-2] + "AA")
    assert not ch.is_signature_valid(body, "日本語")  # non-ASCII header: rejected, no crash


def test_pseudonym_is_keyed_stable_and_hides_the_user_id():
    ch = channel()
    sender = ch.sender_id_for(USER)
    assert sender == ch.sender_id_for(USER)
    assert sender.startswith("line:") and len(sender) == 5 + 32 and USER not in sender
    derived = hmac.new(SECRET.encode(), b"line-user-pseudonym-v1", hashlib.sha256).digest()
    assert sender == "line:" + hmac.new(derived, USER.encode(), hashlib.sha256).hexdigest()[:32]
    explicit = LineInput(SECRET, "token", pseudonym_key="k1", api=RecordingApi())
    assert explicit.sender_id_for(USER) == pseudonym(pseudonym_key_from(SECRET, "k1"), USER) != sender


def test_blueprint_makes_no_network_connection():
    ch = LineInput(SECRET, "token", api_base_url="http://192.0.2.1:9")
    ch.blueprint(FakeRasa())
    assert ch.api._session is None


# -- events ----------------------------------------------------------------------------
async def test_text_goes_to_the_bot_and_the_answer_is_replied():
    api, rasa = RecordingApi(), FakeRasa()
    ch = channel(api)
    await handle(ch, event(text="過払い金ありますか"), rasa)
    (msg,) = rasa.received
    assert msg.text == "過払い金ありますか" and msg.input_channel == "line"
    assert msg.sender_id == ch.sender_id_for(USER) and msg.message_id == "01EVT1"
    assert USER not in json.dumps(msg.metadata)  # nothing in the tracker names the user
    assert msg.metadata == {"line": {"event_type": "message", "webhook_event_id": "01EVT1",
                                     "redelivery": False}}
    (call,) = api.calls
    assert call[0] == "reply" and call[1] == "rt-1"
    assert call[2][-1]["text"] == "受け付けました: 過払い金ありますか"
    assert call[2][-1]["quickReply"]["items"][0]["action"]["data"] == "/affirm"


async def test_postback_sends_its_data_follow_sends_greet():
    rasa = FakeRasa()
    ch = channel()
    await handle(ch, event("postback", postback={"data": '/ask_cost{"procedure":"bankruptcy"}'}), rasa)
    await handle(ch, event("follow", event_id="02"), rasa)
    assert [m.text for m in rasa.received] == ['/ask_cost{"procedure":"bankruptcy"}', GREETING_PAYLOAD]


@pytest.mark.parametrize("kind,name", [("sticker", "スタンプ"), ("image", "画像"), ("video", "動画"),
                                       ("audio", "音声メッセージ"), ("location", "位置情報"),
                                       ("file", "ファイル")])
async def test_non_text_gets_a_polite_request_and_no_bot_call(kind, name):
    api, rasa = RecordingApi(), FakeRasa()
    ev = event()
    ev["message"] = {"id": "1", "type": kind}
    await handle(channel(api), ev, rasa)
    assert rasa.received == []
    (call,) = api.calls
    texts = [m["text"] for m in call[2]]
    assert texts == [f"申し訳ありません。{name}は読み取ることができません。",
                     "お手数ですが、ご質問を文字で入力してください。"]


@pytest.mark.parametrize("kind", ["unfollow", "join", "beacon", "accountLink", "somethingNew"])
async def test_unfollow_and_unknown_events_are_ignored(kind):
    api, rasa = RecordingApi(), FakeRasa()
    await handle(channel(api), event(kind), rasa)
    assert rasa.received == [] and api.calls == []


async def test_standby_mode_is_ignored():
    api, rasa = RecordingApi(), FakeRasa()
    await handle(channel(api), event(mode="standby"), rasa)
    assert rasa.received == [] and api.calls == []


async def test_redelivered_event_is_processed_once():
    api, rasa = RecordingApi(), FakeRasa()
    ch = channel(api)
    await handle(ch, event(event_id="01SAME", token="first"), rasa)
    again = event(event_id="01SAME", token="second", deliveryContext={"isRedelivery": True})
    await handle(ch, again, rasa)
    assert len(rasa.received) == 1 and [c[1] for c in api.calls] == ["first"]


async def test_old_event_is_answered_by_push_to_the_user():
    api = RecordingApi()
    await handle(channel(api), event(age_s=55), FakeRasa())
    assert [(c[0], c[1]) for c in api.calls] == [("push", USER)]


async def test_invalid_reply_token_falls_back_to_push():
    api = RecordingApi(invalid_tokens={"used"})
    await handle(channel(api), event(token="used"), FakeRasa())
    assert [(c[0], c[1]) for c in api.calls] == [("reply", "used"), ("push", USER)]
    assert api.calls[0][2] == api.calls[1][2]


async def test_bot_failure_still_answers_with_an_apology():
    api = RecordingApi()
    await handle(channel(api), event(), FakeRasa(fail=True))
    (call,) = api.calls
    assert call[:2] == ("reply", "rt-1") and [m["text"] for m in call[2]] == [APOLOGY]


async def test_no_bot_message_gets_the_apology_not_silence():
    """What Rasa does with the action server down: the message is handled, nothing is said."""
    api, rasa = RecordingApi(), SilentRasa()
    await handle(channel(api), event(), rasa)
    assert len(rasa.received) == 1
    (call,) = api.calls
    assert call[:2] == ("reply", "rt-1") and [m["text"] for m in call[2]] == [APOLOGY]


async def test_apology_is_pushed_when_the_reply_token_is_too_old():
    api = RecordingApi()
    await handle(channel(api), event(age_s=55), SilentRasa())
    assert api.calls == [("push", USER, [{"type": "text", "text": APOLOGY}])]


async def test_cancelled_handling_still_apologises():
    api, rasa = RecordingApi(), FakeRasa(delay=3600)
    task = asyncio.create_task(handle(channel(api), event(), rasa))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert [m["text"] for m in api.calls[0][2]] == [APOLOGY]


@pytest.mark.parametrize("text, expected", [
    ("", EMPTY_TEXT),
    (" \n\u3000 ", EMPTY_TEXT),
    ("\x00\x1b\x7f", EMPTY_TEXT),
    ("\ud800\udfff", EMPTY_TEXT),
    (None, EMPTY_TEXT),
    (123, EMPTY_TEXT),
    ("借金" * 2_501, TOO_LONG),
], ids=["empty", "whitespace", "controls", "surrogates", "null", "number", "5002-chars"])
async def test_text_that_cannot_be_a_question_gets_a_polite_reply_and_no_bot_call(text, expected):
    api, rasa = RecordingApi(), FakeRasa()
    await handle(channel(api), event(text=text), rasa)
    assert rasa.received == []
    (call,) = api.calls
    assert [m["text"] for m in call[2]] == [expected]


async def test_text_is_cleaned_before_the_bot_sees_it():
    rasa = FakeRasa()
    await handle(channel(), event(text="借金が\x00300万\ud800\r\nあります"), rasa)
    assert rasa.received[0].text == "借金が 300万\nあります"


@pytest.mark.parametrize("fields", [
    {"message": "not an object"},
    {"message": ["text"]},
    {"message": {"type": ["text"], "text": "x"}},
    {"deliveryContext": "yes"},
    {"webhookEventId": {"id": 1}},
    {"replyToken": 12345},
    {"timestamp": "yesterday"},
    {"type": ["message"]},
    {"type": "postback", "postback": "data"},
    {"type": "postback", "postback": {"data": 7}},
], ids=["message-str", "message-list", "type-list", "context-str", "event-id-object",
        "token-number", "timestamp-str", "type-list-event", "postback-str", "postback-data-number"])
async def test_fields_of_the_wrong_type_never_raise(fields):
    api, rasa = RecordingApi(), FakeRasa()
    ev = event()
    ev.update(fields)
    await handle(channel(api), ev, rasa)   # no exception
    for _kind, to, messages in api.calls:
        assert to in ("rt-1", USER) and messages and all(m.get("text") for m in messages)
    assert len(api.calls) <= 1
    for msg in rasa.received:
        assert isinstance(msg.text, str) and msg.text.strip()
        assert msg.message_id is None or isinstance(msg.message_id, str)


@pytest.mark.parametrize("source", [None, "U1", {"type": "user", "userId": ["U1"]},
                                    {"type": "group", "groupId": 5}, {"type": "room"},
                                    {"type": "user", "userId": ""}],
                         ids=["none", "str", "id-list", "id-number", "no-id", "empty-id"])
async def test_events_without_a_usable_chat_id_are_not_queued(source):
    rasa = FakeRasa()
    ch = channel()
    ch._queue_event(event(source=source), rasa, time.time())
    assert not ch._lanes.busy()


async def test_push_output_finds_the_user_by_pseudonym_and_forgets_on_unfollow():
    api = RecordingApi()
    ch = channel(api)
    await handle(ch, event(), FakeRasa())
    out = ch.get_output_channel()
    assert isinstance(out, LinePushOutput) and out.name() == "line"
    sender = ch.sender_id_for(USER)
    await out.send_response(sender, {"text": "担当者からのご連絡です。"})
    assert api.calls[-1] == ("push", USER, [{"type": "text", "text": "担当者からのご連絡です。"}])
    await handle(ch, event("unfollow", event_id="03"), FakeRasa())
    before = len(api.calls)
    await out.send_response(sender, {"text": "届かないはず"})
    assert len(api.calls) == before


async def test_one_users_events_run_in_order_while_users_run_concurrently():
    rasa = FakeRasa(delay=lambda m: 0.2 if m.text.endswith("1") else 0.01)
    api = RecordingApi()
    ch = channel(api)
    bp_handler = ch._queue_event
    started = time.monotonic()
    for user in ("Ua", "Ub"):
        for i in (1, 2, 3):
            bp_handler(event(user=user, token=f"{user}-{i}", event_id=f"{user}{i}", text=f"{user}-{i}"),
                       rasa, time.time())
    while ch._lanes.busy():
        await asyncio.sleep(0.01)
    elapsed = time.monotonic() - started
    tokens = [c[1] for c in api.calls]
    for user in ("Ua", "Ub"):
        assert [t for t in tokens if t.startswith(user)] == [f"{user}-1", f"{user}-2", f"{user}-3"]
    assert elapsed < 0.35  # both users' slow first messages overlapped (2 x 0.2 s otherwise)
