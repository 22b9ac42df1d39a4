"""Repair instead of repetition (issue 15): a question is never asked a third time, the
second time it comes with an example, what was understood is said back, everything
recorded can be reviewed, and the turns after distress stay warm."""

from datetime import date

from conversation import repair
from conversation.dialogue import State, clarify, start, step

TODAY = date(2026, 11, 23)


def texts(reply):
    return "\n".join(m.text for m in reply.messages)


def questions_asked(replies, field):
    return sum(1 for r in replies for m in r.messages
               if m.buttons and any(b.entities.get("answer_field") == field for b in m.buttons))


def test_a_question_is_never_asked_a_third_time():
    r = start("diagnosis", State(), "request_diagnosis", "診断して", [], TODAY)
    first = r.state.asking
    replies = [r]
    for _ in range(4):
        r = step(r.state, "nlu_fallback", "うーん、なんだろう", [], today=TODAY)
        replies.append(r)
    assert questions_asked(replies, first) == 2
    assert first in r.state.skipped
    assert "わからないものとして先に進みます" in "\n".join(texts(x) for x in replies)
    assert r.state.asking != first


def test_the_second_asking_is_rephrased_with_an_example():
    r = start("diagnosis", State(), "request_diagnosis", "診断して", [], TODAY)
    r2 = step(r.state, "nlu_fallback", "えっと", [], today=TODAY)
    last = r2.messages[-1].text
    assert last.startswith("言い方を変えて") and "例：" in last
    assert "うまく読み取れませんでした" in texts(r2) and "必要です" in texts(r2)


def test_what_was_understood_is_said_back():
    text = "手取り16万で、返せるのは月3万くらい"
    ents = [{"entity": "amount", "value": 160000, "start": 3, "end": 6},
            {"entity": "amount", "value": 30000, "start": 13, "end": 15}]
    r = start("diagnosis", State(facts={"debt_total": 2_000_000, "lender_types": ["consumer_finance"]}),
              "request_diagnosis", text, ents, TODAY)
    said = texts(r)
    assert "手取り 月16万円" in said and "返済に回せる額 月3万円" in said and "記録しました" in said


def test_review_lists_every_recorded_fact_and_how_to_correct_it():
    state = State(facts={"debt_total": 4_000_000, "owns_home": False, "monthly_take_home": 160_000},
                  skipped=["assets_value"])
    msgs = repair.review(state)
    body = msgs[0].text
    assert "借金の合計：400万円" in body and "持ち家：なし" in body and "手取り：月16万円" in body
    assert "財産：わからない" in body
    assert "例：" in msgs[-1].text and msgs[-1].buttons


def test_after_distress_a_no_is_met_warmly_not_with_a_bare_acknowledgement():
    r = clarify(State(distress=True), "deny")
    said = texts(r)
    assert "承知しました" not in said
    assert "ありがとうございます" in said and "0570-783-556" in said
    assert any(b.intent == "request_human" for b in r.messages[-1].buttons)
    # without distress the ordinary answer stays
    assert "承知しました" in texts(clarify(State(), "deny"))


def test_review_facts_mid_diagnosis_shows_the_record_then_asks_again():
    r = start("diagnosis", State(facts={"debt_total": 3_000_000}), "request_diagnosis", "診断", [], TODAY)
    asking = r.state.asking
    assert any(b.intent == "review_facts" for b in r.messages[-1].buttons)
    r2 = step(r.state, "review_facts", "入力内容を確認", [], today=TODAY)
    assert "借金の合計：300万円" in texts(r2)
    assert r2.state.asking == asking and r2.state.facts == {"debt_total": 3_000_000}


def test_continue_after_a_side_question_asks_the_pending_question_again():
    r = start("diagnosis", State(facts={"debt_total": 3_000_000}), "request_diagnosis", "診断", [], TODAY)
    asking = r.state.asking
    for said in ("続けます", "続きお願いします", "つづけて"):
        r2 = step(r.state, "affirm", said, [], today=TODAY)
        assert "続き" in texts(r2) and r2.state.asking == asking
        assert any(b.entities.get("answer_field") == asking for b in r2.messages[-1].buttons)
