"""Consultation booking, as plain Python: what to ask, how to read the answers, what to say.

The booking questions are few on purpose: how to be contacted (phone, e-mail, or LINE when
the visitor is on LINE), preferred days and times from the office's hours
(booking/office_hours.py), a name or nickname, and consent worded plainly for this
consultation only. 「やめる」 at any point cancels and nothing is kept.

Personal values (phone, e-mail, name) never go into the conversation state: a step returns
them as a *draft update* the action stores in the booking table (booking/store.py), and the
tracker store keeps them out of the transcript (privacy/pii.py). No Rasa import.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional

from booking.labels import METHOD_LABELS
from booking.office_hours import office_hours, parse_time
from conversation.model import Button, Message, Reply, State
from debt_rules.diagnose import texts, yen
from privacy.pii import CLEAR_ANSWER_ONLY, NEVER_CAPTURED, parse_email, parse_name, parse_phone

STEPS = ("booking_method", "booking_phone", "booking_email", "booking_time", "booking_name",
         "booking_consent")
CONSENT_TEXT = ("ご入力いただいたお名前と連絡先は、このご相談の件で当事務所からご連絡するためだけに使います。"
                "広告やほかの目的には使わず、第三者にも渡しません。")
WITHDRAW_HINT = "お申し込みを取り消したいときは「予約を取り消したい」と送ってください。連絡先をすぐに削除します。"


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "")


def time_buttons() -> List[Button]:
    oh = office_hours()
    opts = [(s.key, s.label) for s in oh["slots"]] + [(oh["any"]["key"], oh["any"]["label"])]
    return [Button(label, "inform", {"answer_field": "booking_time", "answer_value": json.dumps(key)})
            for key, label in opts]



# ---- the flow --------------------------------------------------------------------

@dataclass
class Context:
    """What the action knows besides the state: the stored draft (personal values, in
    memory only), the channel, the last assessment and the safety flags."""
    channel: Optional[str] = None
    draft: Dict[str, Any] = field(default_factory=dict)
    assessment: Optional[Dict[str, Any]] = None
    urgent: bool = False
    distress: bool = False
    handoff: bool = False
    open_refs: List[str] = field(default_factory=list)


def _cancel_button() -> Button:
    return Button("やめる", "stop_form")


def _method_question(ctx: Context) -> Message:
    buttons = [Button("電話", "inform", {"answer_field": "booking_method", "answer_value": '"phone"'}),
               Button("メール", "inform", {"answer_field": "booking_method", "answer_value": '"email"'})]
    if ctx.channel == "line":
        buttons.append(Button("このLINEで", "inform",
                              {"answer_field": "booking_method", "answer_value": '"line"'}))
    buttons.append(_cancel_button())
    return Message("ご連絡の方法を選んでください。", buttons)


def _question(step: str, ctx: Context) -> Message:
    if step == "booking_method":
        return _method_question(ctx)
    if step == "booking_phone":
        return Message("ご連絡先の電話番号を入力してください（例：090-1234-5678）。", [_cancel_button()])
    if step == "booking_email":
        return Message("ご連絡先のメールアドレスを入力してください（例：name@example.jp）。", [_cancel_button()])
    if step == "booking_time":
        return Message("ご希望の曜日・時間帯を選ぶか、「火曜の午後」のように入力してください。"
                       + office_hours()["closed_note"], time_buttons() + [_cancel_button()])
    if step == "booking_name":
        return Message("お名前を教えてください。ニックネームでもかまいません。", [_cancel_button()])
    return _consent_question()


def _consent_question() -> Message:
    return Message(CONSENT_TEXT + "この内容で申し込み、事務所からの連絡に同意しますか？", [
        Button("同意して申し込む", "affirm"), Button("入力し直す", "request_booking"), _cancel_button()])


def summary(ctx: Context) -> Dict[str, Any]:
    """The assessment summary stored with the request (no contact data)."""
    a = ctx.assessment or {}
    return {
        "diagnosed": bool(a),
        "primary": a.get("primary"),
        # when the diagnosis could not decide: the procedures still possible, best first
        "candidates": [p["procedure"] for p in a.get("procedures") or []
                       if p.get("fit") in ("recommended", "possible")] if not a.get("primary") else [],
        "debt_total": a.get("debt_total"),
        "urgent": bool(ctx.urgent or a.get("urgent")),
        "urgent_notes": list(a.get("urgent") or []),
        "distress": bool(ctx.distress),
        "handoff": bool(ctx.handoff),
        "legal_aid": (a.get("legal_aid") or {}).get("eligible"),
    }


def _summary_lines(draft: Dict[str, Any], ctx: Context) -> str:

    method = draft.get("contact_method")
    contact = {"phone": draft.get("phone"), "email": draft.get("email"),
               "line": "このLINEのトーク"}.get(method) or ""
    lines = [f"・連絡方法：{METHOD_LABELS.get(method, '')}（{contact}）",
             f"・ご希望の日時：{draft.get('preferred_time') or ''}",
             f"・お名前：{draft.get('name') or ''} 様"]
    a = ctx.assessment or {}
    if a.get("primary"):
        label = texts()["labels"]["procedure"].get(a["primary"], a["primary"])
        total = f"（借金の合計 {yen(a['debt_total'])}）" if a.get("debt_total") else ""
        lines.append(f"・診断結果：{label}{total}")
    return "\n".join(lines)


def _reply(state: State, messages: List[Message], ops: Optional[List[Dict[str, Any]]] = None) -> Reply:
    r = Reply(state, messages)
    r.booking_ops = list(ops or [])
    return r


def start(state: State, ctx: Context) -> Reply:
    """Offer the booking questions (request_booking, or a 相談を予約する button)."""
    if ctx.open_refs:
        state.flow, state.asking = None, None
        return _reply(state, [Message(
            f"すでに相談予約のお申し込みを受け付けています（受付番号 {ctx.open_refs[-1]}）。事務所からのご連絡をお待ちください。"
            "内容を変えたいときは、いったん取り消してからもう一度お申し込みください。",
            [Button("予約を取り消す", "withdraw_booking"), Button("何を相談できる？", "ask_capabilities")])])
    state.flow, state.asking = "booking", "booking_method"
    state.booking = {"channel": ctx.channel}
    intro = "初回の相談は無料です。相談の予約をお受けします。"
    if (ctx.assessment or {}).get("legal_aid", {}).get("eligible") is True:
        intro += "診断では法テラスの費用立替えを使える可能性があるため、その手続きもご案内できます。"
    intro += ("お伺いするのは、連絡方法・ご希望の日時・お名前（ニックネーム可）だけです。"
              "途中で「やめる」と送ると、何も保存せずに終わります。")
    return _reply(state, [Message(intro), _method_question(ctx)], [{"op": "discard"}])


def pending(state: State, ctx: Optional[Context] = None) -> Optional[Message]:
    if state.flow != "booking" or state.asking not in STEPS:
        return None
    q = _question(state.asking, ctx or Context(channel=(state.booking or {}).get("channel")))
    return Message("予約の続きです。" + q.text, q.buttons)


def cancel(state: State) -> Reply:
    state.flow, state.asking, state.booking = None, None, {}
    return _reply(state, [Message("相談予約のお申し込みをやめました。入力された連絡先やお名前は保存していません。", [
        Button("相談を予約する", "request_booking"), Button("何を相談できる？", "ask_capabilities")])],
        [{"op": "discard"}])


def captures(state: State, intent: Optional[str], text: str) -> bool:
    """Whether a message is the answer to the pending booking question, whatever the NLU
    thought it was (names and addresses are classified unpredictably)."""
    if state.flow != "booking" or state.asking not in STEPS or intent in NEVER_CAPTURED:
        return False
    t = _nfkc(text).strip()
    step = state.asking
    if step == "booking_phone" and parse_phone(t):
        return True
    if step == "booking_email" and parse_email(t):
        return True
    if step == "booking_time" and parse_time(t)[0]:
        return True
    if step == "booking_method" and len(t) <= 25 and (
            parse_phone(t) or parse_email(t) or _WANTS_PHONE.search(t) or _WANTS_EMAIL.search(t)
            or _WANTS_LINE.search(t)):
        return True
    if intent in CLEAR_ANSWER_ONLY:
        return False
    if step == "booking_name":
        return parse_name(t) is not None and len(t) <= 20
    return len(t) <= 25 and not re.search(r"[?？]", t)



def _answer_entity(entities: Iterable[Dict[str, Any]], step: str) -> Optional[Any]:
    ents = list(entities or [])
    if not any(e.get("entity") == "answer_field" and e.get("value") == step for e in ents):
        return None
    for e in ents:
        if e.get("entity") == "answer_value":
            try:
                return json.loads(e.get("value"))
            except (TypeError, ValueError):
                return e.get("value")
    return None


_WANTS_PHONE = re.compile(r"電話|でんわ|tel|携帯|ケータイ", re.I)
_WANTS_EMAIL = re.compile(r"メール|mail|メアド|めーる", re.I)
_WANTS_LINE = re.compile(r"line|ライン|らいん", re.I)
_AGREE = re.compile(r"同意|はい|お願いします|おねがいします|いいです|大丈夫|ok|オーケー", re.I)
_REFUSE = re.compile(r"同意しない|しません|いいえ|いやです|嫌です|やめ")


def step(state: State, intent: Optional[str], text: str, entities: Iterable[Dict[str, Any]],
         ctx: Context) -> Reply:
    """One answer to the pending booking question."""
    t = _nfkc(text).strip()
    asking = state.asking
    booking = dict(state.booking or {})
    state.booking = booking
    if intent == "stop_form" or re.fullmatch(r"(?:もう)?(?:やめる|やめます|やめたい|キャンセル|中止)[。!！]*", t):
        return cancel(state)

    def ask(next_step: str, prefix: List[Message] = (), ops=None) -> Reply:
        state.asking = next_step
        return _reply(state, list(prefix) + [_question(next_step, ctx)], ops)

    def again(why: str) -> Reply:
        q = _question(asking, ctx)
        return _reply(state, [Message(why + q.text, q.buttons)])

    if asking == "booking_method":
        method = _answer_entity(entities, "booking_method")
        phone, email = parse_phone(t), parse_email(t)
        if method is None:
            if phone:
                return ask("booking_time", ops=[{"op": "save", "fields": {
                    "contact_method": "phone", "phone": phone, "email": None, "channel": ctx.channel}}])
            if email:
                return ask("booking_time", ops=[{"op": "save", "fields": {
                    "contact_method": "email", "email": email, "phone": None, "channel": ctx.channel}}])
            method = ("phone" if _WANTS_PHONE.search(t) else "email" if _WANTS_EMAIL.search(t)
                      else "line" if _WANTS_LINE.search(t) else None)
        if method == "line" and ctx.channel != "line":
            return again("LINEでのご連絡は、LINEからご相談いただいた場合に選べます。")
        if method not in METHOD_LABELS:
            return again("")
        booking["method"] = method
        if method == "line":
            return ask("booking_time", ops=[{"op": "save", "fields": {
                "contact_method": "line", "phone": None, "email": None, "channel": ctx.channel}}])
        return ask("booking_phone" if method == "phone" else "booking_email")

    if asking in ("booking_phone", "booking_email"):
        phone, email = parse_phone(t), parse_email(t)
        if asking == "booking_phone" and not phone and _WANTS_EMAIL.search(t) and not email:
            booking["method"] = "email"
            return ask("booking_email")
        if asking == "booking_email" and not email and _WANTS_PHONE.search(t) and not phone:
            booking["method"] = "phone"
            return ask("booking_phone")
        if phone and (asking == "booking_phone" or not email):
            booking["method"] = "phone"
            return ask("booking_time", ops=[{"op": "save", "fields": {
                "contact_method": "phone", "phone": phone, "email": None, "channel": ctx.channel}}])
        if email:
            booking["method"] = "email"
            return ask("booking_time", ops=[{"op": "save", "fields": {
                "contact_method": "email", "email": email, "phone": None, "channel": ctx.channel}}])
        if asking == "booking_phone":
            return again("電話番号として確認できませんでした。市外局番から、090-1234-5678 や 03-1234-5678 のように"
                         "入力してください。メールでの連絡に変える場合は「メール」と送ってください。")
        return again("メールアドレスとして確認できませんでした。name@example.jp のように、@ と"
                     "ドメインまで入力してください。電話での連絡に変える場合は「電話」と送ってください。")

    if asking == "booking_time":
        key = _answer_entity(entities, "booking_time")
        label, why = parse_time(t, key if isinstance(key, str) else None)
        if label is None:
            return again(why or "")
        booking["time"] = label
        return ask("booking_name", ops=[{"op": "save", "fields": {"preferred_time": label}}])

    if asking == "booking_name":
        name = parse_name(t)
        if name is None:
            return again("お名前として受け取れませんでした（30文字まで、数字だけは不可）。")
        state.asking = "booking_consent"
        draft = {**ctx.draft, "name": name}
        return _reply(state, [
            Message("【お申し込み内容】\n" + _summary_lines(draft, ctx), private=True),
            _consent_question()], [{"op": "save", "fields": {"name": name}}])

    if asking == "booking_consent":
        if intent == "deny" or _REFUSE.search(t):
            return cancel(state)
        if intent == "affirm" or _AGREE.search(t):
            state.flow, state.asking, state.booking = None, None, {}
            return _reply(state, [], [{"op": "submit", "consent_text": CONSENT_TEXT, "summary": summary(ctx)}])
        return _reply(state, [_consent_question()])
    state.flow, state.asking = None, None
    return _reply(state, [Message("予約の受付を最初からやり直してください。", [Button("相談を予約する", "request_booking")])])


def confirmation(row: Dict[str, Any], ctx: Context) -> List[Message]:
    """After the request is stored: the summary with the 受付番号 (LINE and widget alike)."""
    method = row.get("contact_method")
    how = ("このLINEのトークで" if method == "line"
           else f"{METHOD_LABELS.get(method, '')}で")
    return [
        Message(f"相談予約のお申し込みを受け付けました。受付番号：{row['ref']}\n"
                + _summary_lines(row, ctx)
                + f"\n事務所のスタッフから、ご希望の日時に合わせて{how}ご連絡します。", private=True),
        Message("ご連絡は、このご相談の件に限ります。" + WITHDRAW_HINT,
                [Button("予約を取り消す", "withdraw_booking"), Button("相談に必要な書類", "ask_documents")]),
    ]


def withdrawn(count: int) -> List[Message]:
    if count:
        return [Message("相談予約のお申し込みを取り消し、お名前と連絡先を削除しました。"
                        "またご相談したくなったら、いつでもお声がけください。",
                        [Button("相談を予約する", "request_booking"), Button("何を相談できる？", "ask_capabilities")])]
    return [Message("取り消す相談予約のお申し込みは見つかりませんでした（入力途中のものもありません）。",
                    [Button("相談を予約する", "request_booking")])]


def unavailable() -> List[Message]:
    return [Message("申し訳ありません。ただいま予約を受け付けられません。少し時間をおいてもう一度お試しください。"
                    "入力された連絡先は保存していません。", [Button("スタッフに相談したい", "request_human")])]
