"""Personal data in visitor text: phone numbers, e-mail addresses and names as visitors
type them, masking, and which booking answers are kept out of the transcript (issue 9)."""

from __future__ import annotations

import re

import phonenumbers
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


# ---- phone numbers in every spelling the detector reads --------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("〇九〇―一二三四―五六七八", "090-1234-5678"),        # kanji digits
    ("電話は〇三―一二三四―五六七八です", "03-1234-5678"),
    ("0 9 0 1 2 3 4 5 6 7 8", "090-1234-5678"),               # a space between every digit
    ("090.1234.5678", "090-1234-5678"),
    ("TEL09012345678", "090-1234-5678"),                      # touching Latin letters
    ("+81 (0)90-1234-5678", "090-1234-5678"),
    ("０１２０ー１２３ー４５６", "0120-123-456"),
    ("0263123456", "0263-12-3456"),                           # area code from the numbering plan
])
def test_more_spellings_are_read(text, expected):
    assert parse_phone(text) == expected
    assert "［電話番号］" in mask(text) and not any(d in mask(text) for d in "0123456789")


def _plan(digits: str) -> bool:
    return phonenumbers.is_valid_number(phonenumbers.parse(digits, "JP"))


_KANJI = str.maketrans("0123456789", "〇一二三四五六七八九")
numbers = st.one_of(
    st.builds(lambda p, a, b: p + a + b, st.sampled_from(["070", "080", "090", "050"]), st.sampled_from("123456789"),
              st.text("0123456789", min_size=7, max_size=7)),
    st.builds(lambda p, a, b: p + a + b, st.sampled_from(["03", "06"]), st.sampled_from("123456789"),
              st.text("0123456789", min_size=7, max_size=7)),
    st.builds(lambda p, b: p + b, st.sampled_from(["0120", "045", "0263", "011"]),
              st.text("0123456789", min_size=6, max_size=7)),
).filter(_plan)


def _spell(digits: str, how: str, sep: str) -> str:
    groups = phonenumbers.format_number(phonenumbers.parse(digits, "JP"),
                                        phonenumbers.PhoneNumberFormat.NATIONAL).split("-")
    if how == "plain":
        return sep.join(groups)
    if how == "full":
        return sep.join(groups).translate(FULL)
    if how == "kanji":
        return sep.join(groups).translate(_KANJI)
    if how == "spaced":
        return " ".join(digits)
    if how == "intl":
        return "+81 " + sep.join([groups[0][1:]] + groups[1:])
    return f"({groups[0]}){sep.join(groups[1:])}"              # parentheses


japanese = st.text(st.sampled_from(list("あいうえおかきくけこをんアイウエオカキクケコ"
                                        "借金返済相談連絡先携帯番号、。！？ 　")), max_size=15)


@given(numbers, st.sampled_from(["plain", "full", "kanji", "spaced", "intl", "paren"]),
       st.sampled_from(["-", "", " ", "ー", "－", "‐", "―", ".", "−"]), japanese, japanese)
@settings(max_examples=300, deadline=None)
def test_a_valid_number_in_any_accepted_spelling_inside_japanese_text_is_found_and_masked(
        digits, how, sep, before, after):
    written = _spell(digits, how, sep)
    text = before + written + after
    expected = phonenumbers.format_number(phonenumbers.parse(digits, "JP"), phonenumbers.PhoneNumberFormat.NATIONAL)
    assert parse_phone(text) == expected
    spans = [s for s in find(text) if s.kind == "phone"]
    assert [text[s.start:s.end] for s in spans] == [written.strip()]
    masked = mask(text)
    assert masked == before + written.replace(written.strip(), "［電話番号］") + after
    assert not re.search(r"[0-9０-９〇一二三四五六七八九]", masked)


@given(st.text(max_size=120))
@settings(max_examples=300, deadline=None)
def test_masking_is_idempotent(text):
    once = mask(text)
    assert mask(once) == once and find(once) == []
    assert mask_for_export(mask_for_export(text)) == mask_for_export(text)


# no digit of any script, no @, and none of the characters every other cue needs
# (names: は と : が, addresses: 市区町村, LINE ids: は : =)
_NO_CUE = st.characters(blacklist_categories=("Cs", "Nd", "No", "Nl"),
                        blacklist_characters="@＠〇一二三四五六七八九十零はと:：が市区町村=＝")


@given(st.text(_NO_CUE, max_size=120))
@settings(max_examples=300, deadline=None)
def test_text_without_digits_at_signs_or_cues_is_unchanged(text):
    assert find(text) == [] and mask(text) == text and mask_for_export(text) == text


# ---- the other kinds ----------------------------------------------------------------------

@pytest.mark.parametrize("text, masked", [
    ("東京都新宿区西新宿2-8-1", "［住所］"),
    ("大阪市北区梅田1丁目2番3号に住んでいます", "［住所］に住んでいます"),
    ("大阪市北区梅田一丁目二番三号です", "［住所］です"),
    ("神奈川県横浜市中区山下町１－２－３", "［住所］"),
    ("住所は福岡市博多区博多駅前2-1-1です", "住所は［住所］です"),
    ("〒100-0001", "［郵便番号］"),
])
def test_street_addresses_are_masked(text, masked):
    assert mask(text) == masked


@pytest.mark.parametrize("text", ["東京に住んでいます", "大阪の事務所に相談したい", "区役所で聞きました", "3丁目の角"])
def test_places_without_a_street_address_are_kept(text):
    assert mask(text) == text


@pytest.mark.parametrize("text, masked", [
    ("LINE ID は abc_123", "LINE ID は ［LINE ID］"),
    ("ラインのIDはtaro.yamada です", "ラインのIDは［LINE ID］ です"),
    ("ＬＩＮＥ ＩＤ：ｈａｎａ＿８７", "ＬＩＮＥ ＩＤ：［LINE ID］"),
    ("LINEアカウントは@shakkin_soudan", "LINEアカウントは［LINE ID］"),
])
def test_line_ids_introduced_as_such_are_masked(text, masked):
    assert mask(text) == masked


@pytest.mark.parametrize("text", ["LINEで相談したい", "LINEはやっていません", "line.meのリンク",
                                  "LINEのIDがわからない"])
def test_mentions_of_line_are_kept(text):
    assert mask(text) == text


@pytest.mark.parametrize("text, masked", [
    ("私は山田太郎です", "私は［氏名］です"),
    ("山田と申します", "［氏名］と申します"),
    ("わたくしは鈴木一郎と申します。", "わたくしは［氏名］と申します。"),
    ("僕はタナカです", "僕は［氏名］です"),
    ("私は森です", "私は［氏名］です"),                     # a common noun that is also a surname
    ("私はTaro Yamadaです", "私は［氏名］です"),
    ("氏名：佐藤花子", "氏名：［氏名］"),
])
def test_self_introductions_are_masked(text, masked):
    assert mask(text) == masked


@pytest.mark.parametrize("text", [
    "私は無職です", "私は会社員です", "私は元会社員です", "私は専業主婦です", "僕は大学生です", "私はパートです",
    "私は連帯保証人です", "私は大丈夫です", "私はOLです", "私は年金生活者です", "自分は自営業です",
])
def test_what_people_say_they_are_is_not_a_name(text):
    assert mask(text) == text


@pytest.mark.parametrize("text, masked", [
    ("田中です", "［氏名］です"), ("たなか", "［氏名］"), ("「はなこ」でお願いします", "「［氏名］」でお願いします"),
    ("私は山田花子と申します", "私は［氏名］と申します"),
])
def test_the_booking_name_answer_is_a_name(text, masked):
    assert mask(text, asking="booking_name") == masked
    assert mask(text) == (text if "申します" not in text else masked)     # no cue: kept elsewhere


def test_spans_are_offsets_into_the_text_as_written():
    text = "ｍａｉｌ：ＴＡＲＯ＠ｅｘａｍｐｌｅ．ｊｐ、携帯０９０ー１２３４ー５６７８、私は山田です"
    spans = find(text)
    assert [(s.kind, text[s.start:s.end]) for s in spans] == [
        ("email", "ＴＡＲＯ＠ｅｘａｍｐｌｅ．ｊｐ"), ("phone", "０９０ー１２３４ー５６７８"), ("name", "山田")]
    assert all(isinstance(s, Span) for s in spans)


def test_the_tracker_store_and_the_exports_differ_only_in_the_e_mail_label():
    text = "taro@example.jp 090-1234-5678 私は山田です"
    assert mask(text) == "［メールアドレス］ ［電話番号］ 私は［氏名］です"
    assert mask_for_export(text) == "［メール］ ［電話番号］ 私は［氏名］です"
    assert mask_for_export(None) is None and mask_for_export("") == ""
    assert mask_contacts(text) == "［メールアドレス］ ［電話番号］ 私は山田です"     # contact data only


def test_a_booking_name_is_shown_by_its_first_letter():
    assert name_for_export(" 山田太郎 ") == "山＊＊" and name_for_export(None) == ""


def test_distress_is_never_taken_for_a_booking_answer():
    for asking in ("booking_phone", "booking_email", "booking_name"):
        assert not is_private_answer(asking, "express_distress", "もう死にたい 090-1234-5678")
    assert mask("もう死にたい") == "もう死にたい"
