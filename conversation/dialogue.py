"""The guided conversations, as plain Python: state and message in, state and replies out.

Four flows ask follow-up questions: ``diagnosis`` (自分に合う方法), ``overpayment``
(過払い金があるか), ``recalculation`` (引き直し計算 from a pasted history) and ``refusal``
(任意整理を断られた: which case, then that case's reasons and remedies). Which question
comes next is decided by :func:`debt_rules.next_question`, never by a script here. The
Rasa actions (actions/flows.py) only move :class:`State` in and out of slots and send
the :class:`Reply` messages. No Rasa import.
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any, Dict, Iterable, List, Optional

from conversation import booking_flow as booking
from conversation import repair, results
from conversation.interpret import interpret, refusal_case
from conversation.model import FLOWS, Button, Message, Reply, State  # noqa: F401  (re-exported)
from debt_rules import build_profile, diagnose, knowledge, next_question, parse_history_csv, recalculate
from debt_rules.diagnose import texts as _assessment_texts
from debt_rules.errors import InputError
from debt_rules.texts import yen


def _label(kind: str, key: str) -> str:
    return _assessment_texts()["labels"][kind].get(key, key)


# Every fixed sentence and button label comes from the phrases files of debt_rules.knowledge
# (phrases_dialogue.yml), which the office's lawyers review; this module only picks them
# and fills the figures.
_p = knowledge.phrase


def _button(name: str, intent: str, entities: Optional[Dict[str, Any]] = None) -> Button:
    return Button(_p("buttons." + name), intent, entities or {})


def __getattr__(name: str) -> Any:
    """FIT_LABELS and LIKELIHOOD_LABELS, read from the phrases on first use."""
    if name == "FIT_LABELS":
        return {k: v for k, v in knowledge.phrase_group("fit").items() if k != "undecided"}
    if name == "LIKELIHOOD_LABELS":
        return knowledge.phrase_group("overpayment_likelihood")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# ---- questions -------------------------------------------------------------------

def _question_message(question, prefix: str = "") -> Message:
    buttons = []
    for b in question.buttons:
        if b.get("value") is None:
            buttons.append(Button(b["title"], "dont_know", {"answer_field": question.field}))
        else:
            buttons.append(Button(b["title"], "inform", {
                "answer_field": question.field,
                "answer_value": json.dumps(b["value"], ensure_ascii=False)}))
    return Message(prefix + question.text, buttons)


def _purpose(flow: str) -> str:
    return "overpayment" if flow == "overpayment" else "diagnosis"


def _next(state: State, today: Optional[date]):

    return next_question(state.facts, state.skipped, purpose=_purpose(state.flow), today=today)


def pending_question(state: State, today: Optional[date] = None) -> Optional[Message]:
    """The question to ask again after an interruption (another topic mid-flow)."""
    if state.flow == "booking":
        return booking.pending(state)
    if state.flow in ("diagnosis", "overpayment") and state.asking:
        q = _next(state, today)
        if q is not None:
            return _question_message(q, _p("diagnosis.resume_prefix") if state.flow == "diagnosis"
                                     else _p("overpayment.resume_prefix"))
    if state.flow == "recalculation":
        return Message(_p("recalculation.resume"), [_button("stop_form", "stop_form")])
    return None


def _ask_or_finish(state: State, messages: List[Message], today: Optional[date]) -> Reply:
    q = _next(state, today)
    while q is not None:
        times = repair.count_ask(state, q.field)
        if times > repair.MAX_ASKS:
            # asked twice already: unknown, and on to the next question (never a third time)
            state.skipped.append(q.field)
            messages.append(repair.gave_up(q.field))
            q = _next(state, today)
            continue
        state.asking = q.field
        m = _question_message(q)
        if times == repair.MAX_ASKS:
            m.text = repair.rephrase(m.text, q.field)
        if state.facts:                   # the visitor can always see what was recorded
            m.buttons.insert(max(len(m.buttons) - 1, 0), Button(repair.REVIEW_TITLE, "review_facts"))
        messages.append(m)
        return Reply(state, messages)
    if state.flow == "overpayment":
        return _finish_overpayment(state, messages, today)
    return _finish_diagnosis(state, messages, today)


# ---- results ---------------------------------------------------------------------

def render_assessment(a: Dict[str, Any]) -> List[Message]:
    """The assessment as a short result (conversation/results.py)."""
    return results.render(a)


def _finish_diagnosis(state: State, messages: List[Message], today: Optional[date]) -> Reply:

    assessment = diagnose(build_profile(state.facts), today=today)
    state.asking = None
    state.flow = None
    messages.extend(render_assessment(assessment))
    return Reply(state, messages, assessment, urgent=bool(assessment.get("urgent")))


def _finish_overpayment(state: State, messages: List[Message], today: Optional[date]) -> Reply:

    assessment = diagnose(build_profile(state.facts), today=today)
    over = assessment.get("overpayment") or {}
    state.asking = None
    state.flow = None
    likelihood = knowledge.phrase_group("overpayment_likelihood")
    messages.append(Message(likelihood.get(over.get("likelihood"), likelihood["unknown"])
                            + "".join((over.get("reasons") or [])[:2])))
    messages.append(Message(_p("overpayment.deadline")))
    messages.append(Message(knowledge.notice(), [
        _button("request_recalculation", "request_recalculation"),
        _button("request_booking", "request_booking"),
        _button("request_human", "request_human"),
        _button("request_diagnosis", "request_diagnosis"),
    ]))
    return Reply(state, messages, assessment)


# ---- recalculation ---------------------------------------------------------------

# a number is plain digits or thousands grouped with commas (「300,000」), so the comma
# between fields is never swallowed: 「500000,0」 is two fields, 「300,000」 one.
_NUM = r"(\d{1,3}(?:[,，]\d{3})+(?![\d])|\d+)"
_SEP = r"\s*円?\s*[,，、\s]\s*"
_ROW = re.compile(
    r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?" + _SEP + _NUM + _SEP + _NUM + r"(?![\d])"
)


def history_from_text(text: str) -> Optional[str]:
    """A pasted history as CSV (header date,borrowed,repaid), or None when there is none.

    Accepts rows on separate lines or one line, dates as 2005-04-01, 2005/4/1 or
    2005年4月1日, and numbers with or without commas."""
    rows = []
    for m in _ROW.finditer(text or ""):
        y, mo, d, borrowed, repaid = m.groups()
        rows.append(f"{int(y):04d}-{int(mo):02d}-{int(d):02d},"
                    f"{re.sub('[,，]', '', borrowed)},{re.sub('[,，]', '', repaid)}")
    return "date,borrowed,repaid\n" + "\n".join(rows) + "\n" if rows else None


def render_recalculation(result: Dict[str, Any], rate_note: str) -> List[Message]:

    out = [Message(_p("recalculation.result", count=len(result.get("rows") or [])))]
    if result.get("overpayment"):
        out.append(Message(_p("recalculation.overpaid", overpayment=yen(result["overpayment"]),
                              interest=yen(result["overpayment_interest"]), claim=yen(result["claim"]),
                              rate_note=rate_note)))
    else:
        out.append(Message(_p("recalculation.not_overpaid", principal=yen(result.get("principal")),
                              unpaid_interest=yen(result.get("unpaid_interest")))))
    out.append(Message(knowledge.notice() + _p("recalculation.check_by_professional"), [
        _button("ask_overpayment_deadline", "ask_overpayment_deadline"),
        _button("request_human", "request_human"),
    ]))
    return out


def _recalculate(state: State, csv_text: str, today: Optional[date] = None) -> Reply:

    today = today or date.today()
    history = parse_history_csv(csv_text)
    first = history["transactions"][0]["date"] if history["transactions"] else ""
    last = str(history["transactions"][-1]["date"]) if history["transactions"] else ""
    if last and last < today.isoformat():
        history["as_of"] = today.isoformat()   # the claim as of today, interest included
    note = _p("recalculation.rate_before_2020" if str(first) < "2020-04-01" else "recalculation.rate_from_2020")
    result = recalculate(history)
    state.flow = None
    state.asking = None
    messages = render_recalculation(result, note)
    if last and int(last[:4]) < today.year - 10 and result.get("overpayment"):
        messages.insert(1, Message(_p("recalculation.old_dealings")))
    return Reply(state, messages)


# ---- entry points ----------------------------------------------------------------

def start(flow: str, state: State, intent: str, text: str, entities: Iterable[Dict[str, Any]],
          today: Optional[date] = None) -> Reply:
    """Begin ``flow`` (the visitor asked for it); facts in the same message count."""

    ents = list(entities or [])
    state.flow = flow
    state.asking = None
    if flow == "refusal":
        case = next((e["value"] for e in ents if e.get("entity") == "refusal_case"), None) or refusal_case(text)
        if case is None:
            q = knowledge.refusal_question()
            state.asking = "refusal_case"
            return Reply(state, [Message(t) for t in q.messages[:-1]] + [Message(q.messages[-1], [
                Button(b["title"], "ask_settlement_refused", {"refusal_case": b["case"]}) for b in q.buttons])])
        return answer_refusal(state, case)
    if flow == "recalculation":
        csv_text = history_from_text(text)
        if csv_text:
            return _safe(lambda: _recalculate(state, csv_text, today), state)
        topic = knowledge.topic("request_recalculation")
        state.asking = "history"
        msgs = [Message(t) for t in topic.messages]
        msgs.append(Message(_p("recalculation.ask_history"), [_button("stop_form", "stop_form")]))
        return Reply(state, msgs)
    intro: List[Message] = []
    if flow == "diagnosis" and not state.facts:
        intro.append(Message(_p("diagnosis.intro")))
    elif flow == "overpayment":
        topic = knowledge.topic("ask_overpayment")
        intro.extend(Message(t) for t in topic.messages[:2])
        intro.append(Message(_p("overpayment.intro")))
    return _apply_and_continue(state, intent, text, ents, intro, today)


def answer_refusal(state: State, case: str) -> Reply:

    topic = knowledge.topic("ask_settlement_refused", case=case)
    state.flow = None
    state.asking = None
    msgs = [Message(t) for t in topic.messages]
    buttons = [Button(b["title"], b["intent"], b.get("entities") or {}) for b in topic.buttons]
    if not any(b.intent == "request_diagnosis" for b in buttons):
        buttons.insert(0, _button("request_diagnosis", "request_diagnosis"))
    msgs[-1].buttons = buttons
    return Reply(state, msgs)


def _safe(fn, state: State) -> Reply:
    try:
        return fn()
    except InputError as exc:
        return Reply(state, [Message(_p("recalculation.invalid", problem=exc.problem),
                                     [_button("stop_form", "stop_form")])])


def _apply_and_continue(state: State, intent: str, text: str, entities: List[Dict[str, Any]],
                        intro: List[Message], today: Optional[date]) -> Reply:
    try:
        found = interpret(state.asking, text, intent, entities, state.facts)
    except InputError as exc:
        msgs = intro + [Message(_p("diagnosis.bad_value", problem=exc.problem))]
        q = _next(state, today)
        if q is not None:
            msgs.append(_question_message(q, _p("diagnosis.ask_again_prefix")))
        return Reply(state, msgs)
    asked = state.asking
    corrected = [k for k in found.updates if k in state.facts and state.facts[k] != found.updates[k]
                 and k != "lender_types"]
    state.facts.update(found.updates)
    for name in found.updates:
        if name in state.skipped:
            state.skipped.remove(name)
    for name in found.skipped:
        if name not in state.skipped:
            state.skipped.append(name)
    if corrected:
        intro.append(Message(_p("diagnosis.corrected")))
    elif found.updates and (asked not in found.updates or len(found.updates) > 1):
        said = repair.acknowledge(found.updates)   # say back what was understood
        if said is not None:
            intro.append(said)
    return _ask_or_finish(state, intro, today)


# 「続けます」「続きをお願いします」: go back to the pending question
_RESUME = r"続け|続き|つづけ|つづき|再開|進めて|すすめて"


def step(state: State, intent: str, text: str, entities: Iterable[Dict[str, Any]],
         ranking: Iterable[Dict[str, Any]] = (), today: Optional[date] = None,
         assessment: Optional[Dict[str, Any]] = None) -> Reply:
    """A message that may answer the pending question (inform, affirm, deny, dont_know,
    a low-confidence message, a pasted history)."""
    ents = list(entities or [])
    if intent == "result_details":       # a button under the result: 詳しく, 比較, 持ち物
        part = next((e.get("value") for e in ents if e.get("entity") == "detail"), None)
        return Reply(state, results.detail(assessment, part))
    if intent == "review_facts":          # 「入力内容を確認」: what was recorded, then the question again
        msgs = repair.review(state)
        pending = pending_question(state, today)
        return Reply(state, msgs + ([pending] if pending is not None else []))
    if state.flow == "refusal":
        case = next((e["value"] for e in ents if e.get("entity") == "refusal_case"), None) or refusal_case(text)
        if case:
            return answer_refusal(state, case)
        return start("refusal", state, intent, "", ents, today)
    csv_text = history_from_text(text) if intent == "provide_history" or state.flow == "recalculation" else None
    if csv_text:
        return _safe(lambda: _recalculate(state, csv_text, today), state)
    if state.flow == "recalculation":
        return Reply(state, [Message(_p("recalculation.unreadable"), [_button("stop_form", "stop_form")])])
    if state.flow in ("diagnosis", "overpayment", "booking") and re.search(_RESUME, text or "") \
            and len(text) <= 20:
        pending = pending_question(state, today)       # 「続けます」 after a side question
        if pending is not None:
            return Reply(state, [pending])
    if state.flow in ("diagnosis", "overpayment"):
        found = _try(state, intent, text, ents)
        if found is None or not found.understood:
            if state.distress and intent in ("deny", "dont_know", "nlu_fallback", "out_of_scope"):
                return Reply(state, repair.after_distress())
            return _ask_or_finish(state, [Message(repair.not_understood(state.asking))], today)
        return _apply_and_continue(state, intent, text, ents, [], today)
    # no flow: facts (or a correction after a result) start or refresh the diagnosis
    if intent == "inform" or state.facts:
        found = _try(state, intent, text, ents)
        if found is not None and found.updates:
            state.flow = "diagnosis"
            return _apply_and_continue(state, intent, text, ents, [], today)
    return clarify(state, intent, ranking)


def _try(state, intent, text, ents):
    try:
        return interpret(state.asking, text, intent, ents, state.facts)
    except InputError:
        return None


# conversation intents are no topic to offer when a message was not understood
_NOT_OFFERED = {"nlu_fallback", "inform", "affirm", "deny", "dont_know", "out_of_scope", "greet",
                "goodbye", "thank", "bot_challenge", "ask_capabilities", "start_over", "stop_form",
                "express_distress", "provide_history"}


def clarify(state: State, intent: str, ranking: Iterable[Dict[str, Any]] = ()) -> Reply:
    """Not understood: offer the two likeliest topics, never a dead end."""

    if state.distress and intent in ("deny", "dont_know", "nlu_fallback", "out_of_scope", None):
        return Reply(state, repair.after_distress())   # warm, never a bare 「承知しました」
    if intent == "affirm":
        text = _p("clarify.after_affirm")
    elif intent in ("deny", "dont_know"):
        text = _p("clarify.after_deny")
    else:
        text = _p("clarify.not_understood")
    always = [_button("request_diagnosis", "request_diagnosis"), _button("request_human", "request_human")]
    buttons = []
    for r in ranking or []:
        name = r.get("name")
        if name and name not in _NOT_OFFERED and name != intent and knowledge.has_topic(name) \
                and len(buttons) < 2 and all(b.intent != name for b in always + buttons):
            buttons.append(Button(knowledge.topic_title(name), name))
    buttons += always
    return Reply(state, [Message(text, buttons)])


def stop(state: State) -> Reply:
    if state.flow == "booking":
        return booking.cancel(state)
    was = state.flow
    state.flow = None
    state.asking = None
    text = _p("stop.diagnosis") if was in ("diagnosis", "overpayment") else _p("stop.other")
    return Reply(state, [Message(text, [_button("resume_diagnosis", "request_diagnosis"),
                                        _button("ask_capabilities", "ask_capabilities")])])
