"""channels.socketio.SocketIOInput: session_request must really put the socket in the session's
room, or Rasa's replies (emitted to that room) reach nobody (RasaHQ/rasa#13027)."""

from __future__ import annotations

import pytest


async def _connected(channel):
    async def on_new_message(_):
        return None

    channel.blueprint(on_new_message)
    sio = channel.sio
    emitted = []

    async def emit(event, data=None, room=None, **kw):
        emitted.append((event, data, room))

    sio.emit = emit
    sid = await sio.manager.connect("eio-1", "/")
    return sio, sid, emitted


@pytest.mark.parametrize("session_id", ["0f5c2a5e9b3d4e6f8a1b2c3d4e5f6a7b"])
async def test_session_request_joins_the_session_room(session_id):
    from channels.socketio import SocketIOInput

    channel = SocketIOInput.from_credentials({"session_persistence": True})
    sio, sid, emitted = await _connected(channel)
    await sio.handlers["/"]["session_request"](sid, {"session_id": session_id})

    assert emitted == [("session_confirm", session_id, sid)]
    assert sid in sio.manager.rooms["/"][session_id]
    assert channel.name() == "socketio"      # input_channel in the tracker stays "socketio"


@pytest.mark.parametrize("bad", [None, {}, {"session_id": None}, {"session_id": "x"},
                                 {"session_id": "../../etc"}, {"session_id": 42}])
async def test_missing_or_odd_session_ids_get_a_fresh_one(bad):
    from channels.socketio import SocketIOInput

    channel = SocketIOInput.from_credentials({"session_persistence": True})
    sio, sid, emitted = await _connected(channel)
    await sio.handlers["/"]["session_request"](sid, bad)

    (event, new_id, room), = emitted
    assert event == "session_confirm" and room == sid
    assert isinstance(new_id, str) and len(new_id) == 32
    assert sid in sio.manager.rooms["/"][new_id]


async def test_another_clients_socket_id_is_refused():
    from channels.socketio import SocketIOInput

    channel = SocketIOInput.from_credentials({"session_persistence": True})
    sio, sid, emitted = await _connected(channel)
    other = await sio.manager.connect("eio-2", "/")
    await sio.handlers["/"]["session_request"](sid, {"session_id": other})
    (_, new_id, _), = emitted
    assert new_id != other
    assert sid not in sio.manager.rooms["/"].get(other, {})
