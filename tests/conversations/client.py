"""The bot over HTTP for the conversation runner: Rasa's REST channel for messages and
Rasa's HTTP API (token-protected) for the tracker's slots."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from typing import Any, Dict, List


class RestBot:
    def __init__(self, base_url: str, token: str, timeout: float = 60.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def send(self, sender: str, text: str) -> List[Dict[str, Any]]:
        body = json.dumps({"sender": sender, "message": text}).encode()
        req = urllib.request.Request(f"{self.base_url}/webhooks/rest/webhook", data=body,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=self.timeout) as resp:
            return json.loads(resp.read())

    def slots(self, sender: str) -> Dict[str, Any]:
        query = urllib.parse.urlencode({"token": self.token, "include_events": "NONE"})
        url = f"{self.base_url}/conversations/{urllib.parse.quote(sender, safe='')}/tracker?{query}"
        with urllib.request.urlopen(url, timeout=self.timeout) as resp:
            return json.loads(resp.read()).get("slots") or {}
