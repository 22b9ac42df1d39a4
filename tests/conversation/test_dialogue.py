"""The guided conversations as plain Python: questions chosen by the engine, corrections,
わからない, interruptions, results whose figures come from the engine."""

from datetime import date

from conversation.dialogue import State, history_from_text, pending_question, start, step, stop, yen
from debt_rules import build_profile, diagnose, next_question

TODAY = date(2026, 11, 23)


def amount(text, surface, value):
    s = text.index(surface)
    return {"entity": "amount", "value": value, "start": s, "end": s + len(surface)}


def texts(reply):
    return "\n".join(m.text for m in reply.messages)


def test_the_next_question_is_the_engines():
    r = start("diagnosis", State(), "request_diagnosis", "診断して", [], TODAY)
    q = next_question({}, purpose="diagnosis", today=TODAY)
    assert r.state.asking == q.field
    assert r.messages[-1].text == q.text
    # every question offers わからない
    assert r.messages[-1].buttons[-1].intent == "dont_know"


def test_facts_in_the_first_message_are_not_asked_again():
    text = "消費者金融3社で300万"
    r = start("diagnosis", State(), "request_diagnosis", text, [
        {"entity": "lender_type", "value": "consumer_finance", "start": 0, "end": 5},
        amount(text, "300万", 3_000_000)], TODAY)
    assert r.state.facts == {"lender_types": ["consumer_finance"], "debt_total": 3_000_000}
    assert r.state.asking not in ("debt_total", "lender_types")


def run_to_result(state, answers):
    """Answer each pending question from ``answers`` (field -> value) or わからない."""
    r = None
    for _ in range(20):
        if state.flow is None and r is not None:
            return r
        field = state.asking
        if field in answers:
            ents = [{"entity": "answer_field", "value": field},
                    {"entity": "answer_value", "value": __import__("json").dumps(answers[field])}]
            r = step(state, "inform", "/inform", ents, today=TODAY)
        else:
            r = step(state, "dont_know", "わからない", [], today=TODAY)
        state = r.state
    raise AssertionError("no result")


def test_result_figures_are_the_engines():
    answers = {"debt_total": 3_000_000, "lender_types": ["consumer_finance"], "monthly_capacity": 50_000,
               "stable_income": True, "seizure_or_lawsuit": False, "owns_home": False}
    r = start("diagnosis", State(), "request_diagnosis", "診断", [], TODAY)
    r = run_to_result(r.state, answers)
    a = r.assessment
    expected = diagnose(build_profile(r.state.facts), today=TODAY)
    assert a == expected
    assert a["primary"] == "voluntary_settlement"
    body = texts(r)
    assert "任意整理" in body
    assert yen(a["settlement"]["monthly_36"]) in body and yen(a["settlement"]["monthly_60"]) in body
    assert "弁護士" in r.messages[-1].text or "司法書士" in r.messages[-1].text


def test_dont_know_moves_on_and_is_not_asked_again():
    r = start("diagnosis", State(), "request_diagnosis", "診断", [], TODAY)
    first = r.state.asking
    r = step(r.state, "dont_know", "わからない", [], today=TODAY)
    assert first in r.state.skipped and r.state.asking != first


def test_correction_says_so_and_recomputes():
    text = "借金は200万です"
    r = start("diagnosis", State(), "request_diagnosis", text, [amount(text, "200万", 2_000_000)], TODAY)
    text = "やっぱり300万でした"
    r = step(r.state, "inform", text, [amount(text, "300万", 3_000_000)], today=TODAY)
    assert r.state.facts["debt_total"] == 3_000_000
    assert "修正" in texts(r)


def test_interruption_comes_back_to_the_pending_question():
    r = start("diagnosis", State(), "request_diagnosis", "診断", [], TODAY)
    again = pending_question(r.state, TODAY)
    assert again is not None and "続き" in again.text
    assert again.text.endswith(r.messages[-1].text)


def test_unclear_answer_repeats_the_question_never_dead_ends():
    r = start("diagnosis", State(), "request_diagnosis", "診断", [], TODAY)
    asked = r.state.asking
    r2 = step(r.state, "nlu_fallback", "うーん", [], today=TODAY)
    assert r2.state.asking == asked and r2.messages[-1].buttons


def test_stop_keeps_answers_for_later():
    text = "借金は200万です"
    r = start("diagnosis", State(), "request_diagnosis", text, [amount(text, "200万", 2_000_000)], TODAY)
    r = stop(r.state)
    assert r.state.flow is None and r.state.facts["debt_total"] == 2_000_000
    assert any(b.intent == "request_diagnosis" for b in r.messages[-1].buttons)


def test_lawsuit_makes_the_result_urgent_first():
    answers = {"debt_total": 2_000_000, "lender_types": ["consumer_finance"], "monthly_capacity": 30_000,
               "seizure_or_lawsuit": True, "stable_income": True}
    r = start("diagnosis", State(), "request_diagnosis", "診断", [], TODAY)
    r = run_to_result(r.state, answers)
    assert r.urgent and r.messages[0].text.startswith("【至急】")


def test_refusal_asks_the_case_then_answers_it():
    r = start("refusal", State(), "ask_settlement_refused", "任意整理 断られる", [], TODAY)
    cases = [b.entities["refusal_case"] for b in r.messages[-1].buttons]
    assert sorted(cases) == ["creditor_refused", "firm_declined", "worried"]
    r2 = step(r.state, "inform", "カード会社に和解を断られた", [], today=TODAY)
    assert r2.state.flow is None
    assert any(b.intent == "request_diagnosis" for b in r2.messages[-1].buttons)


def test_overpayment_flow_ends_with_likelihood_and_time_limit():
    text = "アコムで2005年から"
    r = start("overpayment", State(), "ask_overpayment", text, [
        {"entity": "lender_type", "value": "consumer_finance", "start": 0, "end": 3},
        {"entity": "year", "value": 2005, "start": 4, "end": 9}], TODAY)
    assert r.state.facts["start_year"] == 2005
    r = run_to_result(r.state, {"repaid_in_full": False, "rate_percent": 29.2})
    body = texts(r)
    assert "可能性が高い" in body and "時効" in body
    assert any(b.intent == "request_recalculation" for b in r.messages[-1].buttons)


def test_recalculation_from_pasted_history_matches_the_engine():
    r = start("recalculation", State(), "request_recalculation", "引き直し計算して", [], TODAY)
    assert r.state.flow == "recalculation"
    r = step(r.state, "provide_history", "2008-01-01,500000,0\n2008/2/1, 0, 300,000\n2008年3月1日、0、300000", [],
             today=TODAY)
    assert yen(89_417) in texts(r)


def test_history_parsing_variants():
    csv = history_from_text("取引履歴です 2005-04-01,500000,0 2005/5/1,0,20000")
    assert csv == "date,borrowed,repaid\n2005-04-01,500000,0\n2005-05-01,0,20000\n"
    assert history_from_text("こんにちは 2005年に借りた") is None


def test_bad_history_is_explained_not_crashed():
    r = start("recalculation", State(), "request_recalculation", "", [], TODAY)
    r = step(r.state, "provide_history", "2008-03-01,0,1000\n2008-01-01,500000,0", [], today=TODAY)
    assert "読み取れません" in texts(r) or "入力" in texts(r)


def test_undecided_fits_are_not_called_difficult():
    r = start("diagnosis", State(), "request_diagnosis", "診断", [], TODAY)
    r = run_to_result(r.state, {"debt_total": 3_000_000, "lender_types": ["consumer_finance"]})
    # the comparison is behind its button under the result
    compare = step(r.state, "result_details", "ほかの方法との比較", [{"entity": "detail", "value": "compare"}],
                   today=TODAY, assessment=r.assessment)
    body = texts(compare)
    assert "まだ判断できません" in body and "難しいと考えられます" not in body


def test_old_history_warns_of_the_time_limit_and_counts_interest_to_today():
    r = start("recalculation", State(), "request_recalculation", "", [], TODAY)
    r = step(r.state, "provide_history", "2008-01-01,500000,0 2008-02-01,0,300000 2008-03-01,0,300000", [],
             today=TODAY)
    body = texts(r)
    assert "時効" in body and yen(89_417) in body
    assert yen(89_771) not in body          # interest runs to today, not to the last row


def test_lender_buttons_add_up():
    from conversation.interpret import interpret
    ents = [{"entity": "answer_field", "value": "lender_types"},
            {"entity": "answer_value", "value": '["credit_card"]'}]
    got = interpret("lender_types", "/inform", "inform", ents, {"lender_types": ["consumer_finance"]})
    assert got.updates == {"lender_types": ["consumer_finance", "credit_card"]}


def test_result_without_a_primary_says_what_would_decide_it():
    r = start("diagnosis", State(), "request_diagnosis", "診断", [], TODAY)
    r = run_to_result(r.state, {"debt_total": 3_000_000, "lender_types": ["consumer_finance"],
                                "monthly_capacity": 40_000, "stable_income": True})
    assert r.assessment["primary"] is None
    lead = r.messages[0].text
    assert lead.startswith("診断結果") and "まだ決められません" in lead and "わかると" in lead


def test_volunteered_facts_are_acknowledged():
    text = "借金は300万です"
    r = start("diagnosis", State(), "request_diagnosis", text, [amount(text, "300万", 3_000_000)], TODAY)
    assert r.state.asking not in (None, "lender_types")
    r2 = step(r.state, "inform", "消費者金融とカードのリボです",
              [{"entity": "lender_type", "value": "consumer_finance", "start": 0, "end": 5},
               {"entity": "lender_type", "value": "credit_card", "start": 6, "end": 9}], today=TODAY)
    assert r2.state.facts["lender_types"] == ["consumer_finance", "credit_card"]
    assert "記録しました" in texts(r2) and "消費者金融" in texts(r2)   # says back what it understood


def test_clarify_offers_topics_not_small_talk():
    from conversation.dialogue import clarify
    r = clarify(State(), "nlu_fallback", [{"name": "greet"}, {"name": "thank"}, {"name": "ask_kanpo"}])
    intents = [b.intent for b in r.messages[-1].buttons]
    assert "greet" not in intents and "thank" not in intents and intents[0] == "ask_kanpo"


def test_clarify_never_offers_the_same_button_twice():
    """Seen as a visitor: 「2人です」 after a result offered スタッフに相談したい twice."""
    from conversation.dialogue import clarify
    r = clarify(State(), "nlu_fallback", [{"name": "request_human"}, {"name": "ask_kanpo"},
                                          {"name": "ask_cost"}])
    titles = [b.title for b in r.messages[-1].buttons]
    assert len(titles) == len(set(titles)), titles
    assert [b.intent for b in r.messages[-1].buttons] == [
        "ask_kanpo", "ask_cost", "request_diagnosis", "request_human"]
