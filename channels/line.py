"""LINE Messaging API input channel for Rasa 3.6: ``POST /webhooks/line/webhook``.

Enable it with ``channels.line.LineInput:`` (no keys needed) in credentials.yml; the
runner adds that line when ``LINE_CHANNEL_SECRET`` and ``LINE_CHANNEL_ACCESS_TOKEN`` are
set. Configuration comes from the environment (no secret is written to disk):

  LINE_CHANNEL_SECRET        checks X-Line-Signature                  (required)
  LINE_CHANNEL_ACCESS_TOKEN  Bearer token for the Reply / Push APIs    (required)
  LINE_API_BASE_URL          default https://api.line.me (tests point it at a fake)
  LINE_PSEUDONYM_KEY         key for user pseudonyms (default: derived from the secret)
  REDIS_URL                  when set, redelivered-event ids are shared through Redis

Modelled on Rasa's own ``rasa/core/channels/slack.py``: a Sanic blueprint that checks the
signature first and hands messages to Rasa in background tasks whose references it keeps.

**Request handling.** The signature (base64 HMAC-SHA256 of the raw body under the channel
secret, header name in any case) is checked in constant time before the body is parsed:
no header -> 401, wrong signature -> 403, and nothing is scheduled, so nothing reaches the
bot or the tracker store. A signed body that is not JSON with an ``events`` list -> 400.
Otherwise the webhook answers 200 at once (an empty ``events`` list is LINE's "Verify"
request) and each event is queued on its chat's lane: one queue per user (or group/room)
drained by one task, so one user's events are handled in the order LINE sent them while
different users proceed concurrently. A body of 50 events is queued whole.

**Events.** text -> the bot; postback -> its ``data`` as the message (our button
payloads such as ``/ask_cost{"procedure":"bankruptcy"}``); follow -> ``/greet``;
sticker / image / video / audio / location / file (and message types LINE may add) -> a
polite request to type the question, without calling the bot; unfollow and other event
types -> logged and ignored; events in ``standby`` mode (another module channel is
active) -> ignored. An event whose ``webhookEventId`` was already processed (LINE's
redelivery) is skipped: see channels/line_dedup.py. Texts are cleaned as on the REST
channel (``channels.rest.clean_text``: control characters and lone surrogates go); an
empty text gets ``EMPTY_TEXT`` and one over 5,000 characters ``TOO_LONG``, without
calling the bot (nothing is stored). Fields of the wrong JSON type are treated as absent.
When the bot produced no message for an event (the action server unreachable, an
exception in the pipeline, a timeout), the user gets ``channels.rest.APOLOGY`` instead of
silence.

**Replies.** The bot's messages for the event are collected, shaped by
channels/line_messages.py (at most 5 objects per call, texts of at most 5,000 characters,
buttons as at most 13 quick-reply items on the last message) and sent with the Reply API
and the event's reply token. The Push API is used instead when the token cannot work:
more than 50 s since the event (tokens last about a minute) or LINE answering 400
"Invalid reply token"; and for any call after the first when a turn needs more than 5
objects. If a reply attempt failed ambiguously (timeout / 5xx) and the retry says the
token is used, the push may duplicate an answer: a duplicate was judged better than a
visitor left without one.

**Privacy.** Rasa's sender id (what transcripts, the staff console and the tracker store
see) is a pseudonym, ``line:`` + the first 32 hex digits of HMAC-SHA256(key, userId),
stable per user. The raw LINE userId never enters the tracker: not as sender, text or
metadata (metadata holds only the event type, webhookEventId and redelivery flag). It
lives only in this process's memory: in the task handling the event (to push a reply)
and in a bounded pseudonym -> userId map used by :meth:`LineInput.get_output_channel`
(so Rasa's HTTP API can push to a LINE user with ``output_channel=line``); the map is
emptied for a user on ``unfollow`` and lost on restart, after which such a push waits
until the user writes again. Set ``LINE_PSEUDONYM_KEY`` to keep pseudonyms stable across
a channel-secret rotation.

**Why no line-bot-sdk.** The issue asked for the official SDK v3 if it runs here. It does
not fit: every v3 release from 3.2.0 needs pydantic 2 (3.14+ also aiohttp >= 3.10.9),
while Rasa 3.6.21 pins ``pydantic<1.10.10`` and ``aiohttp<3.10``; installing it would
break Rasa. line-bot-sdk 2.3.0 would install (checked with ``pip install --dry-run``),
but it is the retired v2 line (no fixes since 2022) and adds ``requests`` and its own
model classes for what is here two JSON POSTs and one HMAC; its async client does no
retries. So this channel uses aiohttp (already a Rasa dependency, and what Sanic's event
loop runs) and ``hmac``, with LINE's retry rules written out in channels/line_api.py.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import os
import time
from collections import OrderedDict, deque
from typing import Any, Awaitable, Callable, Deque, Dict, List, Optional, Set

from rasa.core.channels.channel import (
    CollectingOutputChannel,
    InputChannel,
    OutputChannel,
    UserMessage,
)
from rasa.shared.exceptions import RasaException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.line_api import DEFAULT_API_BASE_URL, LineApi, LineApiError
from channels.line_dedup import RecentEventIds, RedisEventIds
from channels.line_messages import build_batches
from channels.rest import APOLOGY, EMPTY_TEXT, MAX_TEXT_CHARS, TOO_LONG, clean_text

MAX_BODY_BYTES = 1_000_000
TOO_LONG_NOTICE = TOO_LONG   # same limit (5,000) and wording as the REST channel

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Line-Signature"  # Sanic's headers are case-insensitive
GREETING_PAYLOAD = "/greet"
REPLY_DEADLINE_SECONDS = 50.0  # reply tokens last about one minute; keep a margin
MAX_KNOWN_USERS = 10_000

MEDIA_NAMES = {
    "sticker": "スタンプ",
    "image": "画像",
    "video": "動画",
    "audio": "音声メッセージ",
    "location": "位置情報",
    "file": "ファイル",
}
PLEASE_TYPE = "お手数ですが、ご質問を文字で入力してください。"


def media_notice(message_type: str) -> List[Dict[str, Any]]:
    """What the visitor reads after sending something other than text (no bot call)."""
    name = MEDIA_NAMES.get(message_type, "このメッセージ")
    return [{"text": f"申し訳ありません。{name}は読み取ることができません。"},
            {"text": PLEASE_TYPE}]


def signature_for(secret: str, body: bytes) -> str:
    """X-Line-Signature of ``body``: base64(HMAC-SHA256(channel secret, raw body))."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def pseudonym_key_from(channel_secret: str, explicit: Optional[str] = None) -> bytes:
    if explicit:
        return explicit.encode("utf-8")
    return hmac.new(channel_secret.encode("utf-8"), b"line-user-pseudonym-v1",
                    hashlib.sha256).digest()


def pseudonym(key: bytes, line_id: str) -> str:
    """Rasa's sender id for a LINE user (or group/room): stable, not reversible."""
    return "line:" + hmac.new(key, line_id.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def chat_id(source: Dict[str, Any]) -> Optional[str]:
    """Where replies go: the user in a 1:1 chat, else the group or room (None when the
    id is missing or not a string)."""
    kind = source.get("type")
    if kind == "group":
        found = source.get("groupId")
    elif kind == "room":
        found = source.get("roomId")
    else:
        found = source.get("userId")
    return found if isinstance(found, str) and found else None


def _obj(value: Any) -> Dict[str, Any]:
    """``value`` if it is a JSON object, else an empty one (LINE's shapes are not trusted)."""
    return value if isinstance(value, dict) else {}


class LineCollectingOutput(CollectingOutputChannel):
    """Collects the bot's messages for one event; the channel then replies in one call.

    Named "line" so responses with ``channel: line`` in the domain are picked for LINE.
    """

    @classmethod
    def name(cls) -> str:
        return "line"


class LinePushOutput(OutputChannel):
    """Pushes messages to a LINE user by pseudonym; what Rasa's HTTP API uses with
    ``output_channel=line`` (e.g. a staff member's message or a reminder)."""

    def __init__(self, channel: LineInput) -> None:
        self._channel = channel

    @classmethod
    def name(cls) -> str:
        return "line"

    async def send_response(self, recipient_id: str, message: Dict[str, Any]) -> None:
        collector = LineCollectingOutput()
        await collector.send_response(recipient_id, dict(message))
        line_id = self._channel.line_id_for(recipient_id)
        if not line_id:
            logger.warning("LINE push skipped: no LINE user known for %s in this process "
                           "(the user has not written since the server started, or unfollowed)",
                           recipient_id)
            return
        await self._channel.push(line_id, collector.messages)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text})


class _Lanes:
    """One FIFO per chat, drained by one task, so a chat's events run in order."""

    def __init__(self) -> None:
        self._queues: Dict[str, Deque[Callable[[], Awaitable[None]]]] = {}
        self.tasks: Set[asyncio.Task] = set()

    def submit(self, key: str, job: Callable[[], Awaitable[None]]) -> None:
        queue = self._queues.get(key)
        if queue is not None:
            queue.append(job)
            return
        queue = deque([job])
        self._queues[key] = queue
        # Keep a reference: the loop holds tasks only weakly (see slack.py / asyncio docs).
        task = asyncio.create_task(self._drain(key, queue))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _drain(self, key: str, queue: Deque[Callable[[], Awaitable[None]]]) -> None:
        while queue:
            job = queue.popleft()
            try:
                await job()
            except Exception:
                logger.exception("LINE event handling failed")
        # no await between the last check and here: nothing can be appended unseen
        del self._queues[key]

    def busy(self) -> bool:
        return bool(self.tasks)


class LineInput(InputChannel):
    """LINE Messaging API webhook (see the module docstring)."""

    @classmethod
    def name(cls) -> str:
        return "line"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> InputChannel:
        """Settings from the environment; credentials.yml keys of the same meaning
        (``channel_secret``, ``access_token``, ``api_base_url``) are accepted too but
        the runner never writes them (secrets stay out of files)."""
        credentials = credentials or {}
        env = os.environ
        secret = credentials.get("channel_secret") or env.get("LINE_CHANNEL_SECRET", "")
        token = credentials.get("access_token") or env.get("LINE_CHANNEL_ACCESS_TOKEN", "")
        missing = [name for name, value in (("LINE_CHANNEL_SECRET", secret),
                                            ("LINE_CHANNEL_ACCESS_TOKEN", token)) if not value]
        if missing:
            raise RasaException(
                "LINE channel is enabled but " + " and ".join(missing) + " is not set. "
                "Set both variables, or remove channels.line.LineInput from the credentials."
            )
        return cls(
            channel_secret=secret,
            access_token=token,
            api_base_url=credentials.get("api_base_url") or env.get("LINE_API_BASE_URL")
            or DEFAULT_API_BASE_URL,
            pseudonym_key=env.get("LINE_PSEUDONYM_KEY") or None,
            redis_url=env.get("REDIS_URL") or None,
        )

    def __init__(
        self,
        channel_secret: str,
        access_token: str,
        api_base_url: str = DEFAULT_API_BASE_URL,
        pseudonym_key: Optional[str] = None,
        redis_url: Optional[str] = None,
        reply_deadline: float = REPLY_DEADLINE_SECONDS,
        api: Optional[LineApi] = None,
    ) -> None:
        if not channel_secret or not access_token:
            raise RasaException("LINE channel needs a channel secret and an access token.")
        self.channel_secret = channel_secret
        self.api = api or LineApi(access_token, api_base_url)
        self.reply_deadline = reply_deadline
        self._pseudonym_key = pseudonym_key_from(channel_secret, pseudonym_key)
        # With several Rasa instances a redelivery can reach another instance, so the
        # seen ids must be shared: Redis SET NX with expiry under "line:event:".
        self.seen = RedisEventIds(redis_url) if redis_url else RecentEventIds()
        self._lanes = _Lanes()
        self._known: OrderedDict[str, str] = OrderedDict()  # pseudonym -> LINE id

    # -- identity -------------------------------------------------------------------
    def sender_id_for(self, line_id: str) -> str:
        return pseudonym(self._pseudonym_key, line_id)

    def _remember(self, sender_id: str, line_id: str) -> None:
        self._known[sender_id] = line_id
        self._known.move_to_end(sender_id)
        while len(self._known) > MAX_KNOWN_USERS:
            self._known.popitem(last=False)

    def line_id_for(self, sender_id: str) -> Optional[str]:
        return self._known.get(sender_id)

    def get_output_channel(self) -> Optional[OutputChannel]:
        return LinePushOutput(self)

    # -- webhook --------------------------------------------------------------------
    def is_signature_valid(self, body: bytes, signature: str) -> bool:
        expected = signature_for(self.channel_secret, body).encode("ascii")
        return hmac.compare_digest(expected, signature.strip().encode("utf-8"))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        line_webhook = Blueprint("line_webhook", __name__)

        @line_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @line_webhook.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            body = request.body or b""
            if len(body) > MAX_BODY_BYTES:   # far beyond any LINE webhook; do not hash it
                logger.warning("LINE webhook of %d bytes refused", len(body))
                return response.json({"error": "request body too large"}, status=413)
            signature = request.headers.get(SIGNATURE_HEADER)
            if not signature:
                logger.warning("LINE webhook without %s header rejected", SIGNATURE_HEADER)
                return response.json({"error": "missing X-Line-Signature"}, status=401)
            if not self.is_signature_valid(body, signature):
                logger.warning("LINE webhook with a wrong signature rejected (%d bytes)", len(body))
                return response.json({"error": "invalid signature"}, status=403)
            try:
                payload = json.loads(body)
            except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
                return response.json({"error": "body is not UTF-8 JSON"}, status=400)
            events = payload.get("events") if isinstance(payload, dict) else None
            if not isinstance(events, list):
                return response.json({"error": "body has no events list"}, status=400)
            if not events:
                logger.info("LINE webhook verification request answered")
            received = time.time()
            for event in events:
                if not isinstance(event, dict):
                    logger.warning("LINE webhook: ignored an event that is not an object")
                    continue
                self._queue_event(event, on_new_message, received)
            return response.json({})

        @line_webhook.listener("before_server_stop")
        async def finish(*_: Any) -> None:
            # let events in progress send their replies, then close connections
            tasks = list(self._lanes.tasks)
            if tasks:
                await asyncio.wait(tasks, timeout=10)
            await self.api.close()
            await self.seen.close()

        return line_webhook

    def _queue_event(self, event: Dict[str, Any],
                     on_new_message: Callable[[UserMessage], Awaitable[Any]],
                     received: float) -> None:
        line_id = chat_id(_obj(event.get("source")))
        if not line_id:
            logger.info("LINE event %s without a user, group or room ignored", event.get("type"))
            return
        self._lanes.submit(line_id, lambda: self.handle_event(event, line_id, on_new_message))

    # -- events ---------------------------------------------------------------------
    async def handle_event(self, event: Dict[str, Any], line_id: str,
                           on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        started = time.monotonic()
        event_type = event.get("type")
        event_id = event.get("webhookEventId")
        if not isinstance(event_id, str) or not event_id:
            event_id = None
        redelivery = _obj(event.get("deliveryContext")).get("isRedelivery") is True
        if event.get("mode") == "standby":
            logger.info("LINE %s event in standby mode ignored", event_type)
            return
        if event_id and not await self.seen.first_time(event_id):
            logger.info("LINE event %s already processed; redelivery skipped", event_id)
            return
        sender_id = self.sender_id_for(line_id)

        if event_type == "unfollow":
            self._known.pop(sender_id, None)
            logger.info("LINE unfollow from %s (ignored)", sender_id)
            return
        raw: Any = None
        if event_type == "message":
            message = _obj(event.get("message"))
            if message.get("type") == "text":
                raw = message.get("text")
                if not isinstance(raw, str):
                    raw = ""   # LINE never sends this; treated as an empty text
            else:
                kind = message.get("type")
                kind = kind if isinstance(kind, str) else "unknown"
                logger.info("LINE %s message from %s: asking for text", kind[:40], sender_id)
                self._remember(sender_id, line_id)
                await self.deliver(event, line_id, media_notice(kind))
                return
        elif event_type == "postback":
            raw = _obj(event.get("postback")).get("data")
        elif event_type == "follow":
            raw = GREETING_PAYLOAD
        else:
            logger.info("LINE %s event ignored", str(event_type)[:40])
            return
        text = clean_text(raw) if isinstance(raw, str) else ""
        if not text.strip():
            if event_type != "message":   # a postback without data: not from our buttons
                logger.info("LINE %s event with no data ignored", event_type)
                return
            self._remember(sender_id, line_id)
            await self.deliver(event, line_id, [{"text": EMPTY_TEXT}])
            return
        if len(text) > MAX_TEXT_CHARS:   # LINE itself allows no longer text
            self._remember(sender_id, line_id)
            await self.deliver(event, line_id, [{"text": TOO_LONG_NOTICE}])
            return

        self._remember(sender_id, line_id)
        collector = LineCollectingOutput()
        user_message = UserMessage(
            text, collector, sender_id, input_channel=self.name(),
            message_id=event_id,
            metadata={"line": {"event_type": event_type, "webhook_event_id": event_id,
                               "redelivery": redelivery}},
        )
        try:
            await on_new_message(user_message)
        except asyncio.CancelledError:
            logger.error("Handling a LINE %s event from %s was cancelled", event_type, sender_id)
            if not collector.messages:
                await self.deliver(event, line_id, [{"text": APOLOGY}])
            raise
        except Exception:
            logger.exception("Rasa failed on a LINE %s event from %s", event_type, sender_id)
        bot_messages = collector.messages
        if not bot_messages:
            # the action server unreachable, the pipeline failed, a timeout: never silence
            logger.warning("LINE: no bot message for %s; answering with the apology", sender_id)
            bot_messages = [{"text": APOLOGY}]
        await self.deliver(event, line_id, bot_messages)
        logger.debug("LINE %s event handled in %.0f ms", event_type,
                     (time.monotonic() - started) * 1000)

    # -- sending --------------------------------------------------------------------
    def _reply_token_usable(self, event: Dict[str, Any]) -> bool:
        token = event.get("replyToken")
        if not isinstance(token, str) or not token:
            return False
        timestamp = event.get("timestamp")
        if isinstance(timestamp, (int, float)):
            return time.time() - timestamp / 1000.0 < self.reply_deadline
        return True

    async def deliver(self, event: Dict[str, Any], line_id: str,
                      bot_messages: List[Dict[str, Any]]) -> None:
        """Reply with the event's token; push what the token cannot carry."""
        calls, dropped = build_batches(bot_messages)
        if dropped:
            logger.warning("LINE quick reply holds 13 items; %d buttons dropped", dropped)
        if not calls:
            return
        if self._reply_token_usable(event):
            try:
                await self.api.reply(event["replyToken"], calls[0])
                calls = calls[1:]
            except LineApiError as exc:
                if not exc.invalid_reply_token:
                    return  # logged by LineApi; a push would fail the same way
                logger.info("LINE reply token unusable; pushing instead")
        else:
            logger.info("LINE reply token absent or older than %.0f s; pushing", self.reply_deadline)
        for call in calls:
            try:
                await self.api.push(line_id, call)
            except LineApiError:
                return  # logged by LineApi

    async def push(self, line_id: str, bot_messages: List[Dict[str, Any]]) -> None:
        calls, _ = build_batches(bot_messages)
        for call in calls:
            await self.api.push(line_id, call)
