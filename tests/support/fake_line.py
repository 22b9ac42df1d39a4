"""A fake LINE Messaging API for the tests: a real aiohttp server on a free loopback port,
run in its own thread, that records every call and enforces LINE's documented limits.

It answers like LINE does:
- 401 without ``Authorization: Bearer <channel access token>``;
- 400 with LINE's error shape when a call breaks a limit: 1-5 messages, text 1-5,000
  characters (UTF-16 units), at most 13 quick-reply items, labels <= 20, postback data /
  displayText / message-action text <= 300;
- Reply: a reply token works once; tokens starting with ``expired`` are unknown;
  either gives 400 ``{"message": "Invalid reply token"}``;
- Push: ``to`` required; a repeated ``X-Line-Retry-Key`` of an accepted push gives 409.
``fail_next(path, status, times)`` makes the next calls to a path fail, to test retries.

Every call, successful or not, is recorded as a :class:`Call` in arrival order.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional

from aiohttp import web

REPLY = "/v2/bot/message/reply"
PUSH = "/v2/bot/message/push"


def line_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class Call:
    path: str
    body: Any
    status: int
    headers: Dict[str, str]
    at: float = field(default_factory=time.monotonic)  # time.monotonic() on arrival

    @property
    def messages(self) -> List[Dict[str, Any]]:
        return (self.body or {}).get("messages") or []

    @property
    def reply_token(self) -> Optional[str]:
        return (self.body or {}).get("replyToken")

    @property
    def to(self) -> Optional[str]:
        return (self.body or {}).get("to")

    @property
    def texts(self) -> List[str]:
        return [m.get("text", "") for m in self.messages if m.get("type") == "text"]

    @property
    def quick_reply(self) -> List[Dict[str, Any]]:
        if not self.messages:
            return []
        return ((self.messages[-1].get("quickReply") or {}).get("items")) or []


def limit_errors(messages: Any) -> List[str]:
    """What LINE would reject in a messages array (empty list: acceptable)."""
    errors: List[str] = []
    if not isinstance(messages, list) or not 1 <= len(messages) <= 5:
        return ["messages: must be 1 to 5 message objects"]
    for i, m in enumerate(messages):
        if m.get("type") == "text":
            text = m.get("text")
            if not isinstance(text, str) or not text or line_len(text) > 5000:
                errors.append(f"messages[{i}].text: 1 to 5000 characters")
        elif m.get("type") not in {"image", "sticker", "video", "audio", "location",
                                   "imagemap", "template", "flex"}:
            errors.append(f"messages[{i}].type: unknown")
        items = (m.get("quickReply") or {}).get("items")
        if items is None:
            continue
        if not 1 <= len(items) <= 13:
            errors.append(f"messages[{i}].quickReply.items: 1 to 13 items")
        for j, item in enumerate(items):
            action = item.get("action") or {}
            where = f"messages[{i}].quickReply.items[{j}].action"
            if not action.get("label") or line_len(action["label"]) > 20:
                errors.append(f"{where}.label: 1 to 20 characters")
            if action.get("type") == "postback":
                if not action.get("data") or line_len(action["data"]) > 300:
                    errors.append(f"{where}.data: 1 to 300 characters")
                if line_len(action.get("displayText") or "") > 300:
                    errors.append(f"{where}.displayText: at most 300 characters")
            elif action.get("type") == "message":
                if not action.get("text") or line_len(action["text"]) > 300:
                    errors.append(f"{where}.text: 1 to 300 characters")
            else:
                errors.append(f"{where}.type: unexpected {action.get('type')!r}")
    return errors


class FakeLine:
    def __init__(self, access_token: str) -> None:
        self.access_token = access_token
        self.calls: List[Call] = []
        self._lock = threading.Lock()
        self._used_tokens: set = set()
        self._accepted_retry_keys: set = set()
        self._failures: Dict[str, List[tuple]] = {}
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._runner: Optional[web.AppRunner] = None
        self._thread: Optional[threading.Thread] = None
        self.port = 0

    # -- control (test thread) --------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def fail_next(self, path: str, status: int, times: int = 1, accept: bool = False) -> None:
        """The next ``times`` calls to ``path`` answer ``status``; with ``accept`` the call
        is carried out first (reply token used, retry key accepted), as when LINE's
        answer is lost on the way back."""
        with self._lock:
            self._failures.setdefault(path, []).extend([(status, accept)] * times)

    def snapshot(self) -> List[Call]:
        with self._lock:
            return list(self.calls)

    def since(self, mark: int) -> List[Call]:
        with self._lock:
            return list(self.calls[mark:])

    def mark(self) -> int:
        with self._lock:
            return len(self.calls)

    def wait_for(self, predicate: Callable[[List[Call]], bool], timeout: float = 30.0,
                  since: int = 0, what: str = "calls") -> List[Call]:
        """Poll (every 50 ms) until ``predicate(calls since mark)`` holds; fail at timeout."""
        deadline = time.monotonic() + timeout
        while True:
            calls = self.since(since)
            if predicate(calls):
                return calls
            if time.monotonic() > deadline:
                summary = [(c.path, c.status, c.reply_token or c.to) for c in calls]
                raise AssertionError(f"fake LINE did not get {what} within {timeout:.0f} s; got {summary}")
            time.sleep(0.05)

    def wait_reply(self, token: str, timeout: float = 30.0, since: int = 0) -> Call:
        calls = self.wait_for(
            lambda cs: any(c.path == REPLY and c.reply_token == token and c.status == 200 for c in cs),
            timeout, since, what=f"a reply with token {token}")
        return next(c for c in calls if c.path == REPLY and c.reply_token == token and c.status == 200)

    # -- server ---------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        headers = {k: v for k, v in request.headers.items()}
        status, answer = self._answer(request.path, request.headers, body)
        with self._lock:
            self.calls.append(Call(request.path, body, status, headers))
        return web.json_response(answer, status=status,
                                 headers={"X-Line-Request-Id": f"fake-{len(self.calls)}"})

    def _answer(self, path: str, headers: Any, body: Any) -> tuple:
        if headers.get("Authorization") != f"Bearer {self.access_token}":
            return 401, {"message": "Authentication failed. Confirm that the access token in the "
                                    "authorization header is valid."}
        if path not in (REPLY, PUSH):
            return 404, {"message": "Not found"}
        with self._lock:
            queued = self._failures.get(path)
            failure = queued.pop(0) if queued else None
        if failure is not None:
            status, accept = failure
            if accept:
                self._carry_out(path, headers, body)
            return status, {"message": "fake failure"}
        return self._carry_out(path, headers, body)

    def _carry_out(self, path: str, headers: Any, body: Any) -> tuple:
        if not isinstance(body, dict):
            return 400, {"message": "The request body has 1 error(s)"}
        errors = limit_errors(body.get("messages"))
        if errors:
            return 400, {"message": f"The request body has {len(errors)} error(s)",
                         "details": [{"message": e} for e in errors]}
        if path == REPLY:
            token = body.get("replyToken") or ""
            with self._lock:
                if not token or token.startswith("expired") or token in self._used_tokens:
                    return 400, {"message": "Invalid reply token"}
                self._used_tokens.add(token)
            return 200, {"sentMessages": [{"id": str(i), "quoteToken": "q"}
                                          for i, _ in enumerate(body["messages"])]}
        if not body.get("to"):
            return 400, {"message": "The property, 'to', in the request body is invalid"}
        key = headers.get("X-Line-Retry-Key")
        with self._lock:
            if key and key in self._accepted_retry_keys:
                return 409, {"message": "The retry key is already accepted",
                             "sentMessages": []}
            if key:
                self._accepted_retry_keys.add(key)
        return 200, {"sentMessages": [{"id": str(i)} for i, _ in enumerate(body["messages"])]}

    def start(self) -> FakeLine:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            app = web.Application()
            app.router.add_route("*", "/{tail:.*}", self._handle)
            self._runner = web.AppRunner(app, access_log=None)
            loop.run_until_complete(self._runner.setup())
            loop.run_until_complete(web.SockSite(self._runner, sock).start())
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._runner.cleanup())
            loop.close()

        self._thread = threading.Thread(target=run, name="fake-line", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("fake LINE server did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    def __enter__(self) -> FakeLine:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
