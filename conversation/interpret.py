"""What a visitor's message says about their facts, given the question pending.

The dialogue asks one question at a time (``next_question``); visitors answer with a
button, a word (「はい」「賃貸です」), a sentence full of facts (「アコムとプロミスで計250万」),
a correction (「やっぱり300万でした」), or 「わからない」. :func:`interpret` turns the NLU
result of one message into fact updates. Pure Python: no Rasa import.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional

from debt_rules import coerce_fact

# keyword -> value, for facts people answer in words
_CAUSE = [
    (r"ギャンブル|パチンコ|パチスロ|スロット|競馬|競艇|競輪|賭け|カジノ|浪費|買い物|ブランド|ホスト|キャバ|推し|課金|投資|FX|仮想通貨|株", "gambling_or_spending"),
    (r"事業|商売|自営|お店|店の|経営|運転資金|仕入", "business"),
    (r"生活費|生活|医療|病気|入院|失業|教育費|学費|家賃|冠婚葬祭|介護|子育て", "living"),
]
_STABLE_TRUE = r"正社員|会社員|公務員|契約社員|派遣|パート|アルバイト|バイト|年金|給料|給与|月給|安定して"
_STABLE_FALSE = r"無職|失業|収入が(ない|無い|不安定)|不安定|休職|求職中|仕事(が|を)?(ない|無い|探し)"
_HOME_TRUE = r"持ち家|持家|マイホーム|家を(持って|買った|購入)|一戸建て|分譲|住宅ローン"
_HOME_FALSE = r"賃貸|アパート|借家|社宅|寮|実家|間借り"
_LAWSUIT_TRUE = r"訴状|訴訟|裁判|差し?押さ?え|支払督促|仮執行|口頭弁論"
_KEEP_HOME_TRUE = r"残したい|手放したくない|住み続けたい|守りたい"
_KEEP_HOME_FALSE = r"手放して(も|いい)|売っても|残さなくて"
_REPAID_TRUE = r"完済|返し終わ|払い終わ|返済し終わ"
_REPAID_FALSE = r"返済中|まだ返して|払っている最中|残って"

_NONE = r"^(ない|無い|なし|ゼロ|0円?|ありません)|ほとんど(ない|無い|ありません|ゼロ)|全く(ない|無い)|まったく(ない|無い)|何も(ない|無い)|返せない|払えない|一円も"

# words before an amount that say which amount it is
_AMOUNT_HINTS = [
    (r"手取り|収入|給料|給与|月収|年金", "monthly_take_home"),
    (r"月|毎月|月々|返せ|払え|返済に回せ|返済可能", "monthly_capacity"),
    (r"貯金|預金|財産|資産|保険|解約|車の価値|価値", "assets_value"),
    (r"借金|借入|借り|総額|合計|計|残高|債務", "debt_total"),
]
AMOUNT_FIELDS = ("debt_total", "monthly_capacity", "monthly_take_home", "assets_value")
BOOL_FIELDS = ("stable_income", "owns_home", "keep_home", "discharge_within_7_years",
               "restricted_occupation", "seizure_or_lawsuit", "large_city", "has_guarantor",
               "repaid_in_full")
# the three cases of 「任意整理を断られた」 (seed 000)
REFUSAL_CASES = [
    (r"心配|不安|断られそう|断られるかも|まだ|これから|前に|大丈夫", "worried"),
    (r"弁護士|司法書士|事務所|受任|依頼を|引き受け|先生", "firm_declined"),
    (r"債権者|カード会社|消費者金融|サラ金|銀行|信販|和解|交渉|貸金|業者", "creditor_refused"),
]


@dataclass
class Interpretation:
    updates: Dict[str, Any] = field(default_factory=dict)
    skipped: List[str] = field(default_factory=list)

    @property
    def understood(self) -> bool:
        return bool(self.updates or self.skipped)


_CORRECTION = r"やっぱり|やはり|訂正|間違え|間違い|じゃなくて|ではなく|でなく|修正|正しくは|本当は"


# an amount just before these is the monthly income: 「毎月15万円の給料」
_TAKE_HOME_AFTER = r"^\s*(?:円|万円|万)?\s*(?:ほど|くらい|ぐらい|程度)?の?(?:手取り|収入|給料|給与|月収|年金)"
# amounts of living costs are not a fact the diagnosis asks for: 「家賃5万円」
_EXPENSE_BEFORE = r"(?:家賃|生活費|食費|光熱費|水道代|電気代|ガス代|携帯代|通信費|養育費|学費|保育料|管理費)(?:は|が|で)?\s*(?:月|毎月|月々)?\s*$"


def _amount_field(text: str, start: int, pending: Optional[str], value: int = 0,
                  known: Optional[Dict[str, Any]] = None, end: Optional[int] = None) -> Optional[str]:
    """Which fact an amount in ``text`` at ``start`` answers, or None (a living cost)."""
    window = text[max(0, start - 12):start]
    if re.search(_EXPENSE_BEFORE, window):
        return None
    if end is not None and re.search(_TAKE_HOME_AFTER, text[end:end + 12]):
        return "monthly_take_home"
    if re.search(_CORRECTION, text) and not any(re.search(p, window) for p, _ in _AMOUNT_HINTS):
        # 「やっぱり300万でした」 corrects the earlier amount nearest in scale
        answered = [f for f in AMOUNT_FIELDS if (known or {}).get(f)]
        if answered and value > 0:
            return min(answered, key=lambda f: abs(math.log10(known[f]) - math.log10(value)))
    for pattern, name in _AMOUNT_HINTS:
        if re.search(pattern, window):
            # a hint nearer the amount wins over the pending question only when explicit
            if pending in AMOUNT_FIELDS and name == "debt_total" and pending != "debt_total":
                continue
            return name
    if pending in AMOUNT_FIELDS:
        return pending
    return "debt_total"


def _keyword(text: str, rules) -> Optional[Any]:
    for pattern, value in rules:
        if re.search(pattern, text):
            return value
    return None


def refusal_case(text: str) -> Optional[str]:
    """Which 「断られた」 case a message describes, or None when it does not say."""
    return _keyword(text or "", REFUSAL_CASES)


def _parse_answer_value(raw: Any) -> Any:
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw


def interpret(
    pending: Optional[str],
    text: str,
    intent: Optional[str],
    entities: Iterable[Dict[str, Any]],
    known: Optional[Dict[str, Any]] = None,
) -> Interpretation:
    """Fact updates from one message.

    ``pending``: the fact the assistant asked for last (or None). ``entities``: Rasa's
    entity dicts (entity, value, start, end), including button payload entities
    ``answer_field``/``answer_value``. ``known``: facts so far (for merging lender types).
    Invalid values (a negative amount...) raise :class:`InputError`.
    """


    text = text or ""
    known = known or {}
    result = Interpretation()
    ents = list(entities or [])
    by_type: Dict[str, List[Dict[str, Any]]] = {}
    for e in ents:
        by_type.setdefault(e.get("entity"), []).append(e)

    # 1. buttons: /inform{"answer_field": "...", "answer_value": "..."}
    field_from_button = (by_type.get("answer_field") or [{}])[0].get("value")
    if intent == "dont_know":
        target = field_from_button or pending
        if target:
            result.skipped.append(target)
        return result
    if field_from_button and by_type.get("answer_value"):
        value = _parse_answer_value(by_type["answer_value"][0].get("value"))
        if value is None:
            result.skipped.append(field_from_button)
        elif field_from_button == "lender_types":   # one button per kind: add to the others
            merged = list(known.get("lender_types") or [])
            merged += [t for t in (value if isinstance(value, list) else [value]) if t not in merged]
            result.updates["lender_types"] = coerce_fact("lender_types", merged)
        else:
            result.updates[field_from_button] = coerce_fact(field_from_button, value)
        return result

    # 2. entities
    types = [e["value"] for e in by_type.get("lender_type", [])]
    if types:
        merged = list(known.get("lender_types") or [])
        for t in types:
            if t not in merged:
                merged.append(t)
        result.updates["lender_types"] = coerce_fact("lender_types", merged)
    for e in by_type.get("amount", []):
        name = _amount_field(text, e.get("start", 0) or 0, pending, int(e["value"]), known, e.get("end"))
        if name is not None:
            result.updates[name] = coerce_fact(name, int(e["value"]))
    for e in by_type.get("percent", []):
        result.updates["rate_percent"] = coerce_fact("rate_percent", float(e["value"]))
    for e in by_type.get("year", []):
        window = text[(e.get("end") or 0):(e.get("end") or 0) + 8]
        if pending == "completed_year" or re.search(_REPAID_TRUE, window):
            result.updates["completed_year"] = coerce_fact("completed_year", int(e["value"]))
            result.updates.setdefault("repaid_in_full", True)
        else:
            result.updates["start_year"] = coerce_fact("start_year", int(e["value"]))
    for e in by_type.get("count", []):
        if pending == "household_size" or re.search(r"家族|世帯|人暮らし|人家族", text):
            result.updates["household_size"] = coerce_fact("household_size", int(e["value"]))

    # none at all: 「ほとんどないです」「ゼロ」 to an amount question
    if pending in ("assets_value", "monthly_capacity") and pending not in result.updates:
        if re.search(_NONE, text) or (intent == "deny" and pending == "assets_value"):
            result.updates[pending] = 0
    if "household_size" not in result.updates and re.search(r"ひとり暮らし|一人暮らし|独り暮らし|単身", text):
        result.updates["household_size"] = 1
    elif "household_size" in result.updates and re.search(r"夫婦|妻と|夫と", text) and re.search(r"子", text):
        result.updates["household_size"] += 2   # 「夫婦と子ども2人」: the count was the children

    # 3. yes / no to a yes-no question
    if pending in BOOL_FIELDS and pending not in result.updates:
        if intent == "affirm":
            result.updates[pending] = True
        elif intent == "deny":
            result.updates[pending] = False

    # 4. words
    cause = _keyword(text, _CAUSE)
    if cause and (pending == "cause" or "cause" not in known):
        result.updates.setdefault("cause", cause)
    word_rules = [
        ("stable_income", _STABLE_TRUE, _STABLE_FALSE),
        ("owns_home", _HOME_TRUE, _HOME_FALSE),
        ("keep_home", _KEEP_HOME_TRUE, _KEEP_HOME_FALSE),
        ("repaid_in_full", _REPAID_TRUE, _REPAID_FALSE),
    ]
    for name, yes, no in word_rules:
        if name in result.updates:
            continue
        if pending != name and name in known:
            continue  # volunteered words never overwrite a given answer
        if re.search(no, text):
            result.updates[name] = False
        elif re.search(yes, text):
            result.updates[name] = True
    if "seizure_or_lawsuit" not in result.updates:
        m = re.search(_LAWSUIT_TRUE, text)
        if m and not re.search(r"ない|無い|ありません|ません|いいえ", text[m.end():m.end() + 12]):
            result.updates["seizure_or_lawsuit"] = True
    return result
