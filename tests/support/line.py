"""LINE on the test side: the channel's test secrets, signed webhook bodies and events,
and a client that posts them to Rasa's /webhooks/line/webhook."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import time
import uuid
from typing import Any, Dict, List, Optional, Tuple

SECRET = "e2e-line-channel-secret-0123456789"
ACCESS_TOKEN = "e2e-line-access-token"
PSEUDONYM_KEY = "e2e-pseudonym-key"


def line_env(api_url: str) -> Dict[str, str]:
    """The environment that turns the LINE channel on against a fake LINE API."""
    return {"LINE_CHANNEL_SECRET": SECRET, "LINE_CHANNEL_ACCESS_TOKEN": ACCESS_TOKEN,
            "LINE_API_BASE_URL": api_url, "LINE_PSEUDONYM_KEY": PSEUDONYM_KEY}


def sign(body: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def pseudonym_of(user_id: str) -> str:
    """The documented sender id, computed independently of channels/line.py."""
    digest = hmac.new(PSEUDONYM_KEY.encode(), user_id.encode(), hashlib.sha256).hexdigest()
    return "line:" + digest[:32]


def new_user() -> str:
    return "U" + uuid.uuid4().hex  # LINE user ids: U + 32 hex digits


def new_token() -> str:
    return uuid.uuid4().hex


def new_event_id() -> str:
    return "01" + uuid.uuid4().hex[:24].upper()


def base_event(kind: str, user: str, token: Optional[str] = None, age_s: float = 0.0,
               event_id: Optional[str] = None, redelivery: bool = False) -> Dict[str, Any]:
    ev: Dict[str, Any] = {
        "type": kind, "mode": "active", "timestamp": int((time.time() - age_s) * 1000),
        "source": {"type": "user", "userId": user},
        "webhookEventId": event_id or new_event_id(),
        "deliveryContext": {"isRedelivery": redelivery},
    }
    if token:
        ev["replyToken"] = token
    return ev


def text_event(user: str, token: str, text: str, **kw: Any) -> Dict[str, Any]:
    ev = base_event("message", user, token, **kw)
    ev["message"] = {"id": uuid.uuid4().hex[:14], "type": "text", "text": text, "quoteToken": "q"}
    return ev


class LineWebhook:
    """Posts to /webhooks/line/webhook with http.client, so header names go out exactly
    as written (LINE may change their case)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.path = "/webhooks/line/webhook"

    def post_raw(self, body: bytes, headers: Dict[str, str]) -> Tuple[int, bytes, float]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        started = time.monotonic()
        try:
            conn.request("POST", self.path, body=body,
                         headers={"Content-Type": "application/json", **headers})
            resp = conn.getresponse()
            data = resp.read()
        finally:
            conn.close()
        return resp.status, data, time.monotonic() - started

    def post(self, events: List[Dict[str, Any]], header: str = "X-Line-Signature",
             secret: str = SECRET) -> Tuple[int, float, float]:
        """Signed webhook; returns (status, seconds to the answer, monotonic send time)."""
        body = json.dumps({"destination": "U" + "0" * 32, "events": events},
                          ensure_ascii=False).encode("utf-8")
        sent = time.monotonic()
        status, _, elapsed = self.post_raw(body, {header: sign(body, secret)})
        return status, elapsed, sent
