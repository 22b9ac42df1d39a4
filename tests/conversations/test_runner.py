"""The conversation runner on a fake bot (no stack): each check passes when it should and,
above all, CAN fail; the schema rejects malformed files; the suite's own files load."""

from __future__ import annotations

from typing import Any, Dict, List

import pytest
import yaml

from debt_rules.facts import FACT_FIELDS
from tests.conversations.runner import (
    HERE,
    Conversation,
    SuiteError,
    load_all,
    load_file,
    load_schema,
    question_sentences,
    report_markdown,
    run_conversation,
    summarize,
    validate,
)

ROOT = HERE.parent.parent


class FakeBot:
    """Replies from a table (text sent -> list of messages) and fixed slots per reply."""

    def __init__(self, replies: Dict[str, Any], slots: Dict[str, Any] | None = None) -> None:
        self.replies = replies
        self.slot_values = slots or {}
        self.sent: List[str] = []

    def send(self, sender: str, text: str) -> List[Dict[str, Any]]:
        self.sent.append(text)
        reply = self.replies.get(text, [{"text": "すみません、うまく読み取れませんでした。"}])
        if callable(reply):
            reply = reply(len(self.sent))
        return [m if isinstance(m, dict) else {"text": m} for m in reply]

    def slots(self, sender: str) -> Dict[str, Any]:
        return self.slot_values


def conv(turns, **kw) -> Conversation:
    data = {"id": "fake_conv", "persona": "テスト用", "turns": turns, **kw}
    validate([data], "test")
    return Conversation.from_dict(data, "test.yml")


def checks_failed(result) -> List[str]:
    return [f.check for f in result.failures]


def run(turns, replies, slots=None, **kw):
    bot = FakeBot(replies, slots)
    return run_conversation(conv(turns, **kw), bot.send, bot.slots), bot


# -- the suite's own files --------------------------------------------------------------

def test_every_conversation_file_is_valid_and_ids_are_unique():
    conversations = load_all()
    assert len(conversations) >= 60
    assert len({c.id for c in conversations}) == len(conversations)


def test_schema_fact_names_are_debt_rules_fact_fields():
    schema = load_schema()
    assert set(schema["$defs"]["fact_name"]["enum"]) == set(FACT_FIELDS)


def test_schema_slot_names_are_the_domain_slots():
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    assert set(load_schema()["$defs"]["slot_name"]["enum"]) == set(domain["slots"])


def test_duplicate_ids_across_files_are_refused(tmp_path):
    one = [{"id": "same_id", "persona": "p", "turns": [{"user": "こんにちは"}]}]
    for name in ("a.yml", "b.yml"):
        (tmp_path / name).write_text(yaml.safe_dump(one, allow_unicode=True), encoding="utf-8")
    with pytest.raises(SuiteError, match="same_id"):
        load_all(tmp_path)


@pytest.mark.parametrize("bad, where", [
    ({"id": "x1_ok", "persona": "p"}, "turns"),                                       # no turns
    ({"id": "x1_ok", "persona": "p", "turns": [{"user": "a", "click": "b"}]}, "turns/0"),
    ({"id": "x1_ok", "persona": "p", "turns": [{"expect": {"reply_has_any": ["a"]}}]}, "turns/0"),
    ({"id": "x1_ok", "persona": "p", "turns": [{"user": "a", "expect": {"facts": {"debts": []}}}]}, "facts"),
    ({"id": "x1_ok", "persona": "p", "turns": [{"user": "a", "expect": {"slots": {"nope": 1}}}]}, "slots"),
    ({"id": "x1_ok", "persona": "p", "turns": [{"user": "a", "expect": {"reply_has_any": [110]}}]}, "reply_has_any"),
    ({"id": "x1_ok", "persona": "p", "turns": [{"user": "a", "expect": {"reply_contains": ["a"]}}]}, "expect"),
    ({"id": "x1_ok", "persona": "p", "turns": [{"user": "a", "repeat_until": {"reply_has_any": ["a"], "max": 3},
                                              "expect": {"reply_has_any": ["a"]}}]}, "turns/0"),
    ({"id": "Bad-Id", "persona": "p", "turns": [{"user": "a"}]}, "id"),
    ({"id": "x1_ok", "persona": "p", "turns": [{"user": "a"}], "checks": ["be_nice"]}, "checks"),
    ({"id": "x1_ok", "persona": "p", "turns": [{"user": "a"}], "final": {"first_reply_has_any": ["a"]}}, "final"),
])
def test_schema_rejects_malformed_conversations(bad, where):
    with pytest.raises(SuiteError) as info:
        validate([bad], "bad.yml")
    assert "bad.yml" in str(info.value) and where in str(info.value)


def test_load_file_names_the_file_on_error(tmp_path):
    path = tmp_path / "broken.yml"
    path.write_text("- id: ok_id\n  persona: p\n  turns: []\n", encoding="utf-8")
    with pytest.raises(SuiteError, match="broken.yml"):
        load_file(path)


# -- reply checks ------------------------------------------------------------------------

def test_reply_has_any_passes_and_fails():
    ok, _ = run([{"user": "訴状", "expect": {"reply_has_any": ["答弁書", "欠席"]}}],
                {"訴状": ["答弁書を出しましょう。"]})
    assert ok.passed, ok.describe()
    bad, _ = run([{"user": "訴状", "expect": {"reply_has_any": ["答弁書", "欠席"]}}],
                 {"訴状": ["大変ですね。"]})
    assert checks_failed(bad) == ["reply_has_any"]
    assert bad.failures[0].turn == 1 and "大変ですね" in bad.failures[0].reply


def test_matching_folds_widths_and_line_breaks():
    ok, _ = run([{"user": "差押え", "expect": {"reply_has_all": [["4分の1"], "0570-783-556"]}}],
                {"差押え": ["手取りの４分の\n１までです。", "０５７０－７８３－５５６"]})
    assert ok.passed, ok.describe()


def test_reply_has_all_needs_every_item_but_any_alternative():
    expect = {"reply_has_all": [["警察", "110"], ["払わない", "払う必要はありません"]]}
    ok, _ = run([{"user": "闇金", "expect": expect}], {"闇金": ["110番へ。", "払う必要はありません。"]})
    assert ok.passed, ok.describe()
    bad, _ = run([{"user": "闇金", "expect": expect}], {"闇金": ["警察に相談を。"]})
    assert checks_failed(bad) == ["reply_has_all"]
    assert "払わない" in bad.failures[0].detail


def test_reply_lacks_detects():
    bad, _ = run([{"user": "AI?", "expect": {"reply_lacks": ["私は弁護士"]}}], {"AI?": ["私は弁護士です。"]})
    assert checks_failed(bad) == ["reply_lacks"]


def test_first_reply_must_carry_it_not_a_later_one():
    expect = {"first_reply_has_any": ["0570-783-556"]}
    bad, _ = run([{"user": "死にたい", "expect": expect}],
                 {"死にたい": ["借金の診断をしましょう。", "いのちの電話 0570-783-556"]})
    assert checks_failed(bad) == ["first_reply_has_any"]
    ok, _ = run([{"user": "死にたい", "expect": expect}], {"死にたい": ["いのちの電話 0570-783-556"]})
    assert ok.passed


def test_reply_matches_any_and_english_and_buttons():
    turns = [{"user": "hi", "expect": {"reply_matches_any": ["月[^。]*[0-9]+万?円"], "reply_english": True,
                                       "buttons_any": ["わからない"]}}]
    bad, _ = run(turns, {"hi": [{"text": "こんにちは。", "buttons": [{"title": "はい", "payload": "/affirm"}]}]})
    assert sorted(checks_failed(bad)) == ["buttons_any", "reply_english", "reply_matches_any"]
    ok, _ = run(turns, {"hi": [{"text": "You can ask a lawyer about your debt here."},
                               {"text": "月々4万円です。", "buttons": [{"title": "わからない", "payload": "/dont_know"}]}]})
    assert ok.passed, ok.describe()


# -- facts and slots ---------------------------------------------------------------------------

FACTS = {"facts": {"debt_total": 3000000, "lender_types": ["consumer_finance", "credit_card"],
                   "owns_home": False, "monthly_take_home": 160000},
         "distress_flag": True}


def test_facts_subset_passes_and_mismatch_detects():
    ok, _ = run([{"user": "x", "expect": {"facts": {"debt_total": 3000000, "lender_types": ["credit_card"],
                                                    "owns_home": False,
                                                    "monthly_take_home": {"min": 150000, "max": 170000}}}}],
                {"x": ["ok"]}, FACTS)
    assert ok.passed, ok.describe()
    bad, _ = run([{"user": "x", "expect": {"facts": {"debt_total": 4500000}}}], {"x": ["ok"]}, FACTS)
    assert checks_failed(bad) == ["facts"] and "4500000" in bad.failures[0].detail


@pytest.mark.parametrize("expected", [
    {"lender_types": ["car_loan"]},          # a list item missing
    {"owns_home": True},
    {"household_size": 4},                   # not stored at all
    {"monthly_take_home": {"max": 100000}},  # out of range
])
def test_facts_mismatch_detects(expected):
    bad, _ = run([{"user": "x", "expect": {"facts": expected}}], {"x": ["ok"]}, FACTS)
    assert checks_failed(bad) == ["facts"]


def test_false_is_not_zero_and_true_is_not_one():
    bad, _ = run([{"user": "x", "expect": {"facts": {"owns_home": False}}}], {"x": ["ok"]},
                 {"facts": {"owns_home": 0}})
    assert checks_failed(bad) == ["facts"]


def test_facts_absent_and_facts_not_detect():
    bad, _ = run([{"user": "x", "expect": {"facts_absent": ["debt_total"],
                                           "facts_not": {"monthly_take_home": 160000,
                                                         "lender_types": ["car_loan", "credit_card"]}}}],
                 {"x": ["ok"]}, FACTS)
    assert checks_failed(bad) == ["facts_absent", "facts_not", "facts_not"]
    ok, _ = run([{"user": "x", "expect": {"facts_absent": ["household_size"],
                                          "facts_not": {"monthly_capacity": 90000, "lender_types": ["car_loan"]}}}],
                {"x": ["ok"]}, FACTS)
    assert ok.passed, ok.describe()


def test_slots_mismatch_and_unreadable_tracker_detect():
    bad, _ = run([{"user": "x", "expect": {"slots": {"distress_flag": True, "urgent_flag": True}}}],
                 {"x": ["ok"]}, FACTS)
    assert checks_failed(bad) == ["slots"] and "urgent_flag" in bad.failures[0].detail

    bot = FakeBot({"x": ["ok"]})

    def broken(sender):
        raise OSError("401 Unauthorized")

    result = run_conversation(conv([{"user": "x", "expect": {"slots": {"distress_flag": True}}}]), bot.send, broken)
    assert "slots" in checks_failed(result) and not result.passed


def test_slots_are_read_only_when_a_turn_checks_them():
    calls = []
    bot = FakeBot({"a": ["ok"], "b": ["ok"]}, FACTS)

    def slots(sender):
        calls.append(sender)
        return FACTS

    run_conversation(conv([{"user": "a"}, {"user": "b", "expect": {"slots": {"distress_flag": True}}}]),
                     bot.send, slots)
    assert len(calls) == 1


# -- conversation-level checks -------------------------------------------------------------------

def test_repeated_question_detects_at_three_not_two():
    q = "毎月の手取り収入はいくらですか？"
    replies = {"a": [q], "b": ["わかりました。", q], "c": [q]}
    bad, _ = run([{"user": "a"}, {"user": "b"}, {"user": "c"}], replies)
    assert checks_failed(bad) == ["no_repeated_question"]
    assert bad.failures[0].turn == 3 and "[1, 2, 3]" in bad.failures[0].detail
    ok, _ = run([{"user": "a"}, {"user": "b"}], replies)
    assert ok.passed, ok.describe()


def test_question_sentences_are_the_asking_ones():
    text = "ありがとうございます。持ち家はありますか？\n車のローンはありますか。承知しました。"
    assert question_sentences(text) == ["持ち家はありますか?", "車のローンはありますか。"]


def test_fallback_detects_unless_allowed():
    bad, _ = run([{"user": "借金300万"}], {})      # FakeBot answers unknown texts with the clarify text
    assert checks_failed(bad) == ["no_fallback"]
    ok, _ = run([{"user": "😭", "allow_fallback": True}], {})
    assert ok.passed, ok.describe()
    unchecked, _ = run([{"user": "借金300万"}], {}, checks=["always_replies"])
    assert unchecked.passed


def test_no_reply_detects():
    bad, _ = run([{"user": "こんにちは"}], {"こんにちは": []})
    assert checks_failed(bad) == ["always_replies"]


# -- driving -----------------------------------------------------------------------------------------

def test_click_sends_the_payload_of_the_titled_button():
    replies = {"start": [{"text": "借金はいくらですか？", "buttons": [{"title": "わからない", "payload": "/dont_know"}]}],
               "/dont_know": ["承知しました。"]}
    ok, bot = run([{"user": "start"}, {"click": "わからない", "expect": {"reply_has_any": ["承知"]}}], replies)
    assert ok.passed, ok.describe()
    assert bot.sent == ["start", "/dont_know"]
    assert ok.transcript[1].user == "わからない" and ok.transcript[1].sent == "/dont_know"


def test_click_on_a_missing_button_fails_and_types_the_title():
    bad, bot = run([{"user": "start"}, {"click": "わからない"}],
                   {"start": ["借金はいくらですか？"], "わからない": ["承知しました。"]})
    assert checks_failed(bad) == ["click"]
    assert bot.sent == ["start", "わからない"]


def test_repeat_until_repeats_then_stops_and_can_fail():
    replies = {"わからない": lambda n: ["結果：任意整理が考えられます。"] if n >= 3 else ["次の質問です。"]}
    ok, bot = run([{"user": "わからない", "repeat_until": {"reply_has_any": ["任意整理"], "max": 5}}], replies)
    assert ok.passed, ok.describe()
    assert len(bot.sent) == 3
    bad, bot = run([{"user": "わからない", "repeat_until": {"reply_has_any": ["任意整理"], "max": 2}}],
                   {"わからない": ["次の質問です。"]})
    assert checks_failed(bad) == ["repeat_until"] and len(bot.sent) == 2


def test_repeat_until_is_skipped_when_already_reached():
    ok, bot = run([{"user": "a"}, {"user": "わからない", "repeat_until": {"reply_has_any": ["任意整理"], "max": 3}}],
                  {"a": ["任意整理が考えられます。"]})
    assert ok.passed and bot.sent == ["a"]


def test_final_checks_the_whole_conversation_and_last_slots():
    turns = [{"user": "a"}, {"user": "b"}]
    replies = {"a": ["個人再生が考えられます。"], "b": ["最終判断は弁護士が行います。"]}
    ok, _ = run(turns, replies, FACTS, final={"reply_has_all": ["個人再生", "弁護士"],
                                               "facts": {"debt_total": 3000000}})
    assert ok.passed, ok.describe()
    bad, _ = run(turns, replies, FACTS, final={"reply_has_all": ["自己破産"], "facts": {"owns_home": True}})
    assert checks_failed(bad) == ["final.reply_has_all", "final.facts"]
    assert all(f.turn is None for f in bad.failures)


def test_a_bot_that_cannot_be_reached_is_an_error_not_a_pass():
    def down(sender, text):
        raise ConnectionRefusedError("connection refused")

    result = run_conversation(conv([{"user": "a"}, {"user": "b"}]), down, lambda s: {})
    assert not result.passed and "connection refused" in result.error


def test_summary_and_report_name_the_failures():
    good, _ = run([{"user": "a", "expect": {"reply_has_any": ["ok"]}}], {"a": ["ok"]})
    bad, _ = run([{"user": "訴状", "expect": {"reply_has_any": ["答弁書"]}}], {"訴状": ["大変ですね。"]})
    s = summarize([good, bad])
    assert (s["passed"], s["total"], s["percent"]) == (1, 2, 50.0)
    assert s["failed_conversations_by_check"] == {"reply_has_any": 1}
    md = report_markdown([good, bad])
    assert "1/2 conversations passed (50.0%)" in md
    assert "turn 1 `reply_has_any`" in md and "大変ですね" in md and "user: 訴状" in md


def test_cli_reports_a_fake_bot(monkeypatch, tmp_path, capsys):
    """``python -m tests.conversations --url`` drives RestBot; here RestBot is the fake."""
    import tests.conversations.__main__ as cli

    class Fake(FakeBot):
        def __init__(self, url, token):
            super().__init__({}, {})

    monkeypatch.setattr(cli, "RestBot", Fake)
    report = tmp_path / "latest.md"
    code = cli.main(["--url", "http://fake", "--token", "t", "-k", "distress_hiragana", "--report", str(report)])
    out = capsys.readouterr().out
    assert code == 0
    assert "0/1 conversations passed (0.0%)" in out and "distress_hiragana" in out
    assert "0/1 conversations passed" in report.read_text(encoding="utf-8")
    assert cli.main(["--url", "http://fake", "--token", "t", "-k", "distress_hiragana", "--strict",
                     "--report", str(report)]) == 1
