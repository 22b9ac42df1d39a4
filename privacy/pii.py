"""Personal data in visitor text: phone numbers, e-mail addresses and names.

One detector for the whole product: the booking questions read contact data with it,
the tracker store (privacy/tracker_store.py) masks what a visitor typed with it, and the
console's exports mask with it. No Rasa import.
"""

from __future__ import annotations

import re
import unicodedata
from typing import List, Optional, Tuple

# Steps of the booking questions whose answers are contact data (conversation/booking_flow.py).
PRIVATE_STEPS = ("booking_phone", "booking_email", "booking_name")
# Messages with these intents are never taken as a booking answer (and never redacted):
# safety first, and the visitor's way out.
NEVER_CAPTURED = {"express_distress", "stop_form", "start_over", "withdraw_booking", "ask_lawsuit_seizure"}
# These are taken only when the message clearly answers the question: 「電話でお願いします」
# to "how shall we contact you" reads as request_human to the NLU, but is the answer.
CLEAR_ANSWER_ONLY = {"request_human", "request_booking"}

# ---- phone numbers and e-mail addresses ----------------------------------------------

_HYPHENS = "-‐‑‒–—―−ー－ｰ─━"
_H = re.escape(_HYPHENS)
_PHONE_CANDIDATE = re.compile(
    r"(?:[+＋][8８][1１][\s" + _H + r"]?[(（]?[0０]?|[(（]?[0０])[0-9０-９" + _H + r"\s()（）.．]{7,18}[0-9０-９]")
_EMAIL_CANDIDATE = re.compile(
    r"[A-Za-z0-9Ａ-Ｚａ-ｚ０-９._%+\-＿．＋－]+[@＠][A-Za-z0-9Ａ-Ｚａ-ｚ０-９\-－.．]+")
_EMAIL = re.compile(r"^([A-Za-z0-9._%+\-]{1,64})@((?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+"
                    r"[A-Za-z]{2,24})$")


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "")


def _phone_digits(candidate: str) -> Tuple[str, List[str]]:
    """Digits of a candidate (+81 → 0) and the digit groups as the visitor wrote them."""
    t = _nfkc(candidate)
    for h in _HYPHENS:
        t = t.replace(h, "-")
    t = t.strip().lstrip("(").replace("(", "-").replace(")", "-").replace(".", "-")
    intl = t.startswith("+81")
    if intl:
        t = t[3:].lstrip(" -")
    groups = [g for g in re.split(r"[\s-]+", t) if g]
    digits = "".join(groups)
    if intl and not digits.startswith("0"):
        digits = "0" + digits
        if groups:
            groups[0] = "0" + groups[0]
    return digits, groups


def format_phone(digits: str, groups: Optional[List[str]] = None) -> Optional[str]:
    """The number with hyphens if ``digits`` is a Japanese phone number, else None.

    Mobile and IP phones (070/080/090/050 + 8 digits), 0120 (10 digits) and 0800 (11)
    free dial, and 10-digit landlines (0 + area code + subscriber number)."""
    if not digits.isdigit():
        return None
    if re.fullmatch(r"0800\d{7}", digits):      # free dial before 080: 080-0 is not a mobile
        return f"{digits[:4]}-{digits[4:7]}-{digits[7:]}"
    if re.fullmatch(r"0[5789]0\d{8}", digits):
        return f"{digits[:3]}-{digits[3:7]}-{digits[7:]}"
    if re.fullmatch(r"0120\d{6}", digits):
        return f"{digits[:4]}-{digits[4:7]}-{digits[7:]}"
    if re.fullmatch(r"0[1-9]\d{8}", digits) and not re.match(r"0[5789]0", digits):
        if groups and len(groups) == 3 and "".join(groups) == digits and len(groups[2]) == 4:
            return "-".join(groups)      # the area code split as the visitor wrote it
        if digits[:2] in ("03", "06"):
            return f"{digits[:2]}-{digits[2:6]}-{digits[6:]}"
        return digits                    # area code length unknown: no guessing
    return None


def parse_phone(text: str) -> Optional[str]:
    """The first Japanese phone number in ``text``, hyphenated, or None."""
    for m in _PHONE_CANDIDATE.finditer(text or ""):
        phone = format_phone(*_phone_digits(m.group(0)))
        if phone:
            return phone
    return None


def parse_email(text: str) -> Optional[str]:
    """The first well-formed e-mail address in ``text`` (domain in lower case), or None."""
    for m in _EMAIL_CANDIDATE.finditer(text or ""):
        cand = _nfkc(m.group(0)).rstrip(".")      # a sentence's full stop, not a leading dot
        found = _EMAIL.match(cand)
        if not found or ".." in cand or len(cand) > 254:
            continue
        local, domain = found.group(1), found.group(2)
        if local.startswith(".") or local.endswith("."):
            continue
        return f"{local}@{domain.lower()}"
    return None


def contact_spans(text: str) -> List[Tuple[int, int, str]]:
    """(start, end, kind) of every phone number and e-mail address in ``text``."""
    spans: List[Tuple[int, int, str]] = []
    for m in _EMAIL_CANDIDATE.finditer(text or ""):
        if parse_email(m.group(0)):
            spans.append((m.start(), m.end(), "email"))
    for m in _PHONE_CANDIDATE.finditer(text or ""):
        if format_phone(*_phone_digits(m.group(0))) and not any(
                s < m.end() and m.start() < e for s, e, _ in spans):
            spans.append((m.start(), m.end(), "phone"))
    return sorted(spans)


def mask_contacts(text: str) -> str:
    """``text`` with every phone number and e-mail address replaced by a placeholder."""
    out, last = [], 0
    for start, end, kind in contact_spans(text):
        out.append(text[last:start])
        out.append("［メールアドレス］" if kind == "email" else "［電話番号］")
        last = end
    return "".join(out) + text[last:] if out else text


# ---- names -----------------------------------------------------------------------

_NAME_PREFIX = re.compile(r"^(?:私の名前は|わたしの名前は|名前は|なまえは|私は|わたしは|僕は|ぼくは|俺は)\s*")
_NAME_SUFFIX = re.compile(r"\s*(?:と申します|ともうします|といいます|と言います|って言います|です|でお願いします|で)\s*[。.!！]*$")
_LETTER = re.compile(r"[A-Za-z\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")
MAX_NAME = 30


def parse_name(text: str) -> Optional[str]:
    """A name or nickname from the visitor's answer, or None when it does not look like one."""
    t = _nfkc(text).strip().strip("「」『』\"'")
    t = _NAME_PREFIX.sub("", t)
    t = _NAME_SUFFIX.sub("", t).strip().strip("「」『』\"'").strip()
    t = re.sub(r"\s+", " ", t)
    if not t or len(t) > MAX_NAME or not _LETTER.search(t):
        return None
    if "@" in t or "http" in t.lower() or re.search(r"\d{4,}", t) or re.search(r"[?？]", t):
        return None
    return t


def is_private_answer(asking: Optional[str], intent: Optional[str], text: str) -> bool:
    """Whether a visitor message holds a phone number, address or name given as a booking
    answer: such messages are kept out of the transcript. Distress and the visitor's ways
    out (``NEVER_CAPTURED``) are never taken for an answer."""
    if asking not in PRIVATE_STEPS or intent in NEVER_CAPTURED:
        return False
    t = _nfkc(text).strip()
    if asking == "booking_phone" and parse_phone(t):
        return True
    if asking == "booking_email" and parse_email(t):
        return True
    if intent in CLEAR_ANSWER_ONLY:
        return False
    if asking == "booking_name":
        return parse_name(t) is not None and len(t) <= 20
    return len(t) <= 25 and not re.search(r"[?？]", t)
