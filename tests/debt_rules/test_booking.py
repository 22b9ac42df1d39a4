"""Consultation booking in the rule engine: reading phone numbers, e-mail addresses, times
and names as visitors type them, masking contact data, and the booking questions from the
offer to the consent (issue 9). No Rasa, no database: the ops a step returns are what the
action carries out."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from debt_rules import booking
from debt_rules.booking import (
    CONSENT_TEXT, Context, captures, contact_spans, is_private_answer, mask_contacts,
    parse_email, parse_name, parse_phone, parse_time,
)
from debt_rules.dialogue import State

FULL = str.maketrans("0123456789-", "０１２３４５６７８９－")


# ---- phone numbers -------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("090-1234-5678", "090-1234-5678"),
    ("09012345678", "090-1234-5678"),
    ("080 1234 5678", "080-1234-5678"),
    ("０９０ー１２３４ー５６７８", "090-1234-5678"),      # full-width digits, katakana long vowel
    ("０７０－１１１１－２２２２", "070-1111-2222"),
    ("+81 90 1234 5678", "090-1234-5678"),
    ("+81-90-1234-5678", "090-1234-5678"),
    ("050-1234-5678", "050-1234-5678"),
    ("0120-123-456", "0120-123-456"),
    ("0800-123-4567", "0800-123-4567"),
    ("03-1234-5678", "03-1234-5678"),
    ("03(1234)5678", "03-1234-5678"),
    ("0312345678", "03-1234-5678"),
    ("045-123-4567", "045-123-4567"),                # the area code as the visitor split it
    ("0263-12-3456", "0263-12-3456"),
    ("携帯は090-1234-5678です、よろしく", "090-1234-5678"),
])
def test_japanese_phone_numbers_are_read_and_hyphenated(text, expected):
    assert parse_phone(text) == expected


@pytest.mark.parametrize("text", [
    "", "12345", "090-1234-567", "090-1234-56789", "1234-5678", "123-4567-8901",
    "0000000000", "借金は300万円です", "2024-01-01", "〒100-0001",
])
def test_what_is_not_a_japanese_phone_number_is_refused(text):
    assert parse_phone(text) is None


# 080-0… is not a mobile number: 0800 is free dial (0800-123-4567)
mobile = st.builds(lambda p, first, rest: p + first + rest, st.sampled_from(["070", "080", "090"]),
                   st.sampled_from("123456789"), st.text("0123456789", min_size=7, max_size=7))


@given(mobile, st.sampled_from(["-", "", " ", "ー", "－", "‐"]), st.booleans())
def test_any_mobile_number_however_written_reads_back_the_same(digits, sep, full_width):
    written = sep.join([digits[:3], digits[3:7], digits[7:]])
    if full_width:
        written = written.translate(FULL)
    assert parse_phone(f"番号は{written}です") == f"{digits[:3]}-{digits[3:7]}-{digits[7:]}"


@given(mobile, st.text(st.characters(blacklist_categories=("Cs", "Nd")), max_size=20),
       st.text(st.characters(blacklist_categories=("Cs", "Nd")), max_size=20))
def test_masking_removes_every_digit_of_a_phone_number_around_any_text(digits, before, after):
    written = f"{digits[:3]}-{digits[3:7]}-{digits[7:]}"
    masked = mask_contacts(f"{before} {written} {after}")
    assert written not in masked and digits[3:7] not in masked and "［電話番号］" in masked


@given(mobile)
def test_the_console_masks_a_parsed_number_to_prefix_and_last_four(digits):
    from staff_console.masking import masked_phone

    shown = masked_phone(parse_phone(digits))
    assert shown == f"{digits[:3]}-****-{digits[7:]}"


@given(st.sampled_from(["03", "06"]), st.text("0123456789", min_size=8, max_size=8))
def test_every_masked_landline_hides_at_least_four_digits(area, rest):
    from staff_console.masking import masked_phone

    for stored in (parse_phone(area + rest), area + rest):
        shown = masked_phone(stored)
        assert sum(c.isdigit() for c in shown) <= 6 and shown.endswith(rest[-4:])


# ---- e-mail addresses ------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("taro@example.jp", "taro@example.jp"),
    ("Taro.Yamada+debt@Mail.Example.CO.JP", "Taro.Yamada+debt@mail.example.co.jp"),
    ("ＴＡＲＯ＠ｅｘａｍｐｌｅ．ｊｐ", "TARO@example.jp"),
    ("メールは taro_1@example.com でお願いします", "taro_1@example.com"),
])
def test_email_addresses_are_read(text, expected):
    assert parse_email(text) == expected


@pytest.mark.parametrize("text", [
    "taro", "taro@", "@example.jp", "taro@localhost", "a..b@example.jp", "taro@example",
    "taro@-example.jp", ".taro@example.jp", "たろう@example.jp",
])
def test_malformed_email_addresses_are_refused(text):
    assert parse_email(text) is None


emails = st.builds(lambda local, host, tld: f"{local}@{host}.{tld}",
                   st.from_regex(r"[a-z0-9]([a-z0-9_+]{0,14}[a-z0-9])?", fullmatch=True),
                   st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True),
                   st.sampled_from(["jp", "com", "co.jp", "ne.jp", "org"]))


@given(emails)
def test_any_well_formed_address_is_read_and_masked(address):
    assert parse_email(f"連絡は{address}へ") == address
    masked = mask_contacts(f"連絡は {address} へ")
    assert address not in masked and "［メールアドレス］" in masked
    from staff_console.masking import masked_email

    assert masked_email(address) == f"{address[0]}***@{address.split('@')[1]}"


@given(st.text(max_size=200))
@settings(max_examples=300)
def test_masking_never_fails_and_leaves_no_contact(text):
    masked = mask_contacts(text)
    assert contact_spans(masked) == []
    if not contact_spans(text):
        assert masked == text


# ---- preferred times from the office hours -------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("火曜の午後", "火曜 13〜17時"),
    ("平日の夜", "平日 17〜19時"),
    ("月曜 15時", "月曜 15時ごろ"),
    ("夕方6時ごろ", "平日 18時ごろ"),
    ("週末", "土曜 10〜16時"),
    ("いつでも大丈夫です", "いつでもよい"),
])
def test_preferred_times_are_read_within_office_hours(text, expected):
    assert parse_time(text) == (expected, None)


@pytest.mark.parametrize("text, why", [
    ("日曜", "日曜・祝日はお休みです。"),
    ("平日の朝7時", "その日時は受付時間外です。"),
    ("明日", "ご希望の日時が読み取れませんでした。"),
])
def test_times_the_office_cannot_take_are_explained(text, why):
    assert parse_time(text) == (None, why)


def test_time_buttons_come_from_the_office_hours_file():
    labels = [b.title for b in booking.time_buttons()]
    assert labels == ["平日 10〜12時", "平日 13〜17時", "平日 17〜19時", "土曜 10〜16時", "いつでもよい"]
    assert parse_time("", "saturday") == ("土曜 10〜16時", None)


# ---- names ------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("田中です", "田中"), ("たなか", "たなか"), ("私は山田花子と申します", "山田花子"),
    ("「はなこ」でお願いします", "はなこ"), ("Taro", "Taro"),
])
def test_names_and_nicknames_are_read(text, expected):
    assert parse_name(text) == expected


@pytest.mark.parametrize("text", ["1234", "？？", "a@b.jp", "", "あ" * 31, "090-1234-5678"])
def test_what_is_not_a_name_is_refused(text):
    assert parse_name(text) is None


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
