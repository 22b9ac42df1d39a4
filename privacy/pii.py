"""Personal data in visitor text: the one detector and masker of the product.

Phone numbers, e-mail addresses, postal codes, street addresses, LINE ids and names. The
booking questions read contact data with it (``parse_phone``, ``parse_email``,
``parse_name``), the tracker store (privacy/tracker_store.py) masks what a visitor typed
with it (``is_private_answer``, ``find``, ``mask``), and the staff console's exports mask
with it (``mask_for_export`` and the ``*_for_export`` partial masks: 090-****-5678,
t***@example.com, 山＊＊). A fix here reaches every one of them. No Rasa import.

API:

* ``find(text, asking=None) -> list[Span]``: every piece of personal data, as
  non-overlapping ``Span(start, end, kind)`` offsets into ``text`` itself;
* ``mask(text, asking=None) -> str``: each span replaced by a placeholder
  (［電話番号］［メールアドレス］［郵便番号］［住所］［LINE ID］［氏名］);
* ``mask_for_export`` / ``mask_value_for_export``: the same with the console's export
  labels (［メール］ for e-mail addresses, as the exports have always said);
* ``phone_for_export`` / ``email_for_export`` / ``name_for_export`` /
  ``contact_for_export``: a booking's stored values, partly masked; ``pseudonym``.

Money amounts, counts, years, dates and rates are kept (「300万円」「2005年」「18%」): the
figures are what staff and the bot's trainers need.

Phone numbers are found and validated by Google's libphonenumber (the ``phonenumbers``
port): text is first folded to the spellings it reads (full-width forms, every hyphen
variant and the katakana long vowel 「ー」 as ``-``, kanji digits 〇九〇… as digits), one
character for one, so the library's offsets are offsets into the visitor's text.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass
from typing import Callable, Dict, Iterator, List, Literal, Mapping, Optional, Tuple, Union, overload

import phonenumbers

# Steps of the booking questions whose answers are contact data (conversation/booking_flow.py).
PRIVATE_STEPS = ("booking_phone", "booking_email", "booking_name")
# Messages with these intents are never taken as a booking answer (and never redacted):
# safety first, and the visitor's way out.
NEVER_CAPTURED = {"express_distress", "stop_form", "start_over", "withdraw_booking", "ask_lawsuit_seizure"}
# These are taken only when the message clearly answers the question: 「電話でお願いします」
# to "how shall we contact you" reads as request_human to the NLU, but is the answer.
CLEAR_ANSWER_ONLY = {"request_human", "request_booking"}

Kind = Literal["phone", "email", "postal", "address", "line_id", "name"]


@dataclass(frozen=True, order=True)
class Span:
    """``text[start:end]`` is personal data of this kind."""

    start: int
    end: int
    kind: Kind


PLACEHOLDERS: Mapping[Kind, str] = {
    "phone": "［電話番号］", "email": "［メールアドレス］", "postal": "［郵便番号］",
    "address": "［住所］", "line_id": "［LINE ID］", "name": "［氏名］",
}
# The console's exports have always written ［メール］; their readers keep that label.
EXPORT_PLACEHOLDERS: Mapping[Kind, str] = {**PLACEHOLDERS, "email": "［メール］"}

# ---- folding: one character for one, so offsets stay the visitor's ----------------------
# NFKC would change lengths (「㈱」→「(株)」, 「ｶﾞ」→「ガ」), so only the characters whose
# NFKC form is a single character are folded: full-width ASCII, the ideographic space and
# half-width katakana.
_FOLD: Dict[int, str] = {0x3000: " "}
for _cp in range(0xFF01, 0xFFEF):
    _n = unicodedata.normalize("NFKC", chr(_cp))
    if len(_n) == 1:
        _FOLD[_cp] = _n
_HYPHENS = "‐‑‒–—―−ー─━"                 # after folding; 「－」「ｰ」 are already - and ー
_PHONE_FOLD = {**_FOLD, **{ord(h): "-" for h in _HYPHENS}}
_KANJI_DIGITS = "〇一二三四五六七八九"
_KANJI_TO_DIGIT = {ord(k): str(i) for i, k in enumerate(_KANJI_DIGITS)} | {ord("零"): "0"}
# at least ten kanji digits, separated by nothing or by spaces, hyphens, dots or brackets
_KANJI_NUMBER = re.compile(r"[〇一二三四五六七八九零](?:[\s\-.()]*[〇一二三四五六七八九零]){9,}")
_LATIN = re.compile(r"[A-Za-z]")


def _fold(text: str) -> str:
    return text.translate(_FOLD)


def _phone_text(text: str) -> str:
    """``text`` as phonenumbers reads it, character for character: digits and hyphens
    folded, kanji digit numbers as digits, and Latin letters as 「。」 (the library refuses a
    number touching a letter, so 「TEL09012345678」 would be missed)."""
    t = text.translate(_PHONE_FOLD)
    t = _KANJI_NUMBER.sub(lambda m: m.group(0).translate(_KANJI_TO_DIGIT), t)
    return _LATIN.sub("。", t)


# ---- phone numbers ---------------------------------------------------------------------

@dataclass(frozen=True)
class _Phone:
    start: int
    end: int
    number: phonenumbers.PhoneNumber
    raw: str


def _phones(text: str, leniency: int) -> Iterator[_Phone]:
    t = _phone_text(text)
    if not re.search(r"[0-9]", t):
        return
    for m in phonenumbers.PhoneNumberMatcher(t, "JP", leniency=leniency):
        yield _Phone(m.start, m.end, m.number, m.raw_string)


def _national_digits(phone: _Phone) -> str:
    digits = re.sub(r"\D", "", phone.raw)
    if phone.raw.lstrip("( ").startswith("+") and phone.number.country_code == 81:
        digits = "0" + str(phone.number.national_number)
    return digits


def _looks_like_phone(phone: _Phone) -> bool:
    """A number to mask even though it is not valid: 0 and 10 to 13 digits (a mistyped or
    unassigned number, 03-0123-4567, is as private as a real one)."""
    if phone.number.country_code != 81:
        return False
    digits = _national_digits(phone)
    return digits.startswith("0") and 10 <= len(digits) <= 13


def _format(phone: _Phone) -> str:
    formatted: str = phonenumbers.format_number(phone.number, phonenumbers.PhoneNumberFormat.NATIONAL)
    groups = [g for g in re.split(r"[^0-9]+", phone.raw) if g]
    # a landline keeps the area code split as the visitor wrote it (045-123-4567)
    if (len(groups) == 3 and "".join(groups) == _national_digits(phone) and len(groups[2]) == 4
            and len(formatted.replace("-", "")) == 10
            and phonenumbers.number_type(phone.number) == phonenumbers.PhoneNumberType.FIXED_LINE):
        return "-".join(groups)
    return formatted


def parse_phone(text: str) -> Optional[str]:
    """The first valid Japanese phone number in ``text``, hyphenated (090-1234-5678,
    0120-123-456, 03-1234-5678), or None."""
    for phone in _phones(text or "", phonenumbers.Leniency.VALID):
        if phone.number.country_code == 81:
            return _format(phone)
    return None


def _phone_spans(text: str) -> Iterator[Span]:
    valid = [Span(p.start, p.end, "phone") for p in _phones(text, phonenumbers.Leniency.VALID)]
    yield from valid
    for p in _phones(text, phonenumbers.Leniency.POSSIBLE):
        if _looks_like_phone(p) and not any(s.start < p.end and p.start < s.end for s in valid):
            yield Span(p.start, p.end, "phone")


# ---- e-mail addresses ----------------------------------------------------------------------

_EMAIL_CANDIDATE = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-.]+")
_EMAIL = re.compile(r"^([A-Za-z0-9._%+\-]{1,64})@((?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+"
                    r"[A-Za-z]{2,24})$")
# what the console's exports have always masked, well formed or not (a..b@example.jp)
_EMAIL_LOOSE = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")


def _email(candidate: str) -> Optional[str]:
    cand = candidate.rstrip(".")      # a sentence's full stop, not a leading dot
    found = _EMAIL.match(cand)
    if not found or ".." in cand or len(cand) > 254:
        return None
    local, domain = found.group(1), found.group(2)
    if local.startswith(".") or local.endswith("."):
        return None
    return f"{local}@{domain.lower()}"


def parse_email(text: str) -> Optional[str]:
    """The first well-formed e-mail address in ``text`` (domain in lower case), or None."""
    for m in _EMAIL_CANDIDATE.finditer(_fold(text or "")):
        email = _email(m.group(0))
        if email:
            return email
    return None


def _email_spans(folded: str) -> Iterator[Span]:
    for m in _EMAIL_CANDIDATE.finditer(folded):
        if _email(m.group(0)):
            yield Span(m.start(), m.end(), "email")
    for m in _EMAIL_LOOSE.finditer(folded):
        yield Span(m.start(), m.end(), "email")


# ---- postal codes, addresses, LINE ids ------------------------------------------------------
# Plain patterns: no maintained library reads Japanese addresses offline (the geocoders
# need a service or a large dictionary), and an address is masked, never parsed.

_D = r"[0-9]"
_DK = r"[0-9〇一二三四五六七八九十]"
_H = r"[\-‐‑‒–—―ー−─━]"
_POSTAL = re.compile(rf"〒\s?{_D}{{3}}{_H}?{_D}{{4}}|(?<![0-9]|{_H}){_D}{{3}}{_H}{_D}{{4}}(?![0-9]|{_H}[0-9])")
_PREFS = ("北海道|青森県|岩手県|宮城県|秋田県|山形県|福島県|茨城県|栃木県|群馬県|埼玉県|千葉県|東京都|"
          "神奈川県|新潟県|富山県|石川県|福井県|山梨県|長野県|岐阜県|静岡県|愛知県|三重県|滋賀県|京都府|"
          "大阪府|兵庫県|奈良県|和歌山県|鳥取県|島根県|岡山県|広島県|山口県|徳島県|香川県|愛媛県|高知県|"
          "福岡県|佐賀県|長崎県|熊本県|大分県|宮崎県|鹿児島県|沖縄県")
_ADDR_TAIL = rf"(?:[一-龥々〆ヵヶケァ-ヴー]|{_D}|{_H}|丁目|番地|番|号)*"
# a prefecture, then the city/ward/town/village and the street part (kanji, katakana,
# block numbers); hiragana ends it, so 「…1-2-3に住んでいます」 keeps 「に住んでいます」
_ADDRESS = re.compile(
    rf"(?:{_PREFS})[^\s、。,.!?「」()（）！？，]{{0,40}}?(?:市|区|町|村|郡){_ADDR_TAIL}"
    # no prefecture: a city or ward followed by block numbers (「大阪市北区梅田1丁目2番3号」)
    rf"|[ぁ-ゖ一-龥々ヶケァ-ヴー]{{1,8}}(?:市|区|町|村)[一-龥々ヶケァ-ヴー]{{0,12}}?{_DK}+"
    rf"(?:(?:{_H}|丁目|番地|番|号){_DK}*){{1,4}}"
)
_ADDRESS_CUE = re.compile(
    r"(?:住所|じゅうしょ|住まい|住んでいるの)(?:は|:)\s?([^\s、。,!?「」！？，]{2,60}?)"
    r"(?=です|に住んで|在住|[、。,\s!?！？，]|$)"
)
# 「LINE IDはabc_123」「ラインのIDは…」「LINE: abc」: an id introduced as one
_LINE_ID = re.compile(
    r"(?:LINE|line|Line|ライン|らいん)(?:\s?の)?(?:\s?(?:ID|id|Id|アイディー|アイディ|アカウント)(?:\s?(?:は|:|=))?|\s?(?:は|:|=))"
    r"\s?(@?[A-Za-z0-9._\-]{3,40})"
)
_LINE_USER = re.compile(r"(?<![0-9A-Za-z])U[0-9a-f]{32}(?![0-9A-Za-z])")


# ---- names -----------------------------------------------------------------------------------
# Hand-written on purpose: the dictionaries the product ships (Sudachi, UniDic) tag only
# the names they list, and common-noun surnames (森, 林, 原) would slip through; a named-
# entity model needs weights this product does not carry. A cue (私は…です, …と申します,
# 名前は…) plus a name shape finds self-introductions, and a small stop list keeps the
# predicates people actually write after 私は (「私は無職です」「私は会社員です」).

_NAME_CHARS = "[一-龥々〆ヵヶァ-ヴーA-Za-z・]"
_NAME_AFTER_CUE = re.compile(
    rf"(?:私|わたし|わたくし|僕|ぼく|俺|おれ|自分)は\s?({_NAME_CHARS}{{1,12}}(?:\s{_NAME_CHARS}{{1,8}})?)"
    r"(?=(?:\s?(?:さん|様))?\s?(?:です|と申します|といいます|と言います|でございます|だ|。|$))"
)
_NAME_FIELD = re.compile(
    r"(?:名前|なまえ|氏名|お名前|フルネーム)(?:は|:|が)\s?([^\s、。,!?「」！？，]{1,20}?)"
    r"(?=(?:さん|様)?\s?(?:です|と申します|といいます|と言います|でございます|[、。,\s!?！？，]|$))"
)
_NAME_BEFORE_CUE = re.compile(rf"({_NAME_CHARS}{{1,12}})(?=と申します|といいます|と言います|と申す者)")
NOT_NAMES = frozenset("""
会社員 社員 正社員 契約社員 派遣社員 派遣 公務員 職員 団体職員 役員 会社役員 自営業 自営 個人事業主 経営者 社長
無職 求職中 失業中 休職中 退職者 主婦 専業主婦 兼業主婦 主夫 学生 大学生 大学院生 高校生 専門学生 留学生 浪人生
パート アルバイト バイト フリーター フリーランス ニート サラリーマン OL シングルマザー シングルファーザー
農家 漁師 医師 医者 看護師 介護士 保育士 教員 教師 先生 年金生活 年金生活者 年金受給者 生活保護 生活保護受給者
本人 家族 妻 夫 嫁 母 父 母親 父親 娘 息子 長男 長女 次男 次女 兄 姉 弟 妹 祖母 祖父 配偶者
保証人 連帯保証人 債務者 多重債務者 相談者 契約者 名義人 被害者 初心者 素人 独身 既婚 未婚 離婚
男 女 男性 女性 大人 未成年 高齢者 外国人 日本人 障害者 病気 大丈夫 元気 不安 心配 無理 限界 平気 必死 本気 真剣
反対 賛成 以上 以下 自己破産 破産 任意整理 個人再生 債務整理 借金 返済中 滞納中 入院中 療養中 妊娠中 通院中
""".split())
# names end with these kanji hardly ever; occupations and roles very often (…社員, …業者, 主婦)
_NOT_NAME_ENDINGS = ("員", "者", "職", "婦")


def _plausible_name(candidate: str) -> bool:
    """Whether a word after a self-introduction cue can be a name: not a stop word, not a
    compound ending in one (元会社員), not ending like an occupation, and either kanji or
    katakana or a capitalised Latin word."""
    word = candidate.replace(" ", "")
    if word in NOT_NAMES or word.upper() in NOT_NAMES or word.endswith(_NOT_NAME_ENDINGS):
        return False
    if any(len(stop) >= 2 and word.endswith(stop) for stop in NOT_NAMES):
        return False
    if re.fullmatch(r"[A-Za-z ]+", candidate):
        return candidate[:1].isupper() and not candidate.isupper()
    return True


_NAME_PREFIX = re.compile(r"^(?:私の名前は|わたしの名前は|名前は|なまえは|私は|わたしは|僕は|ぼくは|俺は)\s*")
_NAME_SUFFIX = re.compile(
    r"\s*(?:と申します|ともうします|といいます|と言います|って言います|です|でお願いします|で)\s*[。.!！]*$")
_LETTER = re.compile(r"[A-Za-z\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")
MAX_NAME = 30


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "")


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


def _name_answer_span(text: str, folded: str) -> Optional[Span]:
    name = parse_name(text)
    if name is None:
        return None
    pattern = r"\s+".join(re.escape(part) for part in name.split(" "))
    m = re.search(pattern, folded)
    if m:
        return Span(m.start(), m.end(), "name")
    stripped = text.strip()          # folded differently (a rare compatibility character)
    start = text.index(stripped) if stripped else 0
    return Span(start, start + len(stripped), "name")


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


# ---- finding and masking -------------------------------------------------------------------

def _group_spans(pattern: re.Pattern[str], folded: str, kind: Kind,
                 keep: Callable[[str], bool] = lambda _: True) -> Iterator[Span]:
    for m in pattern.finditer(folded):
        if keep(m.group(1)):
            yield Span(m.start(1), m.end(1), kind)


def _candidates(text: str, asking: Optional[str]) -> Iterator[Span]:
    """Every candidate span, the surest first (a later one overlapping an earlier is dropped)."""
    folded = _fold(text)
    if asking == "booking_name":
        answer = _name_answer_span(text, folded)
        if answer:
            yield answer
    yield from _email_spans(folded)
    yield from (Span(m.start(), m.end(), "line_id") for m in _LINE_USER.finditer(folded))
    yield from _group_spans(_LINE_ID, folded, "line_id")
    yield from _phone_spans(text)
    yield from (Span(m.start(), m.end(), "postal") for m in _POSTAL.finditer(folded))
    yield from _group_spans(_ADDRESS_CUE, folded, "address")
    yield from (Span(m.start(), m.end(), "address") for m in _ADDRESS.finditer(folded))
    yield from _group_spans(_NAME_FIELD, folded, "name")
    yield from _group_spans(_NAME_AFTER_CUE, folded, "name", _plausible_name)
    yield from _group_spans(_NAME_BEFORE_CUE, folded, "name", _plausible_name)


def find(text: str, asking: Optional[str] = None) -> List[Span]:
    """Every piece of personal data in ``text``, in order, never overlapping. ``asking``
    is the booking question the text answers: with ``"booking_name"`` the name answer
    itself (「田中です」) is a name."""
    found: List[Span] = []
    for span in _candidates(text or "", asking):
        if span.end > span.start and not any(s.start < span.end and span.start < s.end for s in found):
            found.append(span)
    return sorted(found)


def _replace(text: str, spans: List[Span], labels: Mapping[Kind, str]) -> str:
    if not spans:
        return text
    out, last = [], 0
    for span in spans:
        out.append(text[last:span.start])
        out.append(labels[span.kind])
        last = span.end
    return "".join(out) + text[last:]


def mask(text: str, asking: Optional[str] = None) -> str:
    """``text`` with every piece of personal data replaced by its placeholder."""
    return _replace(text or "", find(text or "", asking), PLACEHOLDERS)


def contact_spans(text: str) -> List[Tuple[int, int, str]]:
    """(start, end, kind) of every phone number and e-mail address in ``text``."""
    return [(s.start, s.end, s.kind) for s in find(text) if s.kind in ("phone", "email")]


def mask_contacts(text: str) -> str:
    """``text`` with every phone number and e-mail address replaced by a placeholder."""
    return _replace(text or "", [s for s in find(text or "") if s.kind in ("phone", "email")], PLACEHOLDERS)


# ---- the console's exports ----------------------------------------------------------------

JSONValue = Union[str, int, float, bool, None, List["JSONValue"], Dict[str, "JSONValue"]]


@overload
def mask_for_export(text: str) -> str: ...


@overload
def mask_for_export(text: None) -> None: ...


def mask_for_export(text: Optional[str]) -> Optional[str]:
    """The text with personal data replaced by the exports' ［…］ labels; None stays None."""
    if not text:
        return text
    return _replace(text, find(text), EXPORT_PLACEHOLDERS)


def mask_value_for_export(value: JSONValue) -> JSONValue:
    """Mask every string inside a JSON-like value (slot values, entity values)."""
    if isinstance(value, str):
        return mask_for_export(value)
    if isinstance(value, list):
        return [mask_value_for_export(v) for v in value]
    if isinstance(value, dict):
        return {k: mask_value_for_export(v) for k, v in value.items()}
    return value


def name_for_export(name: Optional[str]) -> str:
    """「山田太郎」 → 「山＊＊」: enough to tell two requests apart, not to identify anyone."""
    if not isinstance(name, str) or not name.strip():
        return ""
    return name.strip()[0] + "＊＊"


def phone_for_export(phone: Optional[str]) -> str:
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


def email_for_export(email: Optional[str]) -> str:
    """「taro.yamada@example.com」 → 「t***@example.com」."""
    if not isinstance(email, str) or "@" not in email:
        return ""
    local, domain = email.split("@", 1)
    return f"{local[:1]}***@{domain}"


def contact_for_export(method: Optional[str], phone: Optional[str] = None, email: Optional[str] = None) -> str:
    """The contact value of a booking request, masked; a LINE request has no value of its
    own (staff answer in the LINE talk)."""
    if method == "phone":
        return phone_for_export(phone)
    if method == "email":
        return email_for_export(email)
    if method == "line":
        return "LINEのトーク"
    return ""


def pseudonym(sender_id: str, key: bytes) -> str:
    """A stable pseudonym: the same sender always gets the same one, and without the key
    (kept in the database, never exported) it cannot be turned back into the sender id."""
    digest = hmac.new(key, sender_id.encode("utf-8"), hashlib.sha256).hexdigest()
    return "v-" + digest[:16]
