"""Shaping the bot's messages into LINE Messaging API message objects, within LINE's limits.

Pure functions, no Rasa and no network, so the limits are unit-tested on their own
(tests/channels/test_line_messages.py). The limits (LINE Messaging API reference):

- at most 5 message objects per Reply or Push call;
- a text message holds at most 5,000 characters and must not be empty;
- quick reply: at most 13 items, each label at most 20 characters, and LINE shows only
  the quick reply of the LAST message of a call;
- postback data at most 300 characters (displayText and a message action's text too).

LINE counts characters in UTF-16 code units (an emoji outside the BMP counts 2), so
lengths here are measured the same way; for Japanese text it equals ``len()``.

The input is what a collecting Rasa output channel stores, one dict per bot message:
``{"text": ..., "buttons": [{"title", "payload"}], "image": url, "attachment": ...,
"custom": {...}}``. Rules, in order of importance:

1. nothing the bot says is lost, and its order is kept: a text over 5,000 characters is
   split at the best boundary (blank line, line break, 。！？, 、, space) and as few
   adjacent texts as needed are joined (with a blank line) so that a turn fits in one
   call of 5 objects; only a turn of more than about 25,000 characters needs a second
   call (the caller pushes it, a reply token works once);
2. every button of the turn becomes a quick-reply item on the last message (first 13,
   duplicates by payload removed; more are logged as dropped by the caller).
"""

from __future__ import annotations

import re
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

MAX_MESSAGES_PER_CALL = 5
MAX_TEXT = 5000
MAX_QUICK_REPLY_ITEMS = 13
MAX_LABEL = 20
MAX_POSTBACK_DATA = 300
MAX_DISPLAY_TEXT = 300
MAX_ACTION_TEXT = 300
JOIN = "\n\n"

# Where a long text may be cut, best first. Each pattern matches the END of a piece:
# the separator stays with the text before it, so "".join(pieces) == text.
_BOUNDARIES = [
    re.compile(r"\n\s*\n"),          # paragraph
    re.compile(r"\n"),               # line
    re.compile(r"[。！？!?]+[」』）)]*"),  # sentence (with closing brackets)
    re.compile(r"[、，,；;：:]"),       # clause
    re.compile(r"[ \u3000\t]+"),     # space
]
_LABEL_BREAKS = " 　、，,・/／｜|:：-－~〜"
_BRACKETS = re.compile(r"[（(【\[][^（）()【】\[\]]*[）)】\]]")


def line_len(text: str) -> int:
    """Length as LINE counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _cut_index(text: str, limit: int) -> int:
    """Largest index i <= len(text) with line_len(text[:i]) <= limit (code-point safe)."""
    if line_len(text) <= limit:
        return len(text)
    total, i = 0, 0
    for i, ch in enumerate(text):
        total += 2 if ord(ch) > 0xFFFF else 1
        if total > limit:
            return i
    return len(text)


def split_text(text: str, limit: int = MAX_TEXT) -> List[str]:
    """Split ``text`` into pieces of at most ``limit`` LINE characters.

    ``"".join(split_text(t)) == t`` always; cuts fall on the best boundary found in the
    second half of the allowed window, else exactly at the limit.
    """
    if limit < 2:
        raise ValueError("limit must be at least 2")
    pieces: List[str] = []
    rest = text
    while line_len(rest) > limit:
        hard = _cut_index(rest, limit)
        window = rest[:hard]
        cut = 0
        for pattern in _BOUNDARIES:
            ends = [m.end() for m in pattern.finditer(window) if m.end() >= hard // 2]
            if ends:
                cut = ends[-1]
                break
        if cut <= 0:
            cut = hard
        pieces.append(rest[:cut])
        rest = rest[cut:]
    if rest:
        pieces.append(rest)
    return pieces


def shorten_label(title: str, limit: int = MAX_LABEL) -> str:
    """A quick-reply label of at most ``limit`` characters that still reads well.

    Tries, in order: the title as is; without bracketed asides (（…）, (…), 【…】,
    […]; 「…」 is kept, it usually quotes the key term); cut at the last natural break (space, 、, ・, /) in the
    second half, with an ellipsis; cut with an ellipsis.
    """
    label = " ".join(title.split())  # one line, single spaces
    if not label:
        return "選ぶ"
    if line_len(label) <= limit:
        return label
    without = " ".join(_BRACKETS.sub("", label).split())
    if without and line_len(without) <= limit:
        return without
    if without:
        label = without
    head = label[: _cut_index(label, limit - 1)]
    breaks = [i for i, ch in enumerate(head) if ch in _LABEL_BREAKS and i >= len(head) // 2]
    if breaks:
        head = head[: breaks[-1]]
    return head.rstrip(_LABEL_BREAKS) + "…"


def quick_reply_item(button: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """A Rasa button as a LINE quick-reply item (None if it has neither title nor payload).

    A postback whose data is the button payload and whose displayText is the title (so
    the chat shows what the visitor chose); a payload too long for postback data falls
    back to a message action that sends the title, which the NLU then interprets.
    """
    title = str(button.get("title") or "").strip()
    payload = str(button.get("payload") or "").strip()
    if not title and not payload:
        return None
    title = title or payload
    label = shorten_label(title)
    shown = title[: _cut_index(title, MAX_DISPLAY_TEXT)]
    if payload and line_len(payload) <= MAX_POSTBACK_DATA:
        action = {"type": "postback", "label": label, "data": payload, "displayText": shown}
    else:
        action = {"type": "message", "label": label,
                  "text": title[: _cut_index(title, MAX_ACTION_TEXT)]}
    return {"type": "action", "action": action}


def quick_reply_items(bot_messages: Iterable[Dict[str, Any]]) -> Tuple[List[Dict[str, Any]], int]:
    """All buttons of a turn as quick-reply items, in order, deduplicated by payload.

    Returns (at most 13 items, number of buttons dropped over the limit).
    """
    items: List[Dict[str, Any]] = []
    seen = set()
    for message in bot_messages:
        for button in message.get("buttons") or []:
            if not isinstance(button, dict):
                continue
            key = str(button.get("payload") or "").strip() or str(button.get("title") or "").strip()
            if not key or key in seen:
                continue
            item = quick_reply_item(button)
            if item is None:
                continue
            seen.add(key)
            items.append(item)
    dropped = max(0, len(items) - MAX_QUICK_REPLY_ITEMS)
    return items[:MAX_QUICK_REPLY_ITEMS], dropped


def _units(bot_messages: Sequence[Dict[str, Any]]) -> List[Tuple[str, Any]]:
    """The turn as ("text", piece) and ("object", LINE message) units, in order."""
    units: List[Tuple[str, Any]] = []

    def add_text(text: str) -> None:
        for piece in split_text(text):
            if piece.strip():
                units.append(("text", piece.strip()))

    for message in bot_messages:
        if message.get("text"):
            add_text(str(message["text"]))
        image = message.get("image")
        if image:
            url = str(image)
            if url.startswith("https://") and line_len(url) <= 2000:
                units.append(("object", {"type": "image", "originalContentUrl": url,
                                         "previewImageUrl": url}))
            else:  # LINE fetches images over HTTPS only: give the link as text
                add_text(url)
        attachment = message.get("attachment")
        if attachment:
            add_text(attachment if isinstance(attachment, str) else str(attachment))
        custom = message.get("custom")
        if isinstance(custom, dict) and custom.get("line"):
            # A response may carry LINE message objects as-is: custom: {line: [...]}
            line_objects = custom["line"]
            for obj in line_objects if isinstance(line_objects, list) else [line_objects]:
                if isinstance(obj, dict) and obj.get("type"):
                    units.append(("object", dict(obj)))
    return units


def _merge(units: List[Tuple[str, Any]], max_objects: int) -> List[Tuple[str, Any]]:
    """Join adjacent texts, the shortest pair first, until ``max_objects`` or none fits.

    Shortest-first keeps most of the bot's one-idea-per-message bubbles apart and only
    joins the small ones.
    """
    units = list(units)
    while len(units) > max_objects:
        best, best_len = -1, None
        for i in range(len(units) - 1):
            (ka, a), (kb, b) = units[i], units[i + 1]
            if ka != "text" or kb != "text":
                continue
            joined_len = line_len(a) + line_len(JOIN) + line_len(b)
            if joined_len <= MAX_TEXT and (best_len is None or joined_len < best_len):
                best, best_len = i, joined_len
        if best < 0:
            break
        units[best: best + 2] = [("text", units[best][1] + JOIN + units[best + 1][1])]
    return units


def build_batches(bot_messages: Sequence[Dict[str, Any]],
                  fallback_prompt: str = "次の中からお選びください。") -> Tuple[List[List[Dict[str, Any]]], int]:
    """The bot's messages of one turn as LINE API calls.

    Returns (calls, dropped_buttons): each call is a list of at most 5 message objects;
    the first call is meant for the Reply API, any further ones for the Push API. The
    quick reply rides on the last message of the last call. Empty turn -> no calls.
    """
    units = _units(bot_messages)
    items, dropped = quick_reply_items(bot_messages)
    if items and not units:  # buttons with no text: LINE needs a message to carry them
        units = [("text", fallback_prompt)]
    if not units:
        return [], dropped
    units = _merge(units, MAX_MESSAGES_PER_CALL)
    objects = [{"type": "text", "text": v} if k == "text" else v for k, v in units]
    if items:
        objects[-1] = {**objects[-1], "quickReply": {"items": items}}
    calls = [objects[i: i + MAX_MESSAGES_PER_CALL]
             for i in range(0, len(objects), MAX_MESSAGES_PER_CALL)]
    return calls, dropped
