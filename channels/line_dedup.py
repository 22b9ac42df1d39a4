"""Remembering LINE webhook event ids, so a redelivered event is processed at most once.

LINE redelivers an event its webhook did not acknowledge (``deliveryContext.isRedelivery``
is true, ``webhookEventId`` unchanged). The channel marks every id when it starts on an
event and skips an id it has already marked.

- :class:`RecentEventIds`: in this process's memory, the most recent ``capacity`` ids.
  Enough for one Rasa server.
- :class:`RedisEventIds`: with several Rasa instances behind one webhook URL a
  redelivery may reach another instance, whose memory never saw the id, so the ids must
  live in a shared store: Redis ``SET <prefix><id> 1 NX EX <ttl>`` (atomic: exactly one
  instance wins). Used when ``REDIS_URL`` is set; keys are ``line:event:<id>`` and expire
  after a day. If Redis cannot be reached the check falls back to memory (logged), so a
  Redis outage never drops visitors' messages.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Any, Optional

logger = logging.getLogger(__name__)


class RecentEventIds:
    """A bounded set of recently seen ids (oldest forgotten first)."""

    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        self._ids: OrderedDict[str, None] = OrderedDict()

    async def first_time(self, event_id: str) -> bool:
        return self.mark(event_id)

    def mark(self, event_id: str) -> bool:
        """True the first time ``event_id`` is seen, False after."""
        if event_id in self._ids:
            self._ids.move_to_end(event_id)
            return False
        self._ids[event_id] = None
        if len(self._ids) > self.capacity:
            self._ids.popitem(last=False)
        return True

    def __len__(self) -> int:
        return len(self._ids)

    async def close(self) -> None:
        return None


class RedisEventIds:
    """Seen ids in Redis, shared by every Rasa instance (client created on first use)."""

    def __init__(self, url: str, prefix: str = "line:event:", ttl_seconds: int = 86_400,
                 client: Optional[Any] = None) -> None:
        self.url = url
        self.prefix = prefix
        self.ttl_seconds = ttl_seconds
        self._client = client
        self._memory = RecentEventIds()

    def _get_client(self) -> Any:
        if self._client is None:
            import redis.asyncio as redis_asyncio

            self._client = redis_asyncio.from_url(self.url, socket_timeout=2,
                                                  socket_connect_timeout=2)
        return self._client

    async def first_time(self, event_id: str) -> bool:
        try:
            won = await self._get_client().set(self.prefix + event_id, b"1",
                                               nx=True, ex=self.ttl_seconds)
        except Exception as exc:  # redis.exceptions.* and OSError: keep serving
            logger.warning("Redis unavailable for LINE event de-duplication (%s: %s); "
                           "using this process's memory", type(exc).__name__, exc)
            return self._memory.mark(event_id)
        self._memory.mark(event_id)
        return bool(won)

    async def close(self) -> None:
        if self._client is not None:
            try:
                await self._client.close()
            except Exception:  # closing is best effort
                pass
