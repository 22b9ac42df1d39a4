"""The office's consultation hours (``data/office_hours.yml``) and reading a visitor's
preferred day and time against them. No Rasa import."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

import yaml

DATA = Path(__file__).resolve().parent / "data" / "office_hours.yml"


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "")


WEEK = "月火水木金土日"
_DAY = re.compile(r"([月火水木金土日])曜")
_PARTS = {"am": (0, 12), "pm": (12, 17), "eve": (17, 24)}
_PART_WORDS = [(re.compile(r"午前|朝"), "am"), (re.compile(r"午後|昼|お昼"), "pm"),
               (re.compile(r"夕方|夜|仕事(?:の)?(?:終わり|後|あと)|退勤後"), "eve")]
_ANY = re.compile(r"いつでも|何時でも|なんじでも|どの時間でも|特に(?:希望は)?(?:なし|ない|ありません)|おまかせ|お任せ")


@dataclass(frozen=True)
class Slot:
    key: str
    label: str
    days: Tuple[str, ...]
    start: int   # minutes after midnight
    end: int


def _minutes(hhmm: str) -> int:
    h, m = str(hhmm).split(":")
    return int(h) * 60 + int(m)


@lru_cache(maxsize=1)
def office_hours() -> Dict[str, Any]:
    with open(DATA, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    slots = tuple(Slot(s["key"], s["label"], tuple(s["days"]), _minutes(s["from"]), _minutes(s["to"]))
                  for s in data["slots"])
    return {"slots": slots, "any": data["any"], "closed_note": data["closed_note"]}



def _hhmm(minutes: int) -> str:
    return f"{minutes // 60}時" + (f"{minutes % 60}分" if minutes % 60 else "")


def parse_time(text: str, key: Optional[str] = None) -> Tuple[Optional[str], Optional[str]]:
    """(preferred time as a label, None) or (None, why it cannot be booked)."""
    oh = office_hours()
    slots: Tuple[Slot, ...] = oh["slots"]
    if key:
        if key == oh["any"]["key"]:
            return oh["any"]["label"], None
        for s in slots:
            if s.key == key:
                return s.label, None
    t = _nfkc(text)
    if _ANY.search(t):
        return oh["any"]["label"], None
    days = set(_DAY.findall(t))
    if "平日" in t:
        days |= set("月火水木金")
    if re.search(r"週末|土日", t):
        days |= {"土", "日"}
    parts = {p for rx, p in _PART_WORDS if rx.search(t)}
    hour = None
    m = re.search(r"(\d{1,2})\s*時", t)
    if m and 0 <= int(m.group(1)) <= 24:
        hour = int(m.group(1))
        if hour < 12 and re.search(r"午後|夜|夕方", t):
            hour += 12
    if not days and not parts and hour is None:
        return None, "ご希望の日時が読み取れませんでした。"
    open_days = {d for s in slots for d in s.days}
    if days and not days & open_days:
        return None, oh["closed_note"]

    def fits(s: Slot) -> bool:
        if days and not days & set(s.days):
            return False
        if hour is not None and not s.start <= hour * 60 < s.end:
            return False
        if parts and not any(s.start < _PARTS[p][1] * 60 and s.end > _PARTS[p][0] * 60 for p in parts):
            return False
        return True

    matched = [s for s in slots if fits(s)]
    if not matched:
        return None, "その日時は受付時間外です。"
    if days:
        chosen = [d for d in WEEK if d in days and any(d in s.days for s in matched)]
        day_text = "・".join(chosen) + "曜"
        if set(chosen) == set("月火水木金"):
            day_text = "平日"
        if hour is not None:
            return f"{day_text} {hour}時ごろ", None
        times = "、".join(dict.fromkeys(f"{_hhmm(s.start)}〜{_hhmm(s.end)}".replace("時〜", "〜")
                                         for s in matched))
        return f"{day_text} {times}", None
    if hour is not None:
        return f"{'、'.join(s.label.split()[0] for s in matched)} {hour}時ごろ", None
    return "、".join(s.label for s in matched), None

