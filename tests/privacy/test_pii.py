"""Personal data in visitor text: phone numbers, e-mail addresses and names as visitors
type them, masking, and which booking answers are kept out of the transcript (issue 9)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from privacy.pii import (
    Span,
    contact_spans,
    email_for_export,
    find,
    is_private_answer,
    mask,
    mask_contacts,
    mask_for_export,
    mask_value_for_export,
    name_for_export,
    parse_email,
    parse_name,
    parse_phone,
    phone_for_export,
    pseudonym,
)

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
    shown = phone_for_export(parse_phone(digits))
    assert shown == f"{digits[:3]}-****-{digits[7:]}"


# a subscriber number never starts with 0 (03-0123-4567 is no number: see the next test)
@given(st.sampled_from(["03", "06"]), st.builds(str.__add__, st.sampled_from("123456789"),
                                                st.text("0123456789", min_size=7, max_size=7)))
def test_every_masked_landline_hides_at_least_four_digits(area, rest):
    for stored in (parse_phone(area + rest), area + rest):
        shown = phone_for_export(stored)
        assert sum(c.isdigit() for c in shown) <= 6 and shown.endswith(rest[-4:])


@pytest.mark.parametrize("number", ["03-0123-4567", "0300000000"])
def test_a_number_that_cannot_exist_is_refused_as_an_answer_but_still_masked(number):
    assert parse_phone(number) is None                     # the booking asks again
    assert mask(f"電話は{number}です") == "電話は［電話番号］です"


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
    assert email_for_export(address) == f"{address[0]}***@{address.split('@')[1]}"


@given(st.text(max_size=200))
@settings(max_examples=300)
def test_masking_never_fails_and_leaves_no_contact(text):
    masked = mask_contacts(text)
    assert contact_spans(masked) == []
    if not contact_spans(text):
        assert masked == text


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


# ---- the console's exports (moved from tests/staff_console/test_text_processing.py) ----

@pytest.mark.parametrize("text,masked,kept", [
    ("電話は090-1234-5678です", "［電話番号］", "です"),
    ("０９０－１２３４－５６７８に電話ください", "［電話番号］", "に電話ください"),
    ("+81 90 1234 5678", "［電話番号］", ""),
    ("連絡は(03)1234-5678まで", "［電話番号］", "まで"),
    ("メールはtaro.yamada@example.co.jpです", "［メール］", "です"),
    ("〒160-0023 東京都新宿区西新宿1-2-3に住んでいます", "［郵便番号］", "に住んでいます"),
    ("住所は大阪市北区梅田1-1-1です", "［住所］", "です"),
    ("私は山田太郎です", "［氏名］", "私は"),
    ("名前は佐藤花子です", "［氏名］", "名前は"),
    ("山田と申します", "［氏名］", "と申します"),
    ("LINE IDはyamada_123です", "［LINE ID］", "です"),
    ("Uf1c1b7b4e0b94f5c8a6d2e3f4a5b6c7d から連絡", "［LINE ID］", "から連絡"),
])
def test_exports_mask_personal_data(text, masked, kept):
    out = mask_for_export(text)
    assert masked in out and kept in out
    for secret in ("1234", "5678", "taro", "yamada", "山田", "佐藤", "梅田", "西新宿", "160-0023", "f1c1b7b4"):
        if secret in text:
            assert secret not in out, (text, out)


@pytest.mark.parametrize("text", [
    "借金は300万円です", "1,200,000円", "消費者金融5社で200万", "2005年から", "年18%で借りました",
    "月3万なら返せます", "任意整理を断られました", "平成17年から12年", "2020-04-01に完済",
])
def test_exports_keep_money_and_other_figures(text):
    assert mask_for_export(text) == text


def test_mask_value_masks_strings_inside_structures():
    value = {"name": "私は山田です", "amount": 3000000, "list": ["090-1111-2222", 5]}
    assert mask_value_for_export(value) == {"name": "私は［氏名］です", "amount": 3000000, "list": ["［電話番号］", 5]}


def test_pseudonyms_are_stable_and_keyed():
    a = pseudonym("U0123456789abcdef0123456789abcdef", b"k1")
    assert a == pseudonym("U0123456789abcdef0123456789abcdef", b"k1")
    assert a != pseudonym("U0123456789abcdef0123456789abcdef", b"k2")
    assert a != pseudonym("another", b"k1")
    assert a.startswith("v-") and "0123456789abcdef" not in a
