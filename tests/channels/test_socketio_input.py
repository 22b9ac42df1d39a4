"""channels.socketio.SocketIOInput's ``user_uttered`` without servers: python-socketio's own
AsyncServer and manager with ``emit`` recorded, and a stand-in for Rasa's message handler.
The real-HTTP path (socket.io client, action server stopped) is in tests/robustness/."""

from __future__ import annotations

import asyncio

import pytest

from channels.rest import APOLOGY, EMPTY_TEXT, TOO_LONG
from channels.socketio import SESSION_LOST, UNREADABLE, SocketIOInput

SESSION = "0f5c2a5e9b3d4e6f8a1b2c3d4e5f6a7b"


class FakeRasa:
    """Answers like Rasa (through the message's output channel), stays silent like Rasa
    with the action server down, raises, or hangs until cancelled."""

    def __init__(self, mode: str = "answer") -> None:
        self.mode = mode
        self.received = []

    async def __call__(self, message):
        self.received.append(message)
        if self.mode == "answer":
            await message.output_channel.send_text_message(message.sender_id, "回答です。\n\n続きです。")
        elif self.mode == "custom":
            await message.output_channel.send_custom_json(message.sender_id, {"data": {"x": 1}})
        elif self.mode == "raise":
            raise RuntimeError("pipeline exploded")
        elif self.mode == "hang":
            await asyncio.sleep(3600)
        # "silent": like Rasa when the custom action could not be run


async def connected(rasa, persistence: bool = True, session: str = SESSION):
    channel = SocketIOInput.from_credentials({"session_persistence": persistence})
    channel.blueprint(rasa)
    sio = channel.sio
    emitted = []

    async def emit(event, data=None, room=None, to=None, namespace=None, **kw):
        emitted.append((event, data, room or to))

    sio.emit = emit
    sid = await sio.manager.connect("eio-1", "/")
    if persistence:
        await sio.handlers["/"]["session_request"](sid, {"session_id": session})
        emitted.clear()
    return sio, sid, emitted


async def utter(sio, sid, *args):
    await sio.handlers["/"]["user_uttered"](sid, *args)


def bot_texts(emitted, room):
    return [d.get("text") for e, d, r in emitted if e == "bot_uttered" and r == room]


async def test_answer_goes_to_the_session_room_without_apology():
    rasa = FakeRasa()
    sio, sid, emitted = await connected(rasa)
    await utter(sio, sid, {"message": "こんにちは", "session_id": SESSION})
    assert bot_texts(emitted, SESSION) == ["回答です。", "続きです。"]
    (msg,) = rasa.received
    assert msg.sender_id == SESSION and msg.input_channel == "socketio" and msg.text == "こんにちは"


async def test_custom_json_counts_as_an_answer():
    sio, sid, emitted = await connected(FakeRasa("custom"))
    await utter(sio, sid, {"message": "こんにちは", "session_id": SESSION})
    assert APOLOGY not in bot_texts(emitted, SESSION)


@pytest.mark.parametrize("mode", ["silent", "raise"])
async def test_no_bot_message_gets_the_apology_in_the_session_room(mode):
    sio, sid, emitted = await connected(FakeRasa(mode))
    await utter(sio, sid, {"message": "こんにちは", "session_id": SESSION})
    assert emitted == [("bot_uttered", {"text": APOLOGY}, SESSION)]


async def test_without_session_persistence_the_apology_goes_to_the_socket():
    rasa = FakeRasa("silent")
    sio, sid, emitted = await connected(rasa, persistence=False)
    await utter(sio, sid, {"message": "こんにちは"})
    assert emitted == [("bot_uttered", {"text": APOLOGY}, sid)]
    assert rasa.received[0].sender_id == sid


async def test_cancelled_handling_still_apologises():
    sio, sid, emitted = await connected(FakeRasa("hang"))
    task = asyncio.create_task(utter(sio, sid, {"message": "こんにちは", "session_id": SESSION}))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert emitted == [("bot_uttered", {"text": APOLOGY}, SESSION)]


@pytest.mark.parametrize("message, expected", [
    ("", EMPTY_TEXT),
    (" \n\t\u3000", EMPTY_TEXT),
    ("\x00\x1b\x7f", EMPTY_TEXT),
    ("\ud800", EMPTY_TEXT),
    ("借金" * 10_000, TOO_LONG),
    (123, UNREADABLE),
    (["借金"], UNREADABLE),
    (None, UNREADABLE),
    ({"text": "借金"}, UNREADABLE),
], ids=["empty", "whitespace", "controls", "surrogate", "20000-chars", "number", "list", "null", "object"])
async def test_text_that_cannot_be_a_question_gets_a_polite_reply_and_no_bot_call(message, expected):
    rasa = FakeRasa()
    sio, sid, emitted = await connected(rasa)
    await utter(sio, sid, {"message": message, "session_id": SESSION})
    assert emitted == [("bot_uttered", {"text": expected}, SESSION)]
    assert rasa.received == []


async def test_text_is_cleaned_before_the_bot_sees_it():
    rasa = FakeRasa()
    sio, sid, _ = await connected(rasa)
    await utter(sio, sid, {"message": "借金が\x00300万\ud800\r\nあります", "session_id": SESSION})
    assert rasa.received[0].text == "借金が 300万\nあります"


@pytest.mark.parametrize("payload", ["just text", 42, ["a"], None], ids=["str", "int", "list", "none"])
async def test_payload_that_is_not_an_object_is_answered_on_the_socket(payload):
    rasa = FakeRasa()
    sio, sid, emitted = await connected(rasa)
    await utter(sio, sid, payload)
    assert emitted == [("bot_uttered", {"text": UNREADABLE}, sid)]
    assert rasa.received == []


async def test_no_payload_at_all_is_answered_on_the_socket():
    sio, sid, emitted = await connected(FakeRasa())
    await utter(sio, sid)
    assert emitted == [("bot_uttered", {"text": UNREADABLE}, sid)]


@pytest.mark.parametrize("session", [None, "", 42, "short", "../../etc/passwd/xxxxxxxx",
                                     "1f5c2a5e9b3d4e6f8a1b2c3d4e5f6a7b"],
                         ids=["none", "empty", "number", "short", "path", "not-joined"])
async def test_message_for_a_session_the_socket_did_not_join_is_refused_politely(session):
    rasa = FakeRasa()
    sio, sid, emitted = await connected(rasa)
    await utter(sio, sid, {"message": "こんにちは", "session_id": session})
    assert emitted == [("bot_uttered", {"text": SESSION_LOST}, sid)]
    assert rasa.received == []


async def test_another_clients_socket_id_as_session_is_refused():
    rasa = FakeRasa()
    sio, sid, emitted = await connected(rasa)
    other = await sio.manager.connect("eio-2", "/")
    await utter(sio, sid, {"message": "こんにちは", "session_id": other})
    assert emitted == [("bot_uttered", {"text": SESSION_LOST}, sid)]
    assert rasa.received == []


@pytest.mark.parametrize("metadata, expected", [
    ({"page": "/faq"}, {"page": "/faq"}),
    ('{"page": "/faq"}', {"page": "/faq"}),
    ("{not json", None),
    ("[1, 2]", None),
    (5, None),
], ids=["object", "json-text", "bad-json", "json-list", "number"])
async def test_metadata_is_kept_when_an_object_and_dropped_otherwise(metadata, expected):
    rasa = FakeRasa()
    sio, sid, emitted = await connected(rasa)
    await utter(sio, sid, {"message": "こんにちは", "session_id": SESSION, "metadata": metadata})
    assert rasa.received[0].metadata == expected
    assert bot_texts(emitted, SESSION) == ["回答です。", "続きです。"]
