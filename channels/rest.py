"""Rasa's REST channel with input checks and an apology instead of silence.

Stock Rasa 3.6 ``rest`` (``POST /webhooks/rest/webhook``), measured against this bot:

* a body that is JSON but not an object (``[1,2]``) or an empty body -> 500;
* ``sender`` missing -> the message is filed under the shared conversation ``"default"``;
  ``sender`` a number or a list -> filed under ``"5"`` / ``"['x']"``;
* ``message`` a number, list or null, or a lone surrogate -> 200 ``[]`` (silence);
* a 10 MB message -> the whole text goes through NLU: no answer within 120 s;
* the action server unreachable -> Rasa logs the exception, drops the action's events
  and answers 200 ``[]``: the visitor gets silence.

This subclass keeps the URL, the response format and ``input_channel`` = ``"rest"``, and:

* answers 400 with a JSON ``error`` for a body that is not UTF-8 JSON object, a missing
  or non-string ``sender``, a non-string ``message``, a non-object ``metadata``;
  413 for a body over ``MAX_BODY_BYTES``;
* removes control characters (except newline and tab) and lone surrogates from the text;
  an empty or too long text gets a short polite reply and never reaches the bot (nothing
  is stored);
* when the bot produced no message for a user message (the action server is down, the
  tracker store failed, ...), answers with ``APOLOGY``.

Used from credentials.yml as ``channels.rest.RestInput:`` in place of ``rest:``.
"""

from __future__ import annotations

import json
import logging
import re
from asyncio import CancelledError
from typing import Any, Awaitable, Callable, Dict, List, Optional, Tuple

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput as RasaRestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 512 * 1024  # 20,000 Japanese characters as JSON \u escapes are 120 KB
MAX_TEXT_CHARS = 5000
MAX_SENDER_CHARS = 128

APOLOGY = "申し訳ありません。ただいま応答できません。少し時間をおいてもう一度お送りください。"
EMPTY_TEXT = "メッセージが空のようです。ご相談したい内容を文字でお送りください。"
TOO_LONG = (f"メッセージが長すぎるため、受け付けられませんでした。"
            f"{MAX_TEXT_CHARS:,}文字以内に分けてお送りください。")

# C0 and C1 controls and DEL, except tab and newline; lone UTF-16 surrogates.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(text: str) -> str:
    """The visitor's text without control characters and lone surrogates."""
    text = _SURROGATE.sub("", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub(" ", text)


class BadRequest(ValueError):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def parse_body(body: bytes) -> Tuple[str, str, Optional[Dict[str, Any]]]:
    """(sender, raw message, metadata) from a request body, or BadRequest."""
    if len(body) > MAX_BODY_BYTES:
        raise BadRequest(f"body larger than {MAX_BODY_BYTES} bytes", 413)
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise BadRequest("body is not valid UTF-8")
    except ValueError:
        raise BadRequest("body is not JSON")
    if not isinstance(data, dict):
        raise BadRequest("body must be a JSON object with 'sender' and 'message'")
    sender = data.get("sender")
    if not isinstance(sender, str) or not sender.strip():
        raise BadRequest("'sender' must be a non-empty string")
    if len(sender) > MAX_SENDER_CHARS or _CONTROL.search(sender) or _SURROGATE.search(sender):
        raise BadRequest(f"'sender' must be at most {MAX_SENDER_CHARS} printable characters")
    message = data.get("message")
    if not isinstance(message, str):
        raise BadRequest("'message' must be a string")
    metadata = data.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise BadRequest("'metadata' must be a JSON object")
    return sender, message, metadata


class RestInput(RasaRestInput):
    """``rest`` channel that checks its input and never answers a message with silence."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[None]]
    ) -> Blueprint:
        bp = Blueprint("custom_webhook_checked_rest", __name__)

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @bp.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                sender, raw, metadata = parse_body(request.body or b"")
            except BadRequest as e:
                return response.json({"error": str(e)}, status=e.status)
            text = clean_text(raw)
            if not text.strip():
                return response.json(_reply(sender, EMPTY_TEXT))
            if len(text) > MAX_TEXT_CHARS:
                return response.json(_reply(sender, TOO_LONG))

            collector = CollectingOutputChannel()
            try:
                await on_new_message(UserMessage(
                    text, collector, sender, input_channel=self.name(), metadata=metadata,
                ))
            except CancelledError:
                logger.error("rest: handling the message of %s timed out", sender)
            except Exception:
                logger.exception("rest: handling the message of %s failed", sender)
            if not collector.messages:
                logger.warning("rest: no bot message for %s; answering with the apology", sender)
                return response.json(_reply(sender, APOLOGY))
            return response.json(collector.messages)

        return bp


def _reply(sender: str, text: str) -> List[Dict[str, Any]]:
    return [{"recipient_id": sender, "text": text}]
