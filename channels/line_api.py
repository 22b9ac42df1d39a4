"""The two LINE Messaging API calls the channel makes (Reply and Push), over aiohttp.

Why not line-bot-sdk: see the docstring of channels/line.py.

Retries follow LINE's guidance ("Retrying an API request"): a request that failed with
a network error, 429 or a 5xx may be retried; for Push, every attempt carries the same
``X-Line-Retry-Key`` (a UUID) so LINE accepts the message at most once, and a 409 to a
retried push means an earlier attempt was already accepted, which counts as success.
The Reply API takes no retry key; its token works once, so a retry after an ambiguous
failure may answer 400 "Invalid reply token" (the caller then pushes; see line.py).
Other 4xx are not retried. Every failure is logged with its status and response body
(never with the access token).
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import uuid
from typing import Any, Dict, List, Optional

import aiohttp

logger = logging.getLogger(__name__)

DEFAULT_API_BASE_URL = "https://api.line.me"
REPLY_PATH = "/v2/bot/message/reply"
PUSH_PATH = "/v2/bot/message/push"


class LineApiError(Exception):
    """A LINE API call failed for good (after any retries)."""

    def __init__(self, path: str, status: Optional[int], body: str) -> None:
        self.path = path
        self.status = status  # None: no HTTP answer (network error, timeout)
        self.body = body
        super().__init__(f"LINE API {path}: {status if status is not None else 'no response'} {body[:300]}")

    @property
    def invalid_reply_token(self) -> bool:
        """400 "Invalid reply token": the token was used, expired (about 1 min) or unknown."""
        return self.status == 400 and "invalid reply token" in self.body.lower()


class LineApi:
    """Reply and Push with retries. The aiohttp session is made on first use, inside the
    running event loop (nothing touches the network while Rasa builds its routes)."""

    def __init__(
        self,
        access_token: str,
        base_url: str = DEFAULT_API_BASE_URL,
        attempts: int = 4,
        backoff: float = 0.5,
        timeout: float = 10.0,
    ) -> None:
        self.access_token = access_token
        self.base_url = (base_url or DEFAULT_API_BASE_URL).rstrip("/")
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self.timeout = timeout
        self._session: Optional[aiohttp.ClientSession] = None

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                headers={"Authorization": f"Bearer {self.access_token}"},
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def reply(self, reply_token: str, messages: List[Dict[str, Any]]) -> Dict[str, Any]:
        return await self._post(REPLY_PATH, {"replyToken": reply_token, "messages": messages})

    async def push(self, to: str, messages: List[Dict[str, Any]],
                   retry_key: Optional[str] = None) -> Dict[str, Any]:
        key = retry_key or str(uuid.uuid4())
        return await self._post(PUSH_PATH, {"to": to, "messages": messages},
                                headers={"X-Line-Retry-Key": key})

    async def _post(self, path: str, payload: Dict[str, Any],
                    headers: Optional[Dict[str, str]] = None) -> Dict[str, Any]:
        url = self.base_url + path
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        request_headers = {"Content-Type": "application/json", **(headers or {})}
        retried = False
        for attempt in range(1, self.attempts + 1):
            status: Optional[int] = None
            retry_after: Optional[float] = None
            try:
                async with self._get_session().post(url, data=data, headers=request_headers) as resp:
                    status = resp.status
                    body = await resp.text()
                    if 200 <= status < 300:
                        try:
                            return json.loads(body) if body.strip() else {}
                        except ValueError:
                            return {}
                    if status == 409 and retried and "X-Line-Retry-Key" in request_headers:
                        logger.info("LINE %s: 409 for a retried request, already accepted "
                                    "(request id %s)", path, resp.headers.get("X-Line-Request-Id"))
                        return {}
                    retry_after = _retry_after(resp.headers.get("Retry-After"))
                    request_id = resp.headers.get("X-Line-Request-Id", "-")
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                body = f"{type(exc).__name__}: {exc}"
                request_id = "-"
            retryable = status is None or status == 429 or status >= 500
            logger.error("LINE API %s failed: HTTP %s, body %s (request id %s, attempt %d/%d)",
                         path, status if status is not None else "no response", body[:500],
                         request_id, attempt, self.attempts)
            if not retryable or attempt == self.attempts:
                raise LineApiError(path, status, body)
            retried = True
            delay = retry_after if retry_after is not None else self.backoff * 2 ** (attempt - 1)
            await asyncio.sleep(min(delay, 30.0) * (1 + random.random() * 0.2))
        raise AssertionError("unreachable")


def _retry_after(value: Optional[str]) -> Optional[float]:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
