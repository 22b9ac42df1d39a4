"""Repair instead of repetition (issue 15): say back what was recorded, ask a question a
second time with an example, give up on it the third time, show everything recorded on
request, and stay warm after distress. Texts come from ``data/repair.yml``. No Rasa import.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional

import yaml

from conversation.model import Button, Message, State
from debt_rules.texts import texts, yen

DATA = Path(__file__).resolve().parent / "data" / "repair.yml"
MAX_ASKS = 2          # a question is asked at most twice; the third time it is skipped
REVIEW_TITLE = "入力内容を確認"


@lru_cache(maxsize=1)
def phrases() -> Dict[str, Any]:
    with open(DATA, encoding="utf-8") as fh:
        data: Dict[str, Any] = yaml.safe_load(fh)
    return data


def label(fact: str) -> str:
    entry = phrases()["recorded"].get(fact)
    return str(entry["label"]) if entry else fact


def _value(fact: str, value: Any) -> Optional[str]:
    entry = phrases()["recorded"].get(fact)
    if entry is None or value is None:
        return None
    kind = entry["kind"]
    if kind == "amount":
        return yen(int(value))
    if kind == "monthly":
        return "月" + yen(int(value))
    if kind == "count":
        return f"{int(value)}人"
    if kind == "bool":
        return str(entry["yes"] if value else entry["no"])
    if kind == "enum":
        return str(texts()["labels"][entry["enum"]].get(value, value))
    if kind == "year":
        return f"{int(value)}年"
    if kind == "percent":
        return f"年{value:g}%"
    if kind == "list":
        names = texts()["labels"].get("lender_type", {})
        return "・".join(str(names.get(v, v)) for v in value)
    if kind == "debts":
        names = texts()["labels"].get("lender_type", {})
        return "、".join(f"{names.get(d.get('lender_type'), d.get('lender_type') or '借入れ')} {yen(d.get('balance'))}"
                        for d in value if d.get("balance") is not None)
    return str(value)


def describe(facts: Dict[str, Any], only: Iterable[str] = ()) -> str:
    """「借金の合計 400万円、手取り 月16万円」: the facts (or just ``only``) said back."""
    names = [f for f in (list(only) or list(facts)) if f in phrases()["recorded"]]
    if "debts" in names and "debt_total" in names:
        names.remove("debts")          # the total is enough in a short acknowledgement
    parts = []
    for f in names:
        v = _value(f, facts.get(f))
        if v:
            parts.append(f"{label(f)} {v}")
    return "、".join(parts)


def acknowledge(updates: Dict[str, Any]) -> Optional[Message]:
    """「借金の合計 400万円、手取り 月16万円は記録しました。」 or None when nothing to say."""
    said = describe(updates)
    return Message(phrases()["partly_understood"].format(recorded=said)) if said else None


def count_ask(state: State, fact: str) -> int:
    """Count one more asking of ``fact``; the number of times it has now been asked."""
    state.asked[fact] = state.asked.get(fact, 0) + 1
    return state.asked[fact]


def rephrase(text: str, fact: str) -> str:
    p = phrases()["rephrase"]
    example = p["examples"].get(fact) or p["default"]
    return f"{p['prefix']}{text}{example}"


def gave_up(fact: str) -> Message:
    return Message(phrases()["gave_up"].format(label=label(fact)))


def not_understood(fact: Optional[str]) -> str:
    p = phrases()
    text = p["not_understood"]
    if fact:
        text += p["still_needed"].format(label=label(fact))
    return str(text)


def review(state: State) -> List[Message]:
    """Everything recorded so far, with the way to correct it."""
    r = phrases()["review"]
    lines = []
    for fact in phrases()["recorded"]:
        if fact in state.facts and fact != "debts":
            v = _value(fact, state.facts[fact])
            if v:
                lines.append(f"・{label(fact)}：{v}")
        elif fact in state.skipped:
            lines.append(f"・{label(fact)}：{r['skipped']}")
    if state.facts.get("debts"):
        lines.append(f"・{label('debts')}：{_value('debts', state.facts['debts'])}")
    body = r["header"] + "\n" + "\n".join(lines) if lines else r["empty"]
    return [Message(body), Message(r["footer"], [Button(r["continue_button"], "request_diagnosis"),
                                                Button(r["restart_button"], "start_over")])]


def after_distress() -> List[Message]:
    p = phrases()
    msgs = [Message(t) for t in p["after_distress"]]
    msgs[-1].buttons = [Button(b["title"], b["intent"]) for b in p["after_distress_buttons"]]
    return msgs
