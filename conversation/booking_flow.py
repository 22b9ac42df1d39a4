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

from booking.office_hours import office_hours, parse_time
from conversation.model import Button, Message, Reply, State
from debt_rules import knowledge
from debt_rules.texts import texts, yen
from privacy.pii import CLEAR_ANSWER_ONLY, NEVER_CAPTURED, parse_email, parse_name, parse_phone

STEPS = ("booking_method", "booking_phone", "booking_email", "booking_time", "booking_name",
         "booking_consent")
# Every fixed sentence and button label comes from the phrases files of debt_rules.knowledge
# (phrases_booking.yml), which the office's lawyers review; this module only picks them and
# fills in the visitor's answers.
_p = knowledge.phrase


def _button(name: str, intent: str, entities: Optional[Dict[str, Any]] = None) -> Button:
    return Button(_p("booking_buttons." + name), intent, entities or {})


def _method_labels() -> Dict[str, str]:
    return knowledge.phrase_group("booking_method")


def __getattr__(name: str) -> Any:
    """CONSENT_TEXT, WITHDRAW_HINT and METHOD_LABELS, read from the phrases on first use."""
    if name == "CONSENT_TEXT":
        return _p("booking.consent")
    if name == "WITHDRAW_HINT":
        return _p("booking.withdraw_hint")
    if name == "METHOD_LABELS":      # the staff-side labels, defined once in booking/labels.py
        from booking.labels import METHOD_LABELS
        return METHOD_LABELS
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    return _button("stop_form", "stop_form")


def _method_question(ctx: Context) -> Message:
    buttons = [_button("phone", "inform", {"answer_field": "booking_method", "answer_value": '"phone"'}),
               _button("email", "inform", {"answer_field": "booking_method", "answer_value": '"email"'})]
    if ctx.channel == "line":
        buttons.append(_button("line", "inform",
                               {"answer_field": "booking_method", "answer_value": '"line"'}))
    buttons.append(_cancel_button())
    return Message(_p("booking.method_question"), buttons)


def _question(step: str, ctx: Context) -> Message:
    if step == "booking_method":
        return _method_question(ctx)
    if step == "booking_phone":
        return Message(_p("booking.phone_question"), [_cancel_button()])
    if step == "booking_email":
        return Message(_p("booking.email_question"), [_cancel_button()])
    if step == "booking_time":
        return Message(_p("booking.time_question") + office_hours()["closed_note"],
                       time_buttons() + [_cancel_button()])
    if step == "booking_name":
        return Message(_p("booking.name_question"), [_cancel_button()])
    return _consent_question()


def _consent_question() -> Message:
    return Message(_p("booking.consent") + _p("booking.consent_question"), [
        _button("agree", "affirm"), _button("redo", "request_booking"), _cancel_button()])


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
               "line": _p("booking.this_line_talk")}.get(method) or ""
    lines = [_p("booking.summary_method", method=_method_labels().get(method, ""), contact=contact),
             _p("booking.summary_time", time=draft.get("preferred_time") or ""),
             _p("booking.summary_name", name=draft.get("name") or "")]
    a = ctx.assessment or {}
    if a.get("primary"):
        label = texts()["labels"]["procedure"].get(a["primary"], a["primary"])
        total = _p("booking.summary_debt_total", amount=yen(a["debt_total"])) if a.get("debt_total") else ""
        lines.append(_p("booking.summary_diagnosis", procedure=label, total=total))
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
            _p("booking.already_open", ref=ctx.open_refs[-1]),
            [_button("withdraw_booking", "withdraw_booking"), _button("ask_capabilities", "ask_capabilities")])])
    state.flow, state.asking = "booking", "booking_method"
    state.booking = {"channel": ctx.channel}
    intro = _p("booking.intro")
    if (ctx.assessment or {}).get("legal_aid", {}).get("eligible") is True:
        intro += _p("booking.intro_legal_aid")
    intro += _p("booking.intro_questions")
    return _reply(state, [Message(intro), _method_question(ctx)], [{"op": "discard"}])


def pending(state: State, ctx: Optional[Context] = None) -> Optional[Message]:
    if state.flow != "booking" or state.asking not in STEPS:
        return None
    q = _question(state.asking, ctx or Context(channel=(state.booking or {}).get("channel")))
    return Message(_p("booking.resume_prefix") + q.text, q.buttons)


def cancel(state: State) -> Reply:
    state.flow, state.asking, state.booking = None, None, {}
    return _reply(state, [Message(_p("booking.cancelled"), [
        _button("request_booking", "request_booking"), _button("ask_capabilities", "ask_capabilities")])],
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
            return again(_p("booking.line_needs_line"))
        if method not in _method_labels():
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
            return again(_p("booking.phone_invalid"))
        return again(_p("booking.email_invalid"))

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
            return again(_p("booking.name_invalid"))
        state.asking = "booking_consent"
        draft = {**ctx.draft, "name": name}
        return _reply(state, [
            Message(_p("booking.summary_heading") + "\n" + _summary_lines(draft, ctx), private=True),
            _consent_question()], [{"op": "save", "fields": {"name": name}}])

    if asking == "booking_consent":
        if intent == "deny" or _REFUSE.search(t):
            return cancel(state)
        if intent == "affirm" or _AGREE.search(t):
            state.flow, state.asking, state.booking = None, None, {}
            return _reply(state, [], [{"op": "submit", "consent_text": _p("booking.consent"),
                                       "summary": summary(ctx)}])
        return _reply(state, [_consent_question()])
    state.flow, state.asking = None, None
    return _reply(state, [Message(_p("booking.restart"), [_button("request_booking", "request_booking")])])


def confirmation(row: Dict[str, Any], ctx: Context) -> List[Message]:
    """After the request is stored: the summary with the 受付番号 (LINE and widget alike)."""
    method = row.get("contact_method")
    how = (_p("booking.contact_by_line") if method == "line"
           else _p("booking.contact_by_method", method=_method_labels().get(method, "")))
    return [
        Message(_p("booking.received", ref=row["ref"]) + "\n"
                + _summary_lines(row, ctx)
                + "\n" + _p("booking.will_contact", how=how), private=True),
        Message(_p("booking.contact_scope") + _p("booking.withdraw_hint"),
                [_button("withdraw_booking", "withdraw_booking"), _button("ask_documents", "ask_documents")]),
    ]


def withdrawn(count: int) -> List[Message]:
    if count:
        return [Message(_p("booking.withdrawn"),
                        [_button("request_booking", "request_booking"),
                         _button("ask_capabilities", "ask_capabilities")])]
    return [Message(_p("booking.nothing_to_withdraw"), [_button("request_booking", "request_booking")])]


def unavailable() -> List[Message]:
    return [Message(_p("booking.unavailable"), [_button("request_human", "request_human")])]
