"""Rasa's socket.io input channel with session persistence that actually delivers.

Rasa 3.6's ``SocketIOInput`` answers ``session_request`` with
``sio.enter_room(sid, session_id)`` but never awaits it. Since python-socketio 5.9
``AsyncServer.enter_room`` is a coroutine (5.18.1 is what Rasa 3.6.21's range resolves
to here), so the client never joins the room named after its session id, and with
``session_persistence: true`` every bot message, which Rasa emits to that room, reaches
nobody ("coroutine 'AsyncServer.enter_room' was never awaited"; RasaHQ/rasa#13027,
open). This subclass replaces only that handler; everything else (events, payloads,
``input_channel`` = "socketio") is Rasa's own.

Used from credentials.yml as ``channels.socketio.SocketIOInput`` in place of ``socketio``
(same keys). Only the Rasa process imports this module; the web service does not.
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput as RasaSocketIOInput
from sanic import Blueprint

logger = logging.getLogger(__name__)

# What the widget sends: crypto.randomUUID() or 32 hex digits. Anything else gets a
# fresh id, so a client cannot pick a room name that is another client's socket id.
SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class SocketIOInput(RasaSocketIOInput):
    """``socketio`` channel whose ``session_request`` really enters the session room."""

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        bp = super().blueprint(on_new_message)
        sio = self.sio
        assert sio is not None  # set by super().blueprint

        # Registering the same event again replaces Rasa's handler (python-socketio
        # keeps one handler per event and namespace).
        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: Text, data: Optional[Dict]) -> None:
            requested = data.get("session_id") if isinstance(data, dict) else None
            session_id = requested if isinstance(requested, str) and SESSION_ID.match(requested) else None
            if session_id is None:
                session_id = uuid.uuid4().hex
            if self.session_persistence:
                try:
                    await sio.enter_room(sid, session_id, namespace=self.namespace)
                except ValueError:  # the id is some client's socket id: refuse it
                    session_id = uuid.uuid4().hex
                    await sio.enter_room(sid, session_id, namespace=self.namespace)
            await sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)
            logger.debug("socket %s joined session %s", sid, session_id)

        return bp
