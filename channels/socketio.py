"""Rasa's socket.io input channel with session rooms that deliver, input checks, and an
apology instead of silence.

**Session rooms.** Rasa 3.6's ``SocketIOInput`` answers ``session_request`` with
``sio.enter_room(sid, session_id)`` but never awaits it. Since python-socketio 5.9
``AsyncServer.enter_room`` is a coroutine (5.18.1 is what Rasa 3.6.21's range resolves
to here), so the client never joins the room named after its session id, and with
``session_persistence: true`` every bot message, which Rasa emits to that room, reaches
nobody ("coroutine 'AsyncServer.enter_room' was never awaited"; RasaHQ/rasa#13027,
open). ``session_request`` is replaced to await it.

**Messages** (``user_uttered``). Stock Rasa 3.6, measured against this bot: a payload that
is not an object, or metadata that is a string but not JSON, raises inside the handler
(logged, the visitor hears nothing); a message that is a number or a list reaches NLU
as is; a lone surrogate or control characters go through NLU and into the tracker store;
a 20,000-character message goes through NLU whole; a missing session id is dropped
without a word; and when the action server is down the action's events are dropped and
the visitor gets silence. This subclass replaces that handler too (python-socketio keeps
one handler per event), keeping the payloads, ``bot_uttered`` format and
``input_channel`` = "socketio", and:

* a payload that is not an object, or whose ``message`` is not a string, gets the polite
  ``UNREADABLE`` reply; bad ``metadata`` is dropped (with a warning) and the message
  answered;
* with ``session_persistence`` the ``session_id`` must be one this socket was given by
  ``session_request`` (so a client cannot write into, or emit to, a room it is not in,
  such as another client's socket id); otherwise the socket gets ``SESSION_LOST``;
* the text is cleaned with ``channels.rest.clean_text`` (control characters, lone
  surrogates); an empty or over-long text gets ``EMPTY_TEXT`` / ``TOO_LONG`` and never
  reaches the bot (nothing is stored);
* when handling the message produced no bot message (the action server unreachable,
  an exception in the pipeline, a timeout), the visitor gets ``APOLOGY``.

Replies that do not come from the bot are emitted with the channel's ``bot_message_evt``
to the room Rasa itself uses: the session id with ``session_persistence``, else the
socket id.

Used from credentials.yml as ``channels.socketio.SocketIOInput`` in place of ``socketio``
(same keys). Only the Rasa process imports this module; the web service does not.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from asyncio import CancelledError
from typing import Any, Awaitable, Callable, Dict, Optional

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput as RasaSocketIOInput
from rasa.core.channels.socketio import SocketIOOutput
from sanic import Blueprint

from channels.rest import APOLOGY, EMPTY_TEXT, MAX_TEXT_CHARS, TOO_LONG, clean_text

logger = logging.getLogger(__name__)

# What the widget sends: crypto.randomUUID() or 32 hex digits. Anything else gets a
# fresh id, so a client cannot pick a room name that is another client's socket id.
SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")

UNREADABLE = "メッセージを読み取れませんでした。ご相談したい内容を文字でお送りください。"
SESSION_LOST = "接続が切り替わったため、メッセージを受け付けられませんでした。ページを再読み込みしてからもう一度お送りください。"


class CountingOutput(SocketIOOutput):
    """Rasa's socket.io output that counts the bot messages it emits for one user message."""

    def __init__(self, sio: Any, bot_message_evt: str) -> None:
        super().__init__(sio, bot_message_evt)
        self.sent = 0

    async def _send_message(self, socket_id: str, response: Any) -> None:
        self.sent += 1
        await super()._send_message(socket_id, response)

    async def send_custom_json(self, recipient_id: str, json_message: Dict[str, Any],
                               **kwargs: Any) -> None:
        self.sent += 1
        await super().send_custom_json(recipient_id, json_message, **kwargs)


def _metadata(raw: Any) -> Optional[Dict[str, Any]]:
    """The message's metadata: an object, or a JSON text of an object; else none."""
    if raw is None or isinstance(raw, dict):
        return raw
    if isinstance(raw, str):
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            return parsed
    logger.warning("socketio: metadata that is not a JSON object was dropped")
    return None


class SocketIOInput(RasaSocketIOInput):
    """``socketio`` channel whose session rooms deliver and whose visitors never get silence."""

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        bp = super().blueprint(on_new_message)
        sio = self.sio
        assert sio is not None  # set by super().blueprint

        async def say(room: str, text: str) -> None:
            await sio.emit(self.bot_message_evt, {"text": text}, room=room,
                           namespace=self.namespace)

        # Registering the same event again replaces Rasa's handler (python-socketio
        # keeps one handler per event and namespace).
        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: str, data: Any = None, *_: Any) -> None:
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

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def user_uttered(sid: str, data: Any = None, *_: Any) -> None:
            if not isinstance(data, dict):
                logger.warning("socketio: %s from %s is not an object; asked to retype",
                               self.user_message_evt, sid)
                await say(sid, UNREADABLE)
                return
            if self.session_persistence:
                session_id = data.get("session_id")
                if not (isinstance(session_id, str) and SESSION_ID.match(session_id)
                        and session_id in sio.rooms(sid, namespace=self.namespace)):
                    logger.warning("socketio: message from %s without a session it joined "
                                   "(session_request first); not processed", sid)
                    await say(sid, SESSION_LOST)
                    return
                sender_id = session_id
            else:
                sender_id = sid

            raw = data.get("message")
            if not isinstance(raw, str):
                logger.warning("socketio: message of %s is %s, not text", sender_id,
                               type(raw).__name__)
                await say(sender_id, UNREADABLE)
                return
            text = clean_text(raw)
            if not text.strip():
                await say(sender_id, EMPTY_TEXT)
                return
            if len(text) > MAX_TEXT_CHARS:
                await say(sender_id, TOO_LONG)
                return

            output = CountingOutput(sio, self.bot_message_evt)
            message = UserMessage(text, output, sender_id, input_channel=self.name(),
                                  metadata=_metadata(data.get(self.metadata_key)))
            try:
                await on_new_message(message)
            except CancelledError:
                logger.error("socketio: handling the message of %s was cancelled", sender_id)
                if not output.sent:
                    await say(sender_id, APOLOGY)
                raise
            except Exception:
                logger.exception("socketio: handling the message of %s failed", sender_id)
            if not output.sent:
                logger.warning("socketio: no bot message for %s; answering with the apology",
                               sender_id)
                await say(sender_id, APOLOGY)

        return bp
