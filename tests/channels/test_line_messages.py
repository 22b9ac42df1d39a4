"""LINE message shaping (channels/line_messages.py): LINE's limits, nothing lost, order kept.

Each call the shaper produces is also checked with the fake LINE server's validator
(tests/support/fake_line.py), the same rules the end-to-end tests enforce.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from channels.line_messages import (
    MAX_TEXT,
    build_batches,
    line_len,
    quick_reply_item,
    quick_reply_items,
    shorten_label,
    split_text,
)
from tests.support.fake_line import limit_errors


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def all_text(calls) -> str:
    return "".join(m.get("text", "") for call in calls for m in call)


# -- splitting -------------------------------------------------------------------------
def test_short_text_is_one_piece():
    assert split_text("過払い金があるかどうかは、取引の期間と金利で決まります。") == [
        "過払い金があるかどうかは、取引の期間と金利で決まります。"]


def test_long_text_splits_after_a_sentence_not_mid_word():
    sentence = "任意整理は、貸金業者と将来の利息や返済方法を話し合う手続きです。"
    text = sentence * 400  # about 12,800 characters
    pieces = split_text(text)
    assert "".join(pieces) == text
    assert len(pieces) == 3
    assert all(line_len(p) <= MAX_TEXT for p in pieces)
    assert all(p.endswith("。") for p in pieces)


def test_paragraph_boundary_is_preferred():
    text = ("あ" * 3000) + "。" + ("い" * 500) + "\n\n" + ("う" * 3000)
    first, second = split_text(text)
    assert first.endswith("\n\n") and second == "う" * 3000


def test_text_without_any_boundary_is_cut_at_the_limit():
    text = "債" * 12001
    assert [len(p) for p in split_text(text)] == [5000, 5000, 2001]


def test_emoji_count_two_and_are_never_cut_in_half():
    text = "😀" * 2600  # 5,200 UTF-16 units
    pieces = split_text(text)
    assert "".join(pieces) == text
    assert [line_len(p) for p in pieces] == [5000, 200]


# -- labels and quick replies -----------------------------------------------------------
def test_label_drops_a_bracketed_aside_first():
    assert shorten_label("自己破産（じこはさん）にかかる費用を知りたい") == "自己破産にかかる費用を知りたい"


def test_label_cut_at_a_natural_break_with_an_ellipsis():
    label = shorten_label("過払い金の計算方法・必要な書類・期間について知りたい")
    assert line_len(label) <= 20 and label.endswith("…")
    assert label == "過払い金の計算方法・必要な書類…"


def test_label_without_breaks_is_cut_to_twenty():
    label = shorten_label("あ" * 40)
    assert label == "あ" * 19 + "…"


def test_short_label_untouched():
    assert shorten_label(" はい ") == "はい"


def test_button_becomes_postback_showing_its_title():
    item = quick_reply_item({"title": "自己破産の費用", "payload": '/ask_cost{"procedure":"bankruptcy"}'})
    assert item == {"type": "action", "action": {
        "type": "postback", "label": "自己破産の費用",
        "data": '/ask_cost{"procedure":"bankruptcy"}', "displayText": "自己破産の費用"}}


def test_payload_over_300_characters_falls_back_to_sending_the_title():
    item = quick_reply_item({"title": "くわしく", "payload": "/inform" + "x" * 300})
    assert item["action"] == {"type": "message", "label": "くわしく", "text": "くわしく"}


def test_buttons_deduplicated_and_capped_at_13():
    buttons = [{"title": f"選択肢{i}", "payload": f"/inform{{\"n\":{i}}}"} for i in range(15)]
    items, dropped = quick_reply_items([{"text": "a", "buttons": buttons},
                                        {"text": "b", "buttons": buttons[:3]}])
    assert len(items) == 13 and dropped == 2
    assert [i["action"]["label"] for i in items] == [f"選択肢{i}" for i in range(13)]


# -- whole turns -------------------------------------------------------------------------
def test_many_short_messages_fit_one_reply_and_keep_order():
    messages = [{"text": f"{i}番目のご案内です。"} for i in range(30)]
    calls, _ = build_batches(messages)
    assert len(calls) == 1 and len(calls[0]) == 5
    assert squash(all_text(calls)) == squash("".join(m["text"] for m in messages))


def test_five_or_fewer_messages_stay_separate_bubbles():
    messages = [{"text": "一つ目"}, {"text": "二つ目"}, {"text": "三つ目"}]
    calls, _ = build_batches(messages)
    assert [m["text"] for m in calls[0]] == ["一つ目", "二つ目", "三つ目"]


def test_quick_reply_on_the_last_message_only():
    messages = [{"text": "ご質問ありがとうございます。", "buttons": [{"title": "はい", "payload": "/affirm"}]},
                {"text": "ほかに知りたいことはありますか。",
                 "buttons": [{"title": "費用", "payload": "/ask_cost"}]}]
    calls, _ = build_batches(messages)
    (call,) = calls
    assert "quickReply" not in call[0]
    assert [i["action"]["data"] for i in call[-1]["quickReply"]["items"]] == ["/affirm", "/ask_cost"]


def test_buttons_without_text_get_a_prompt_to_carry_them():
    calls, _ = build_batches([{"buttons": [{"title": "はい", "payload": "/affirm"}]}])
    assert calls[0][0]["text"] == "次の中からお選びください。"
    assert calls[0][0]["quickReply"]["items"][0]["action"]["data"] == "/affirm"


def test_https_image_is_an_image_message_other_urls_are_text():
    calls, _ = build_batches([{"image": "https://example.org/a.png"}, {"image": "http://example.org/b.png"}])
    assert calls[0][0] == {"type": "image", "originalContentUrl": "https://example.org/a.png",
                           "previewImageUrl": "https://example.org/a.png"}
    assert calls[0][1] == {"type": "text", "text": "http://example.org/b.png"}


def test_custom_line_objects_pass_through():
    sticker = {"type": "sticker", "packageId": "446", "stickerId": "1988"}
    calls, _ = build_batches([{"custom": {"line": [sticker]}}, {"custom": {"other": 1}}])
    assert calls == [[sticker]]


def test_empty_turn_makes_no_call():
    assert build_batches([]) == ([], 0)
    assert build_batches([{"text": "  \n "}]) == ([], 0)


def test_turn_over_25000_characters_spills_into_a_second_call():
    messages = [{"text": "長" * 4990} for _ in range(7)]
    calls, _ = build_batches(messages)
    assert [len(c) for c in calls] == [5, 2]
    assert all_text(calls) == "長" * 4990 * 7


# -- properties ------------------------------------------------------------------------
_ALPHABET = st.sampled_from(list("あいうえお過払金利息。、！？ \n\u3000abc😀「」（）"))
_chunk = st.text(alphabet=_ALPHABET, min_size=0, max_size=40)
_text = st.builds(lambda s, n: s * n, _chunk, st.integers(min_value=0, max_value=400))
_button = st.fixed_dictionaries({
    "title": st.text(alphabet=_ALPHABET, min_size=0, max_size=40),
    "payload": st.one_of(st.text(min_size=0, max_size=60),
                         st.text(alphabet=st.sampled_from("x/{}\"'"), min_size=290, max_size=320)),
})
_message = st.fixed_dictionaries({"text": _text}, optional={"buttons": st.lists(_button, max_size=6)})


@settings(max_examples=200, deadline=None)
@given(st.lists(_message, max_size=25))
def test_any_turn_obeys_line_limits_and_keeps_all_text_in_order(messages):
    calls, dropped = build_batches(messages)
    for call in calls:
        assert 1 <= len(call) <= 5
        assert limit_errors(call) == []  # what LINE (and the fake) would reject
        for m in call:
            assert m["type"] == "text" and m["text"].strip()
            assert line_len(m["text"]) <= MAX_TEXT
    # nothing lost, nothing reordered (whitespace aside: pieces are trimmed, joins add \n\n)
    keys = {b["payload"].strip() or b["title"].strip() for m in messages for b in m.get("buttons", [])}
    keys.discard("")
    expected = squash("".join(m["text"] for m in messages))
    if not expected and keys:  # buttons alone ride on a short prompt
        expected = "次の中からお選びください。"
    assert squash(all_text(calls)) == expected
    # the quick reply rides on the very last message only
    with_quick = [(ci, mi) for ci, call in enumerate(calls) for mi, m in enumerate(call) if "quickReply" in m]
    if keys:
        assert with_quick == [(len(calls) - 1, len(calls[-1]) - 1)]
        items = calls[-1][-1]["quickReply"]["items"]
        assert len(items) <= 13
        assert len(items) + dropped == len(keys)
    else:
        assert with_quick == []


@settings(max_examples=200, deadline=None)
@given(_text)
def test_split_text_reassembles_exactly(text):
    pieces = split_text(text)
    assert "".join(pieces) == text
    assert all(1 <= line_len(p) <= MAX_TEXT for p in pieces)


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1, max_size=80))
def test_any_label_fits(title):
    label = shorten_label(title)
    assert 1 <= line_len(label) <= 20
