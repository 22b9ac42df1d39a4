"""The booking questions from the offer to the consent (issue 9). No Rasa, no database:
the ops a step returns are what the action carries out."""

from __future__ import annotations

import re

import pytest

from booking.office_hours import parse_time
from conversation import booking_flow as booking
from conversation.booking_flow import CONSENT_TEXT, Context, captures
from conversation.model import State
from privacy.pii import is_private_answer

# ---- the booking questions ------------------------------------------------------------------

def texts(reply):
    return [m.text for m in reply.messages]


def answer(state, text, ctx, intent="inform", entities=()):
    return booking.step(state, intent, text, list(entities), ctx)


def test_offer_asks_how_to_be_contacted_and_says_what_is_asked_and_how_to_stop():
    state, ctx = State(), Context(channel="rest")
    reply = booking.start(state, ctx)
    assert state.flow == "booking" and state.asking == "booking_method"
    assert "無料" in reply.messages[0].text and "やめる" in reply.messages[0].text
    assert [b.title for b in reply.messages[1].buttons] == ["電話", "メール", "やめる"]
    assert reply.booking_ops == [{"op": "discard"}]          # no stale draft survives a restart


def test_line_is_offered_as_a_contact_method_only_on_line():
    state = State()
    titles = [b.title for b in booking.start(state, Context(channel="line")).messages[1].buttons]
    assert "このLINEで" in titles
    reply = answer(state, "LINEで", Context(channel="line"))
    assert state.asking == "booking_time"
    assert reply.booking_ops[0]["fields"]["contact_method"] == "line"
    state = State()
    booking.start(state, Context(channel="rest"))
    reply = answer(state, "LINEで", Context(channel="rest"))
    assert state.asking == "booking_method" and "LINEからご相談いただいた場合" in reply.messages[0].text


def test_valid_booking_from_offer_to_consent():
    state, ctx = State(), Context(channel="rest", assessment={
        "primary": "voluntary_settlement", "debt_total": 3_000_000, "urgent": [], "legal_aid": {"eligible": True}})
    booking.start(state, ctx)
    answer(state, "電話", ctx)
    assert state.asking == "booking_phone"
    reply = answer(state, "０９０－１２３４－５６７８", ctx)
    assert state.asking == "booking_time"
    assert reply.booking_ops == [{"op": "save", "fields": {
        "contact_method": "phone", "phone": "090-1234-5678", "email": None, "channel": "rest"}}]
    assert "090-1234-5678" not in repr(state.booking)        # contact data never in the state
    reply = answer(state, "火曜の午後", ctx)
    assert reply.booking_ops == [{"op": "save", "fields": {"preferred_time": "火曜 13〜17時"}}]
    ctx.draft = {"contact_method": "phone", "phone": "090-1234-5678", "preferred_time": "火曜 13〜17時"}
    reply = answer(state, "田中です", ctx)
    assert state.asking == "booking_consent"
    summary, consent = reply.messages
    assert summary.private and "090-1234-5678" in summary.text and "田中 様" in summary.text
    assert "任意整理" in summary.text and "300万円" in summary.text
    assert CONSENT_TEXT in consent.text and "このご相談の件" in consent.text and "広告" in consent.text
    assert [b.title for b in consent.buttons] == ["同意して申し込む", "入力し直す", "やめる"]
    reply = answer(state, "同意して申し込む", ctx, intent="affirm")
    assert state.flow is None and state.booking == {}
    (op,) = reply.booking_ops
    assert op["op"] == "submit" and op["consent_text"] == CONSENT_TEXT
    assert op["summary"]["primary"] == "voluntary_settlement" and op["summary"]["debt_total"] == 3_000_000
    assert op["summary"]["legal_aid"] is True and op["summary"]["diagnosed"] is True
    assert op["summary"]["candidates"] == []          # decided: no candidates needed
    assert "090" not in repr(op["summary"])           # no contact data in the summary


def test_an_undecided_diagnosis_keeps_its_candidates_in_the_summary():
    ctx = Context(assessment={"primary": None, "debt_total": 2_400_000, "procedures": [
        {"procedure": "individual_rehabilitation", "fit": "possible"},
        {"procedure": "bankruptcy", "fit": "possible"},
        {"procedure": "voluntary_settlement", "fit": "unsuitable"}]})
    s = booking.summary(ctx)
    assert s["diagnosed"] and s["candidates"] == ["individual_rehabilitation", "bankruptcy"]
    assert booking.summary(Context())["diagnosed"] is False


def test_a_bad_phone_number_is_asked_again_politely_then_corrected():
    state, ctx = State(), Context(channel="rest")
    booking.start(state, ctx)
    answer(state, "電話", ctx)
    reply = answer(state, "090-1234-567", ctx)
    assert state.asking == "booking_phone" and reply.booking_ops == []
    assert "電話番号として確認できませんでした" in reply.messages[0].text
    assert "090-1234-5678" in reply.messages[0].text           # an example of the right form
    reply = answer(state, "09012345678", ctx)
    assert state.asking == "booking_time"
    assert reply.booking_ops[0]["fields"]["phone"] == "090-1234-5678"


def test_a_bad_email_is_asked_again_and_the_visitor_can_switch_to_phone():
    state, ctx = State(), Context(channel="socketio")
    booking.start(state, ctx)
    answer(state, "メールで", ctx)
    assert state.asking == "booking_email"
    reply = answer(state, "taro@", ctx)
    assert state.asking == "booking_email" and "メールアドレスとして確認できませんでした" in reply.messages[0].text
    answer(state, "やっぱり電話で", ctx)
    assert state.asking == "booking_phone"


def test_a_number_given_at_once_skips_the_method_question():
    state, ctx = State(), Context(channel="rest")
    booking.start(state, ctx)
    reply = answer(state, "taro@example.jp に連絡ください", ctx)
    assert state.asking == "booking_time"
    assert reply.booking_ops[0]["fields"]["email"] == "taro@example.jp"


def test_a_closed_day_is_explained_and_asked_again():
    state, ctx = State(), Context(channel="rest")
    booking.start(state, ctx)
    answer(state, "電話", ctx)
    answer(state, "090-1234-5678", ctx)
    reply = answer(state, "日曜の午後", ctx)
    assert state.asking == "booking_time" and reply.messages[0].text.startswith("日曜・祝日はお休みです。")
    assert reply.booking_ops == []


@pytest.mark.parametrize("step_text", ["やめる", "キャンセル", "もうやめます"])
def test_yameru_at_any_step_cancels_and_discards_the_draft(step_text):
    for steps in ([], ["電話"], ["電話", "090-1234-5678"], ["電話", "090-1234-5678", "平日の夜"],
                  ["電話", "090-1234-5678", "平日の夜", "田中"]):
        state, ctx = State(), Context(channel="rest")
        booking.start(state, ctx)
        for s in steps:
            answer(state, s, ctx)
        reply = answer(state, step_text, ctx)
        assert state.flow is None and state.asking is None and state.booking == {}
        assert reply.booking_ops == [{"op": "discard"}]
        assert "保存していません" in reply.messages[0].text


def test_refusing_consent_cancels():
    state, ctx = State(), Context(channel="rest")
    booking.start(state, ctx)
    for s in ("電話", "090-1234-5678", "平日の夜", "田中"):
        answer(state, s, ctx)
    reply = answer(state, "同意しません", ctx, intent="deny")
    assert reply.booking_ops == [{"op": "discard"}] and state.flow is None


def test_an_open_request_is_not_duplicated():
    state = State()
    reply = booking.start(state, Context(channel="rest", open_refs=["BABCDEFG"]))
    assert state.flow is None and "BABCDEFG" in reply.messages[0].text
    assert reply.booking_ops == []
    assert reply.messages[0].buttons[0].intent == "withdraw_booking"


@pytest.mark.parametrize("text", ["電話でお願いします", "メールで", "LINEがいいです"])
def test_a_clear_method_answer_is_taken_even_when_the_nlu_hears_a_wish_for_a_person(text):
    assert captures(State(flow="booking", asking="booking_method"), "request_human", text)


def test_a_wish_for_a_person_that_answers_nothing_is_not_taken():
    assert not captures(State(flow="booking", asking="booking_name"), "request_human", "人と話したい")
    assert not captures(State(flow="booking", asking="booking_method"), "request_human", "弁護士さんと直接話したい")


def test_safety_and_the_way_out_are_never_taken_as_answers():
    state = State(flow="booking", asking="booking_name")
    assert captures(state, "inform", "田中")
    for intent in ("express_distress", "stop_form", "withdraw_booking", "ask_lawsuit_seizure"):
        assert not captures(state, intent, "田中")
    assert not is_private_answer("booking_name", "express_distress", "死にたい")
    assert is_private_answer("booking_phone", "inform", "090-1234-5678")
    assert not is_private_answer("booking_time", "inform", "平日の夜")    # times are not private


def test_confirmation_names_the_reference_and_how_to_withdraw():
    row = {"ref": "BXYZ2345", "contact_method": "email", "email": "taro@example.jp",
           "preferred_time": "いつでもよい", "name": "たろう"}
    summary, hint = booking.confirmation(row, Context(channel="socketio"))
    assert summary.private and "BXYZ2345" in summary.text and "taro@example.jp" in summary.text
    assert "メールでご連絡します" in summary.text
    assert "このご相談の件に限ります" in hint.text and hint.buttons[0].intent == "withdraw_booking"
    assert re.search("削除", hint.text)


def test_time_buttons_come_from_the_office_hours_file():
    labels = [b.title for b in booking.time_buttons()]
    assert labels == ["平日 10〜12時", "平日 13〜17時", "平日 17〜19時", "土曜 10〜16時", "いつでもよい"]
    assert parse_time("", "saturday") == ("土曜 10〜16時", None)
