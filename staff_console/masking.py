"""Masking personal data for exports; stable pseudonyms for sender ids.

Masked: telephone numbers (fixed, mobile, 0120/0570, +81), e-mail addresses, postal codes
(〒 or NNN-NNNN), addresses (a prefecture followed by the rest of the address), LINE ids
(「LINE ID: …」, LINE's own user ids U + 32 hex digits), and names the visitor gives
(「私は山田です」「名前は山田太郎」「山田と申します」, 氏名：…). Money amounts, counts, years and
rates are kept (「300万円」「1,200,000円」「5社」「2005年」「18%」): the figures are what
staff and the bot's trainers need. Full-width digits and hyphens are recognised too.

This is pattern matching: it errs on the side of masking (「私は会社員です」 becomes
「私は［氏名］です」), and a name written with no cue at all cannot be recognised.

Booking requests (staff_console/bookings.py) keep contact data in fields of their own; the
booking export masks those fields by shape instead: 090-****-5678, t***@example.com, 山＊＊.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any

PHONE = "［電話番号］"
EMAIL = "［メール］"
POSTAL = "［郵便番号］"
ADDRESS = "［住所］"
NAME = "［氏名］"
LINE_ID = "［LINE ID］"

D = "[0-9０-９]"
H = "[-‐‑‒–—―ー−－ｰ]"      # hyphens people type, full- and half-width
SP = "[ 　]"

_EMAIL_RE = re.compile(r"[A-Za-z0-9._%+\-－＿．]+[@＠][A-Za-z0-9.\-－．]+[.．][A-Za-z]{2,}")
# +81 90-1234-5678 / 090-1234-5678 / 03-1234-5678 / 0120-123-456 / 09012345678 / (03)1234-5678
_PHONE_RE = re.compile(
    rf"(?<![0-9０-９])(?:(?:\+|＋)(?:81|８１){SP}?{H}?{SP}?{D}{{1,4}}|[0０]{D}{{0,4}}|[(（][0０]{D}{{0,4}}[)）])"
    rf"(?:{SP}?{H}?{SP}?[(（]?{D}{{1,4}}[)）]?){{1,3}}(?![0-9０-９]|{SP}?[円万億千百%％]|{SP}?(?:年|歳|社|件|か月|ヶ月|カ月|回))"
)
_POSTAL_RE = re.compile(rf"〒{SP}?{D}{{3}}{H}?{D}{{4}}|(?<![0-9０-９]){D}{{3}}{H}{D}{{4}}(?![0-9０-９])")
_PREFS = ("北海道|青森県|岩手県|宮城県|秋田県|山形県|福島県|茨城県|栃木県|群馬県|埼玉県|千葉県|東京都|"
          "神奈川県|新潟県|富山県|石川県|福井県|山梨県|長野県|岐阜県|静岡県|愛知県|三重県|滋賀県|京都府|"
          "大阪府|兵庫県|奈良県|和歌山県|鳥取県|島根県|岡山県|広島県|山口県|徳島県|香川県|愛媛県|高知県|"
          "福岡県|佐賀県|長崎県|熊本県|大分県|宮崎県|鹿児島県|沖縄県")
_ADDR_TAIL = rf"(?:[一-龥々〆ヵヶケァ-ヴー]|{D}|{H}|丁目|番地|番|号)*"
# a prefecture, then the city/ward/town/village and the street part (kanji, katakana,
# block numbers); hiragana ends it, so 「…1-2-3に住んでいます」 keeps 「に住んでいます」
_ADDRESS_RE = re.compile(
    rf"(?:{_PREFS})[^\s、。,，.！!？?「」()（）]{{0,40}}?(?:市|区|町|村|郡){_ADDR_TAIL}"
    # no prefecture: a city or ward followed by block numbers (「大阪市北区梅田1-1-1」)
    rf"|[ぁ-ゖ一-龥々ヶケァ-ヴー]{{1,8}}(?:市|区|町|村)[一-龥々ヶケァ-ヴー]{{0,12}}{D}+(?:(?:{H}|丁目|番地|番|号){D}*){{1,4}}"
)
_ADDRESS_CUE_RE = re.compile(
    rf"((?:住所|じゅうしょ|住まい|住んでいるの)(?:は|：|:){SP}?)([^\s、。,，！!？?「」]{{2,60}}?)"
    rf"(?=(?:です|に住んで|在住|[、。,，\s！!？?]|$))"
)
_NAME_CHARS = "[一-龥々〆ヵヶァ-ヴーｦ-ﾟA-Za-zＡ-Ｚａ-ｚ・]"
_NAME_AFTER_CUE_RE = re.compile(
    rf"((?:私|わたし|わたくし|僕|ぼく|俺|おれ|自分)は{SP}?)({_NAME_CHARS}{{1,12}}(?:{SP}{_NAME_CHARS}{{1,8}})?)"
    rf"(?=(?:{SP}?(?:さん|様))?{SP}?(?:です|と申します|といいます|と言います|でございます|だ|。|$))"
)
_NAME_FIELD_RE = re.compile(
    rf"((?:名前|なまえ|氏名|お名前|フルネーム)(?:は|：|:|が){SP}?)([^\s、。,，！!？?「」]{{1,20}}?)"
    rf"(?=(?:さん|様)?{SP}?(?:です|と申します|といいます|と言います|でございます|[、。,，\s！!？?]|$))"
)
_NAME_BEFORE_CUE_RE = re.compile(rf"({_NAME_CHARS}{{1,12}})(?=(?:と申します|といいます|と言います|と申す者))")
_LINE_ID_RE = re.compile(
    rf"((?:LINE|ＬＩＮＥ|line|ライン|らいん)(?:{SP}?(?:ID|ＩＤ|id|ｉｄ|アイディー|アカウント))?{SP}?(?:は|：|:|=)?{SP}?)"
    rf"(@?[A-Za-z0-9._\-＠]{{3,40}})"
)
_LINE_USER_RE = re.compile(r"\bU[0-9a-f]{32}\b")


def mask_text(text: Any) -> Any:
    """The text with personal data replaced by ［…］ labels; non-strings unchanged."""
    if not isinstance(text, str) or not text:
        return text
    t = _EMAIL_RE.sub(EMAIL, text)
    t = _LINE_USER_RE.sub(LINE_ID, t)
    t = _LINE_ID_RE.sub(lambda m: m.group(1) + LINE_ID, t)
    t = _PHONE_RE.sub(lambda m: PHONE if _digits(m.group(0)) >= 10 else m.group(0), t)
    t = _POSTAL_RE.sub(POSTAL, t)
    t = _ADDRESS_CUE_RE.sub(lambda m: m.group(1) + ADDRESS, t)
    t = _ADDRESS_RE.sub(ADDRESS, t)
    t = _NAME_FIELD_RE.sub(lambda m: m.group(1) + NAME, t)
    t = _NAME_AFTER_CUE_RE.sub(lambda m: m.group(1) + NAME, t)
    t = _NAME_BEFORE_CUE_RE.sub(NAME, t)
    return t


def _digits(s: str) -> int:
    return sum(ch.isdigit() for ch in s)


def mask_value(value: Any) -> Any:
    """Mask every string inside a JSON-like value (slot values, entity values)."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, list):
        return [mask_value(v) for v in value]
    if isinstance(value, dict):
        return {k: mask_value(v) for k, v in value.items()}
    return value


def masked_name(name: Any) -> str:
    """「山田太郎」 → 「山＊＊」: enough to tell two requests apart, not to identify anyone."""
    if not isinstance(name, str) or not name.strip():
        return ""
    return name.strip()[0] + "＊＊"


def masked_phone(phone: Any) -> str:
    """「090-1234-5678」 → 「090-****-5678」: the middle group hidden. A number stored
    without hyphens keeps at most its first three and last four digits, and at least four
    digits are always hidden."""
    if not isinstance(phone, str) or not phone:
        return ""
    groups = phone.split("-")
    if len(groups) == 3:
        return f"{groups[0]}-{'*' * len(groups[1])}-{groups[2]}"
    digits = "".join(ch for ch in phone if ch.isdigit())
    if len(digits) <= 8:
        return "*" * len(digits)
    head = min(3, len(digits) - 8)
    return digits[:head] + "*" * (len(digits) - head - 4) + digits[-4:]


def masked_email(email: Any) -> str:
    """「taro.yamada@example.com」 → 「t***@example.com」."""
    if not isinstance(email, str) or "@" not in email:
        return ""
    local, domain = email.split("@", 1)
    return f"{local[:1]}***@{domain}"


def masked_contact(method: Any, phone: Any = None, email: Any = None) -> str:
    """The contact value of a booking request, masked; a LINE request has no value of its
    own (staff answer in the LINE talk)."""
    if method == "phone":
        return masked_phone(phone)
    if method == "email":
        return masked_email(email)
    if method == "line":
        return "LINEのトーク"
    return ""


def pseudonym(sender_id: str, key: bytes) -> str:
    """A stable pseudonym: the same sender always gets the same one, and without the key
    (kept in the database, never exported) it cannot be turned back into the sender id."""
    digest = hmac.new(key, sender_id.encode("utf-8"), hashlib.sha256).hexdigest()
    return "v-" + digest[:16]
