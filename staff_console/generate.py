"""Synthetic conversations in Rasa's tracker-store format, for the benchmark and tests.

Each conversation is the list of event dicts Rasa's ``Event.as_dict()`` produces (the same
keys SQLTrackerStore serialises into ``events.data``): session start, then visitor turns
with NLU parse data (intent, confidence, ranking, entities, input channel), the actions the
bot ran, its messages with buttons, and slots — including the flags the console filters on
(distress_flag, handoff_requested, urgent_flag, diagnosis_primary, assessment). Some
visitors write personal data (names, phone numbers, e-mail, addresses), as real ones do.

``rows_for`` turns events into ``events`` table rows exactly as SQLTrackerStore.save does.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from typing import Any, Dict, Iterator, List, Tuple

PROCEDURES = ["voluntary_settlement", "individual_rehabilitation", "bankruptcy",
              "specific_mediation", "overpayment_claim"]
CHANNELS = [("socketio", 0.6), ("line", 0.3), ("rest", 0.1)]
SURNAMES = ["山田", "佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "中村", "小林", "加藤"]
GIVEN = ["太郎", "花子", "健一", "美咲", "翔太", "陽子", "大輔", "恵", "直樹", "由美"]

# (intent, templates); {n} an amount in 万, {c} a count
TOPICS: List[Tuple[str, List[str]]] = [
    ("greet", ["こんにちは", "はじめまして", "よろしくお願いします"]),
    ("ask_settlement_refused", ["任意整理を断られました", "任意整理 断られる", "債権者が和解に応じてくれない",
                                "弁護士事務所に依頼を断られました", "任意整理を断られたらどうすればいいですか"]),
    ("ask_debt_consolidation", ["債務整理って何ですか", "借金を減らす方法は", "債務整理の種類を教えて"]),
    ("ask_voluntary_settlement", ["任意整理とは", "任意整理の仕組みを教えて", "任意整理するとどうなるの"]),
    ("ask_overpayment", ["過払い金ありますか", "払いすぎた利息って戻ってくる？", "過払い金って何"]),
    ("ask_overpayment_deadline", ["過払い金の時効は", "完済して12年経つけど請求できる？"]),
    ("request_recalculation", ["引き直し計算してほしい", "利息制限法で計算し直すといくら？"]),
    ("ask_individual_rehabilitation", ["個人再生とは", "個人再生の条件は", "民事再生で借金はどれくらい減る"]),
    ("ask_bankruptcy", ["自己破産するとどうなる", "破産の条件を教えて", "自己破産のデメリット"]),
    ("ask_compare_procedures", ["任意整理と個人再生どっちがいい", "一番いい方法はどれ"]),
    ("request_diagnosis", ["自分に合う方法を知りたい", "消費者金融{c}社で{n}万、任意整理できますか",
                           "借金の診断をしてほしい", "私の場合どうすればいい"]),
    ("inform", ["{n}万くらいです", "{c}社から借りてます", "2005年ごろからです", "月{m}万なら返せます"]),
    ("ask_cost", ["費用はいくらかかる", "弁護士費用が払えない", "任意整理の着手金は"]),
    ("ask_family_impact", ["家族にバレますか", "妻に内緒でできる", "子どもに影響はある"]),
    ("ask_work_impact", ["会社に知られますか", "仕事を辞めないといけない？"]),
    ("ask_credit_record", ["ブラックリストに載りますか", "信用情報は何年で消える"]),
    ("ask_stop_collection", ["督促の電話を止めたい", "取り立てが怖い"]),
    ("ask_free_consultation", ["無料で相談できるところ", "法テラスって使える？"]),
    ("thank", ["ありがとうございます", "助かりました", "参考になりました"]),
]
WEIGHTS = [6, 5, 4, 3, 4, 1, 1, 2, 3, 2, 4, 5, 3, 2, 1, 2, 1, 1, 4]
FALLBACK_TEXTS = ["あああ", "ｗｗｗ", "今日の天気は？", "おすすめのラーメン屋", "？？"]
HANDOFF_TEXTS = ["人と話したい", "弁護士さんに直接相談したい", "電話で話せますか"]
DISTRESS_TEXTS = ["もう死にたい", "消えてしまいたい", "生きていても仕方ない"]
URGENT_TEXTS = ["裁判所から訴状が届いた", "給料を差し押さえられた", "支払督促が来た"]
PERSONAL_TEXTS = ["私は{name}です", "名前は{name}です。電話は{phone}です", "メールは{email}です",
                  "〒160-0023 東京都新宿区西新宿{b}に住んでいます", "LINE IDは{lineid}です"]
BOT_TEXTS = ["ご相談ありがとうございます。", "くわしくお答えします。", "もう少し教えていただけますか。",
             "一般的な情報です。実際の判断は弁護士または司法書士が行います。",
             "任意整理は、貸金業者と将来の利息などを交渉する手続きです。",
             "よろしければ、借入の合計額を教えてください。"]


class Clock:
    def __init__(self, ts: float) -> None:
        self.ts = ts

    def tick(self, lo: float = 0.05, hi: float = 0.4, rng: random.Random = random) -> float:
        self.ts += rng.uniform(lo, hi)
        return self.ts


def _ranking(rng: random.Random, intent: str, conf: float) -> List[Dict[str, Any]]:
    others = rng.sample([t[0] for t in TOPICS if t[0] != intent], 4)
    rest = 1.0 - conf
    ranking = [{"name": intent, "confidence": conf}]
    for name in others:
        c = round(rest * rng.uniform(0.2, 0.6), 4)
        rest -= c
        ranking.append({"name": name, "confidence": c})
    return ranking


def user_event(rng: random.Random, clock: Clock, text: str, intent: str, channel: str,
               confidence: float | None = None) -> Dict[str, Any]:
    conf = round(confidence if confidence is not None else rng.uniform(0.55, 0.99), 4)
    entities = []
    if "万" in text:
        i = text.index("万")
        j = i
        while j > 0 and text[j - 1].isdigit():
            j -= 1
        if j < i:
            entities.append({"entity": "amount", "start": j, "end": i + 1, "value": int(text[j:i]) * 10000,
                             "extractor": "JapaneseNumberExtractor"})
    mid = uuid.UUID(int=rng.getrandbits(128)).hex
    return {"event": "user", "timestamp": clock.tick(2, 40, rng), "text": text,
            "parse_data": {"intent": {"name": intent, "confidence": conf}, "entities": entities,
                           "text": text, "message_id": mid, "metadata": {},
                           "intent_ranking": _ranking(rng, intent, conf)},
            "input_channel": channel, "message_id": mid, "metadata": {}}


def action(clock: Clock, name: str, rng: random.Random, policy: str = "RulePolicy") -> Dict[str, Any]:
    return {"event": "action", "timestamp": clock.tick(0.01, 0.05, rng), "name": name, "policy": policy,
            "confidence": 1.0, "action_text": None, "hide_rule_turn": False}


def bot(clock: Clock, text: str, rng: random.Random, buttons=None) -> Dict[str, Any]:
    data = {"elements": None, "quick_replies": None, "buttons": buttons, "attachment": None,
            "image": None, "custom": None}
    return {"event": "bot", "timestamp": clock.tick(0.01, 0.1, rng), "metadata": {}, "text": text, "data": data}


def slot(clock: Clock, name: str, value: Any, rng: random.Random) -> Dict[str, Any]:
    return {"event": "slot", "timestamp": clock.tick(0.001, 0.01, rng), "name": name, "value": value}


def _fill(rng: random.Random, template: str) -> str:
    name = rng.choice(SURNAMES) + rng.choice(GIVEN)
    return template.format(
        n=rng.choice([50, 80, 120, 150, 200, 300, 450, 600, 800]), c=rng.randint(1, 7), m=rng.randint(2, 10),
        name=name, phone=f"090-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}",
        email=f"user{rng.randint(1, 99999)}@example.jp", b=f"{rng.randint(1, 9)}-{rng.randint(1, 20)}-{rng.randint(1, 30)}",
        lineid=f"line_{rng.randint(1000, 99999)}")


def assessment(rng: random.Random, primary: str) -> Dict[str, Any]:
    debt = rng.choice([800000, 1500000, 3000000, 5000000])
    return {"primary": primary,
            "procedures": [{"procedure": p, "fit": "recommended" if p == primary else rng.choice(["possible", "unsuitable"]),
                            "reasons": ["返済可能額から3〜5年で返せる見込みです。"] if p == primary else [],
                            "risks": ["信用情報に約5年登録されます。"] if p == primary else []} for p in PROCEDURES],
            "debt_total": debt, "excluded_total": 0,
            "settlement": {"months_needed": 40, "monthly_36": debt // 36, "monthly_60": debt // 60},
            "rehabilitation": {"minimum_repayment": 1000000, "repayment": 1000000, "monthly_36": 27778,
                               "monthly_60": 16667},
            "overpayment": {"likelihood": "unlikely", "reasons": []}, "legal_aid": {"eligible": None},
            "urgent": [], "next_steps": ["取引履歴を取り寄せましょう。"], "documents": ["借入先の一覧"], "missing": []}


def conversation(rng: random.Random, start_ts: float) -> Tuple[str, List[Dict[str, Any]]]:
    r = rng.random()
    channel = "socketio" if r < 0.6 else ("line" if r < 0.9 else "rest")
    if channel == "line":
        sender = "U" + uuid.UUID(int=rng.getrandbits(128)).hex
    elif channel == "socketio":
        sender = uuid.UUID(int=rng.getrandbits(128)).hex
    else:
        sender = f"rest-{uuid.UUID(int=rng.getrandbits(128)).hex[:12]}"
    clock = Clock(start_ts)
    ev: List[Dict[str, Any]] = [action(clock, "action_session_start", rng),
                                {"event": "session_started", "timestamp": clock.tick(0.001, 0.01, rng)},
                                action(clock, "action_listen", rng)]
    turns = rng.choices([1, 2, 3, 4, 6, 10], [25, 25, 20, 15, 10, 5])[0]
    special = rng.random()
    special_turn = rng.randrange(turns)
    diagnosis = rng.random() < 0.15
    for t in range(turns):
        if t == special_turn and special < 0.007:
            ev.append(user_event(rng, clock, rng.choice(DISTRESS_TEXTS), "express_distress", channel))
            ev += [action(clock, "action_distress", rng), bot(clock, "おつらい気持ちを話してくださってありがとうございます。", rng),
                   bot(clock, "いのちの電話 0570-783-556 に相談できます。", rng),
                   slot(clock, "distress_flag", True, rng), slot(clock, "handoff_requested", True, rng)]
        elif t == special_turn and special < 0.04:
            ev.append(user_event(rng, clock, rng.choice(HANDOFF_TEXTS), "request_human", channel))
            ev += [action(clock, "action_handoff", rng), bot(clock, "スタッフから折り返しご連絡します。", rng),
                   slot(clock, "handoff_requested", True, rng)]
        elif t == special_turn and special < 0.06:
            ev.append(user_event(rng, clock, rng.choice(URGENT_TEXTS), "ask_lawsuit_seizure", channel))
            ev += [action(clock, "action_topic", rng), bot(clock, "至急の対応が必要です。期限を確認してください。", rng),
                   slot(clock, "urgent_flag", True, rng)]
        elif rng.random() < 0.06:
            ev.append(user_event(rng, clock, rng.choice(FALLBACK_TEXTS), "nlu_fallback", channel,
                                 confidence=rng.uniform(0.1, 0.4)))
            ev += [action(clock, "action_default_fallback", rng), bot(clock, "すみません、よくわかりませんでした。", rng)]
        elif rng.random() < 0.04:
            ev.append(user_event(rng, clock, _fill(rng, rng.choice(PERSONAL_TEXTS)), "inform", channel))
            ev += [action(clock, "action_flow_step", rng), bot(clock, rng.choice(BOT_TEXTS), rng)]
        else:
            intent, templates = rng.choices(TOPICS, WEIGHTS)[0]
            ev.append(user_event(rng, clock, _fill(rng, rng.choice(templates)), intent, channel))
            ev.append(action(clock, "action_topic", rng))
            for _ in range(rng.randint(1, 2)):
                ev.append(bot(clock, rng.choice(BOT_TEXTS), rng,
                              buttons=[{"title": "くわしく", "payload": "/ask_debt_consolidation"}]
                              if rng.random() < 0.3 else None))
        if diagnosis and t == turns - 1:
            primary = rng.choice(PROCEDURES)
            ev += [slot(clock, "assessment", assessment(rng, primary), rng),
                   slot(clock, "diagnosis_primary", primary, rng),
                   bot(clock, "診断結果：いちばん検討しやすいのは「任意整理」です。", rng)]
        ev.append(action(clock, "action_listen", rng))
    return sender, ev


def generate(n: int, seed: int = 7, span_days: float = 180, end: float | None = None) -> Iterator[Tuple[str, List[Dict]]]:
    """``n`` conversations spread evenly over the ``span_days`` days before ``end`` (now)."""
    rng = random.Random(seed)
    end = time.time() if end is None else end
    start = end - span_days * 86400
    step = span_days * 86400 / max(n, 1)
    for i in range(n):
        yield conversation(rng, start + i * step + rng.uniform(0, step))


def rows_for(sender_id: str, events: List[Dict[str, Any]]) -> Iterator[Dict[str, Any]]:
    """``events`` rows exactly as rasa.core.tracker_store.SQLTrackerStore.save writes them."""
    for data in events:
        yield {
            "sender_id": sender_id, "type_name": data["event"], "timestamp": data.get("timestamp"),
            "intent_name": (data.get("parse_data") or {}).get("intent", {}).get("name"),
            "action_name": data.get("name"), "data": json.dumps(data),
        }
