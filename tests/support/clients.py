"""Clients that talk to a test stack the way visitors do: Rasa's REST channel (a
RestClient per visitor, or raw bodies) and the socket.io channel (SocketVisitor)."""

from __future__ import annotations

import asyncio
import http.client
import json
import urllib.request
import uuid
from typing import Any, Dict, List, Optional, Tuple

REST_PATH = "/webhooks/rest/webhook"


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


def post_raw(port: int, body: bytes, path: str = REST_PATH, timeout: float = 60,
             headers: Optional[Dict[str, str]] = None) -> Tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", path, body=body,
                     headers={"Content-Type": "application/json", **(headers or {})})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def post_json(port: int, payload: Any, **kw: Any) -> Tuple[int, Any]:
    status, data = post_raw(port, json.dumps(payload, ensure_ascii=False).encode("utf-8"), **kw)
    try:
        return status, json.loads(data)
    except ValueError:
        return status, data


def texts_of(reply: Any) -> List[str]:
    return [m.get("text", "") for m in reply] if isinstance(reply, list) else []


class SocketVisitor:
    """A widget-like socket.io client (python-socketio AsyncClient, polling transport: the
    websocket transport fails with this aiohttp) that joins a session like the widget does.

    ``say`` sends with an acknowledgement: python-socketio acknowledges an event after the
    server's handler returned, and everything that handler emitted was queued before the
    acknowledgement, so the bot messages received by then are the whole answer."""

    def __init__(self, url: str, session_id: Optional[str] = None) -> None:
        self.url = url
        self.session_id = session_id or uuid.uuid4().hex
        self.received: List[Any] = []
        self.client: Any = None

    async def __aenter__(self) -> SocketVisitor:
        import socketio

        self.client = socketio.AsyncClient(reconnection=False)
        confirmed: asyncio.Future = asyncio.get_running_loop().create_future()

        @self.client.on("session_confirm")
        async def on_confirm(sid: Any) -> None:
            if not confirmed.done():
                confirmed.set_result(sid)

        @self.client.on("bot_uttered")
        async def on_bot(msg: Any) -> None:
            self.received.append(msg)

        await self.client.connect(self.url, socketio_path="/socket.io", transports=["polling"])
        await self.client.emit("session_request", {"session_id": self.session_id})
        assert await asyncio.wait_for(confirmed, 30) == self.session_id
        return self

    async def __aexit__(self, *exc: Any) -> None:
        # drop the connection at once (a polite polling disconnect waits for the long poll)
        await self.client.eio.disconnect(abort=True)

    async def send(self, payload: Any = None, timeout: float = 90) -> List[Any]:
        """Emit ``user_uttered`` with ``payload`` as it is (None: no argument at all);
        the bot messages it brought."""
        mark = len(self.received)
        await self.client.call("user_uttered", payload, timeout=timeout)
        await asyncio.sleep(0.3)   # let the client's event tasks run
        return self.received[mark:]

    async def say(self, text: Any, timeout: float = 90, **extra: Any) -> List[Any]:
        return await self.send({"message": text, "session_id": self.session_id, **extra},
                               timeout=timeout)

    async def texts(self, text: Any, **kw: Any) -> List[str]:
        return [m.get("text", "") if isinstance(m, dict) else m for m in await self.say(text, **kw)]

    @property
    def eio_sid(self) -> str:
        return self.client.eio.sid


# -- reading a REST conversation (the bot's messages as Rasa returns them) ----------------
def joined(messages):
    return "\n".join(m.get("text", "") for m in messages)


def buttons(messages):
    return [b for m in messages for b in m.get("buttons", [])]


def click(visitor, messages, title):
    for b in buttons(messages):
        if b["title"] == title:
            return visitor.send(b["payload"])
    raise AssertionError(f"no button {title!r} in {[b['title'] for b in buttons(messages)]}")


def answer_until_result(visitor, first, answers, limit=15):
    """Answer each question: a matching button title if one fits, else わからない."""
    out = first
    for _ in range(limit):
        if "診断結果" in joined(out) or "今のお話では" in joined(out):
            return out
        titles = [b["title"] for b in buttons(out)]
        for wanted in answers:
            if wanted in titles:
                out = click(visitor, out, wanted)
                break
        else:
            out = click(visitor, out, "わからない") if "わからない" in titles else visitor.send("わからない")
    raise AssertionError(f"no result after {limit} answers: {joined(out)}")
