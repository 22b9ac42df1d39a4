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
from typing import Any, Dict, Iterable, List, Optional, Tuple

from debt_rules import coerce_fact

# keyword -> value, for facts people answer in words
_CAUSE = [
    (r"ギャンブル|パチンコ|パチスロ|スロット|競馬|競艇|競輪|賭け|カジノ|浪費|買い物|ブランド|ホスト|キャバ|推し|課金|投資|FX|仮想通貨|株", "gambling_or_spending"),
    (r"事業|商売|自営|お店|店の|経営|運転資金|仕入", "business"),
    (r"生活費|生活|医療|病気|入院|失業|教育費|学費|家賃|冠婚葬祭|介護|子育て", "living"),
]
_STABLE_TRUE = (r"正社員|会社員|公務員|契約社員|派遣|パート|アルバイト|バイト|年金(?![^、。]{0,6}(?:滞納|未納|未払))"
                r"|給料|給与|月給|安定して|仕事|働いて|勤めて|収入")
_STABLE_FALSE = r"無職|失業|収入が(ない|無い|不安定)|不安定|休職|求職中|仕事(が|を)?(ない|無い|探し)"
# an employment status said not to be ours says nothing about stability: 「正社員じゃないけど」
_STABLE_STATUS = r"正社員|会社員|公務員|契約社員|派遣"
_HOME_TRUE = (r"持ち家|持家|マイホーム|家を(持って|買った|購入)|一戸建て|分譲|住宅ローン|マンション(を)?(買|購入)"
              r"|(?<![実借])家(?:は|が|も|なんて|とか|を)?(?:持って|もって|持ち|あり|ある|買|購入)")
_HOME_FALSE = r"賃貸|アパート|借家|社宅|寮|実家|間借り"
_LAWSUIT_TRUE = r"訴状|訴訟|裁判|差し?押さ?え|支払督促|仮執行|口頭弁論"
_KEEP_HOME_TRUE = r"残したい|手放したくない|住み続けたい|守りたい"
_KEEP_HOME_FALSE = r"手放して(も|いい)|売っても|残さなくて|残したくない"
_REPAID_TRUE = r"完済|返し終わ|払い終わ|返済し終わ"
_REPAID_FALSE = r"返済中|まだ返して|払っている最中|残って"

_NONE = (r"^(ない|無い|なし|ゼロ|0円?|ありません)|ほとんど(ない|無い|ありません|ゼロ)|全く(ない|無い)|まったく(ない|無い)"
         r"|(何|なに)も(ない|無い)|返せない|払えない|一円も|1円も|収入(は|が)?(ない|無い|ゼロ|なし)")

# ---- negation, scoped to the clause after the word it denies
# where a clause ends: punctuation, spaces, and the conjunctions けど・ですが・〜し
_CLAUSE_END = r"[、。，,．！!？?\n…・/]|\s|けど|けれど|ですが|ますが|だが|(?<=[いだ])し(?![ぁ-ゖ])"
# the same without spaces: 「プロミス　８０万」 is one phrase
_PHRASE_END = r"[、。，,．！!？?\n…/]|けど|けれど|ですが|ますが|だが|(?<=[いだ])し(?![ぁ-ゖ])"
# ない after a particle, て/で, a non-hiragana character or nothing; potential forms
# (返せない, 払えない) and plain negatives of verbs (減らない) are not denials of the thing
_NEG = re.compile(
    r"(?:^|(?<![ぁ-ゖ])|(?<=[はもがゃてでっうだにいか]))(?:ない|無い|なかった|無かった|なく)"
    r"|ありません|ございません|(?<![えけせねべめれげきぎりら])ません|なし|無し|ナシ|ゼロ|0円")
# phrases with ない that deny nothing: 「車のローンしかない」「少ない」
_NOT_DENIAL = re.compile(
    r"しか(?:ない|無い|ありません)|少な|危な|汚な|もったいな|仕方(?:が)?な|しょうがな|間違いな|申し訳な"
    r"|わから|分から|知らな|わかりません|分かりません|問題な|足りな|構いません|構わな|かまいません|かまわな")
# another topic ends a word's scope: 「無職で貯金もない」 denies the savings, not 無職
_TOPIC = re.compile(
    r"貯金|預金|貯蓄|財産|資産|現金|車(?!の?ローン)|保険|持ち家|持家|マイホーム|一戸建て|賃貸|実家"
    r"|正社員|会社員|公務員|パート|アルバイト|バイト|仕事|収入|給料|手取り|借金")

# ---- which fact an amount is: the words nearest before it, within its phrase
_HINTS = [
    (r"年収|年間(?:の)?(?:収入|所得|手取り)|年で", "annual_income"),
    (r"手取り|収入|給料|給与|月収|稼ぎ|パート代|バイト代|年金", "monthly_take_home"),
    (r"返せる|返せ|払え|出せ|回せ|返済可能|捻出", "monthly_capacity"),
    (r"返済|支払|(?<!未)払い|払って|返して|引き落と|ローン代", "monthly_repayment"),
    (r"貯金|預金|貯蓄|財産|資産|保険|解約|返戻金|価値|売ったら|売れば|売ると|査定|株|積立|車|現金|へそくり", "assets_value"),
    (r"合計|総額|全部で|全部|トータル|計|合わせて|あわせて", "total"),
    (r"借金|借入|借り入れ|借りて|借りた|債務|残高|滞納|未払い|未納|ローン|負債", "debt"),
    (r"家賃|生活費|食費|光熱費|水道代|電気代|ガス代|携帯代|通信費|学費|保育料|管理費|仕送り", "expense"),
]
_HINT_RE = [(re.compile(p), name) for p, name in _HINTS]
_MONTHLY = re.compile(r"月|毎月|月々|月に")
# words after an amount
_AFTER_PREFIX = r"^\s*(?:円)?\s*(?:くらい|ぐらい|位|ほど|程度|前後|ちょっと|以上|ずつ)?\s*"
_DISCARDED_AFTER = re.compile(_AFTER_PREFIX + r"(?:じゃなくて|じゃなく|ではなく|でなく)")
_TAKE_HOME_AFTER = re.compile(_AFTER_PREFIX + r"の?(?:手取り|収入|給料|給与|月収|年金)")
_ASSETS_AFTER = re.compile(_AFTER_PREFIX + r"の?(?:貯金|預金|貯蓄|財産|資産)")
_DEBT_AFTER = re.compile(_AFTER_PREFIX + r"の?(?:借金|借入|借り入れ|負債|債務)")
_REPAYMENT_AFTER = re.compile(
    _AFTER_PREFIX + r"(?:を|は|が)?\s*(?:毎月|月々)?\s*(?:返して|払って|返済して|返済中|支払って|払ってる|引き落と|の返済|の支払|消えて)")
_ABILITY_AFTER = re.compile(
    r"返せ|払え|出せ|回せ|返済でき|返済可能|が限界|が精一杯|が精いっぱい|までなら|なら(?:なんとか|何とか|大丈夫|いけ)")
# 「1円も返せない」: the amount only stresses a none
_NONE_AFTER = re.compile(r"^\s*(?:円)?\s*も[^、。]*(?:ない|ません)")
_ABILITY_NEGATED = re.compile(r"(?:返せ|払え|出せ|回せ|返済でき)(?:ない|ません)")
# an amount right after these is a living cost, not a fact the diagnosis asks for
_EXPENSE_BEFORE = r"(?:家賃|生活費|食費|光熱費|水道代|電気代|ガス代|携帯代|通信費|養育費|学費|保育料|管理費)(?:は|が|で)?\s*(?:月|毎月|月々)?\s*$"
# an amount said on top of one said before: 「借金は300万、あと親に50万」
_MORE = r"あと|ほかに|他に|それと|それから|プラス|別に"
# a lender named only to set it aside: 「住宅ローン以外だと300万」
_EXCEPT_AFTER = re.compile(r"^\s*(?:以外|を除いて|を除くと|除いて|抜きで|は別で)")
_PAID_OFF_AFTER = re.compile(r"完済|払い終わ|返し終わ|返済し終わ")
# 「年金」 is a debt (tax) only when it is unpaid; otherwise it is income
_PENSION_DEBT_AFTER = re.compile(r"滞納|未納|未払|払って(?:い)?な|払えて(?:い)?な|督促|保険料")
_ASSET_WORDS = r"貯金|預金|貯蓄|財産|資産|現金|へそくり"
_ASSET_WORDS_ASKED = _ASSET_WORDS + r"|車(?!の?ローン)|保険|株"

AMOUNT_FIELDS = ("debt_total", "monthly_capacity", "monthly_take_home", "assets_value")
BOOL_FIELDS = ("stable_income", "owns_home", "keep_home", "discharge_within_7_years",
               "restricted_occupation", "seizure_or_lawsuit", "large_city", "has_guarantor",
               "repaid_in_full")
# relief does not act on these: their amounts are never part of debt_total
NOT_IN_TOTAL = ("mortgage", "tax", "child_support")
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


def _mask_not_denials(text: str) -> str:
    return _NOT_DENIAL.sub(lambda m: "＿" * len(m.group(0)), text)


def _end_of(text: str, pos: int, boundary: str = _CLAUSE_END) -> int:
    m = re.compile(boundary).search(text, pos)
    return m.start() if m else len(text)


def _start_of(text: str, pos: int, boundary: str = _PHRASE_END) -> int:
    last = 0
    for m in re.compile(boundary).finditer(text, 0, pos):
        last = m.end()
    return last


def _denied(text: str, end: int) -> bool:
    """Whether the clause after a word ending at ``end`` denies it: 「持ち家はないです」."""
    scope = text[end:_end_of(text, end)]
    other = _TOPIC.search(scope)
    return bool(_NEG.search(scope[:other.start()] if other else scope))


def _word_fact(text: str, yes: str, no: str, status: Optional[str] = None,
               keep_unknown: Optional[str] = None) -> Optional[bool]:
    """True/False from words, each scoped: a denied 'no' word says nothing, a denied
    'yes' word is False (except ``status``/``keep_unknown`` words, which then say nothing)."""
    for m in re.finditer(no, text):
        if not _denied(text, m.end()):
            return False
    denied_yes = False
    for m in re.finditer(yes, text):
        if not _denied(text, m.end()):
            return True
        if not ((status and re.fullmatch(status, m.group(0)))
                or (keep_unknown and re.fullmatch(keep_unknown, m.group(0)))):
            denied_yes = True
    return False if denied_yes else None


def _lenders(text: str, masked: str, ents: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The lender_type entities the message affirms: not denied (「車のローンもない」),
    not paid off, and 「年金」 only when unpaid. Each gets ``aside`` when named only to
    be set aside (「住宅ローン以外」)."""
    kept = []
    for e in ents:
        start, end = e.get("start"), e.get("end")
        if start is None or end is None:
            kept.append({**e, "aside": False})
            continue
        clause = masked[end:_end_of(masked, end)]
        if _NEG.search(clause) or _PAID_OFF_AFTER.search(clause):
            continue
        if text[start:end] == "年金" and not _PENSION_DEBT_AFTER.search(clause):
            continue
        kept.append({**e, "aside": bool(_EXCEPT_AFTER.search(text[end:]))})
    return kept


def _hints(text: str, lo: int, hi: int, lenders: List[Dict[str, Any]]):
    """(start, end, label) of the words in text[lo:hi] that say which fact an amount is;
    words inside a lender's name (「車のローン」「親からの借金」) are the lender."""
    spans = [(e["start"], e["end"]) for e in lenders if e.get("start") is not None]
    found = []
    for rx, name in _HINT_RE:
        for m in rx.finditer(text, lo, hi):
            if not any(a < m.end() and m.start() < b for a, b in spans):
                found.append((m.start(), m.end(), name))
    for e in lenders:
        if e.get("start") is not None and lo <= e["start"] and e["end"] <= hi and not e["aside"]:
            found.append((e["start"], e["end"], "lender"))
    return found


def _classify(text: str, masked: str, e: Dict[str, Any], prev_end: int, next_start: int,
              lenders: List[Dict[str, Any]], pending: Optional[str],
              known: Dict[str, Any]) -> Tuple[Optional[str], Optional[str]]:
    """(fact, lender type) an amount entity answers; fact None when it is a living cost
    or a value the visitor took back. Fact "debt_item" is one lender's balance."""
    start = e.get("start") or 0
    end: int = e["end"] if e.get("end") is not None else start
    value = int(e["value"])
    lo = max(_start_of(text, start), prev_end)
    before = text[lo:start]
    after = text[end:min(_end_of(text, end), next_start)]
    if _DISCARDED_AFTER.search(after) or _NONE_AFTER.search(after):
        return None, None
    if re.search(_EXPENSE_BEFORE, text[max(0, start - 12):start]):
        return None, None
    hints = _hints(text, lo, start, lenders)
    label = None
    if any(name == "annual_income" for _, _, name in hints):
        return "annual_income", None          # 年収 is never monthly, whatever is nearer
    if hints:
        label = max(hints, key=lambda h: (h[1], h[1] - h[0]))[2]
    if _TAKE_HOME_AFTER.search(after):
        return "monthly_take_home", None
    if label in (None, "monthly_repayment", "monthly_capacity") and _ABILITY_AFTER.search(after) \
            and (not _ABILITY_NEGATED.search(after) or "しか" in after):
        return "monthly_capacity", None
    if label is None and _REPAYMENT_AFTER.search(after):
        return "monthly_repayment", None
    if label is None and _ASSETS_AFTER.search(after):
        return "assets_value", None
    if label is None and _DEBT_AFTER.search(after):
        return "debt_total", None
    if label == "expense":
        return None, None
    if label in ("monthly_take_home", "monthly_capacity", "monthly_repayment", "assets_value"):
        return label, None
    in_window = [x for x in lenders if x.get("start") is not None and lo <= x["start"] and x["end"] <= start
                 and not x["aside"]]
    if in_window and all(x["value"] in NOT_IN_TOTAL for x in in_window) \
            and (label == "total" or (label in ("debt", "lender") and len(in_window) > 1)):
        return None, None                     # 「税金と国保の滞納が合わせて50万」: not in the total
    if label == "total":
        return "debt_total", None
    if label in ("lender", "debt"):
        if len(in_window) == 1:
            lender = in_window[0]
            if _MONTHLY.search(text[lender["end"]:start]):
                # 「車ローン月3万」: what is paid each month, not what is owed
                if lender["value"] == "child_support":
                    return None, None
                return "monthly_repayment", None
            if re.match(r"^\s*(?:の|は|が)?\s*[0-9０-９一二三四五六七八九十]+\s*(?:社|件|か所|ヶ所|箇所|口)", text[lender["end"]:start]):
                return "debt_group", lender["value"]   # 「消費者金融3社で300万」: several debts
            return "debt_item", lender["value"]
        return "debt_total", None
    # no word says which: a correction, the question asked, or the debt
    if re.search(_CORRECTION, text):
        answered = [f for f in AMOUNT_FIELDS if known.get(f)]
        if answered and value > 0:
            return min(answered, key=lambda f: abs(math.log10(known[f]) - math.log10(value))), None
    if pending in AMOUNT_FIELDS:
        return pending, None
    if _MONTHLY.search(before):
        return None, None                     # a monthly amount of we do not know what
    return "debt_total", None


def _merge_debts(known: Dict[str, Any], items: List[Dict[str, Any]], correction: bool) -> List[Dict[str, Any]]:
    debts = [dict(d) for d in (known.get("debts") or [])]
    for item in items:
        same = [d for d in debts if d["lender_type"] == item["lender_type"]]
        if correction and same:
            same[0]["balance"] = item["balance"]
        else:
            debts.append(dict(item))
    return debts


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
        by_type.setdefault(str(e.get("entity")), []).append(e)

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
    masked = _mask_not_denials(text)
    correction = bool(re.search(_CORRECTION, text))
    lenders = _lenders(text, masked, by_type.get("lender_type", []))
    types = [e["value"] for e in lenders]
    if types:
        merged = list(known.get("lender_types") or [])
        for t in types:
            if t not in merged:
                merged.append(t)
        result.updates["lender_types"] = coerce_fact("lender_types", merged)
    amounts = sorted(by_type.get("amount", []), key=lambda x: x.get("start") or 0)
    items: List[Dict[str, Any]] = []
    groups: List[bool] = []
    stated_total = None
    assets: List[int] = []
    prev_end = 0
    for k, e in enumerate(amounts):
        nxt = amounts[k + 1].get("start") if k + 1 < len(amounts) else None
        name, lender = _classify(text, masked, e, prev_end, len(text) if nxt is None else nxt,
                                 lenders, pending, known)
        prev_end = int(e["end"] if e.get("end") is not None else (e.get("start") or 0))
        value = int(e["value"])
        if name is None:
            continue
        if name in ("debt_item", "debt_group"):
            items.append({"lender_type": lender, "balance": coerce_fact("debt_total", value)})
            groups.append(name == "debt_group")
        elif name == "debt_total":
            lo = _start_of(text, e.get("start") or 0)
            if stated_total is not None and re.search(_MORE, text[lo:e.get("start") or 0]):
                stated_total += coerce_fact("debt_total", value)   # 「300万、あと親に50万」
            else:
                stated_total = coerce_fact("debt_total", value)
        elif name == "assets_value":
            assets.append(coerce_fact("assets_value", value))
        else:
            result.updates[name] = coerce_fact(name, value)
    if assets:
        result.updates["assets_value"] = coerce_fact("assets_value", sum(assets))
    if len(items) == 1 and groups[0] and not known.get("debts"):
        # one amount for several lenders of a kind is their total, not a list of debts
        if stated_total is None:
            stated_total = items[0]["balance"] if items[0]["lender_type"] not in NOT_IN_TOTAL else None
        items = []
    if items:
        debts = _merge_debts(known, items, correction)
        result.updates["debts"] = coerce_fact("debts", debts)
        relief = [d["balance"] for d in debts if d["lender_type"] not in NOT_IN_TOTAL]
        if any(d["lender_type"] == "mortgage" for d in items):
            result.updates.setdefault("owns_home", True)
        if stated_total is None and relief:
            summed = sum(relief)
            # a breakdown smaller than the total said before is a part of it
            if not (known.get("debt_total") and not known.get("debts") and not correction
                    and summed < known["debt_total"]):
                stated_total = summed
    if stated_total is not None:
        result.updates["debt_total"] = stated_total
    if any(e["value"] == "mortgage" and not e["aside"] for e in lenders):
        if pending == "owns_home" or "owns_home" not in known:
            result.updates.setdefault("owns_home", True)
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
    if pending in ("assets_value", "monthly_capacity", "monthly_take_home") and pending not in result.updates:
        if re.search(_NONE, text) or (intent == "deny" and pending == "assets_value"):
            result.updates[pending] = 0
    # 「貯金はゼロです」「車はもってないです」: every asset named is denied
    if "assets_value" not in result.updates:
        words = _ASSET_WORDS_ASKED if pending == "assets_value" else _ASSET_WORDS
        found = [m for m in re.finditer(words, masked)
                 if not any(x.get("start") is not None and x["start"] <= m.start() < x["end"] for x in lenders)]
        if found and all(_denied(masked, m.end()) for m in found):
            result.updates["assets_value"] = 0
    if "household_size" not in result.updates and re.search(r"ひとり暮らし|一人暮らし|独り暮らし|単身", text):
        result.updates["household_size"] = 1
    elif "household_size" in result.updates and re.search(r"夫婦|妻と|夫と", text) and re.search(r"子", text) \
            and not re.search(r"人家族|人世帯|人で暮ら", text):
        result.updates["household_size"] += 2   # 「夫婦と子ども2人」: the count was the children

    # 3. yes / no to a yes-no question
    if pending in BOOL_FIELDS and pending not in result.updates:
        if intent == "affirm":
            result.updates[pending] = True
        elif intent == "deny":
            result.updates[pending] = False

    # 4. words, each scoped to its clause: 「ギャンブルではないです、生活費です」
    cause = None
    for pattern, value in _CAUSE:
        if any(not _denied(masked, m.end()) for m in re.finditer(pattern, masked)):
            cause = value
            break
    if cause and (pending == "cause" or "cause" not in known):
        result.updates.setdefault("cause", cause)
    word_rules = [
        ("stable_income", _STABLE_TRUE, _STABLE_FALSE, _STABLE_STATUS, None),
        ("owns_home", _HOME_TRUE, _HOME_FALSE, None, "住宅ローン"),
        ("keep_home", _KEEP_HOME_TRUE, _KEEP_HOME_FALSE, None, None),
        ("repaid_in_full", _REPAID_TRUE, _REPAID_FALSE, None, None),
    ]
    for name, yes, no, status, keep_unknown in word_rules:
        if name in result.updates:
            continue
        if pending != name and name in known:
            continue  # volunteered words never overwrite a given answer
        value = _word_fact(masked, yes, no, status, keep_unknown)
        if value is not None:
            result.updates[name] = value
    if "seizure_or_lawsuit" not in result.updates:
        if any(not _denied(masked, m.end()) for m in re.finditer(_LAWSUIT_TRUE, masked)):
            result.updates["seizure_or_lawsuit"] = True
    return result
