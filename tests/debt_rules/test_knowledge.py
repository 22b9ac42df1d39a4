"""The prepared answer texts: every intent answered, in short polite Japanese, with buttons
that lead somewhere, the statute's figures where the seeds are silent or wrong, and a
loader that refuses malformed files with a message naming file and place."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from debt_rules import knowledge
from debt_rules.knowledge import KnowledgeError, _load_from

# shared/spec/intents.md, names unchanged.
CONVERSATION_INTENTS = ["greet", "goodbye", "thank", "affirm", "deny", "dont_know", "bot_challenge",
                        "ask_capabilities", "request_human", "start_over", "out_of_scope",
                        "express_distress", "inform"]
DEBT_INTENTS = [
    "ask_debt_consolidation", "ask_voluntary_settlement", "ask_settlement_refused",
    "ask_renegotiation_timing", "ask_overpayment", "ask_overpayment_deadline",
    "request_recalculation", "ask_individual_rehabilitation", "ask_bankruptcy",
    "ask_specific_mediation", "ask_compare_procedures", "request_diagnosis", "ask_cost",
    "ask_duration", "ask_credit_record", "ask_credit_report_check", "ask_family_impact",
    "ask_work_impact", "ask_property_impact", "ask_kanpo", "ask_excluded_debts", "ask_guarantor",
    "ask_documents", "ask_lawyer_or_scrivener", "ask_choose_firm", "ask_free_consultation",
    "ask_lawsuit_seizure", "ask_stop_collection", "ask_card_after", "ask_gambling_debt",
    "ask_consultation_tips", "ask_negotiation_tips", "ask_servicer",
]
# Added by issue #9 (consultation booking); guided flows, not prepared texts.
BOOKING_INTENTS = ["request_booking", "withdraw_booking"]
CATALOGUE = set(CONVERSATION_INTENTS) | set(DEBT_INTENTS) | set(BOOKING_INTENTS)
# Answered by a guided flow or by the NLU, not by a prepared text.
NOT_TOPICS = {"affirm", "deny", "dont_know", "inform", "request_diagnosis", *BOOKING_INTENTS}
MUST_HAVE_TOPIC = sorted((CATALOGUE - NOT_TOPICS) | {"fallback"})

PROCEDURES = ["voluntary_settlement", "individual_rehabilitation", "bankruptcy",
              "specific_mediation", "overpayment_claim"]
VARIANTS_REQUIRED = {
    "ask_cost": PROCEDURES,
    "ask_duration": PROCEDURES,
    "ask_credit_record": PROCEDURES,
    "ask_kanpo": PROCEDURES,
    "ask_property_impact": PROCEDURES,
    "ask_work_impact": PROCEDURES,
    "ask_family_impact": ["voluntary_settlement", "individual_rehabilitation", "bankruptcy"],
}
CASES = ["creditor_refused", "firm_declined", "worried"]

# product.md: exactly these, in this order.
HOTLINES = [("いのちの電話", "0570-783-556"), ("よりそいホットライン", "0120-279-338"),
            ("こころの健康相談統一ダイヤル", "0570-064-556")]

# A polite sentence ends in です・ます forms (or ください), optionally inside a closing
# bracket, then 。？！. Plain forms (だ。である。だろう。) are not allowed.
POLITE_END = re.compile(r"(です|ます|ました|ません|ましょう|ください|でしょう|でした|ございます)(か|ね)?[）」』]*[。？！]$")
PLAIN_END = re.compile(r"(だ|である|だろう|じゃない|ではない)[）」』]*[。？！]$")


def all_answers():
    """(where, Topic) for every base entry and every variant, as the API returns them."""
    out = []
    for intent in knowledge.topic_intents():
        out.append((intent, knowledge.topic(intent)))
        entry = knowledge._get().topics[intent]
        for p in entry.get("by_procedure") or {}:
            out.append((f"{intent}[{p}]", knowledge.topic(intent, procedure=p)))
        for c in entry.get("by_case") or {}:
            out.append((f"{intent}[{c}]", knowledge.topic(intent, case=c)))
        for i, v in enumerate(entry.get("by_keyword") or []):
            out.append((f"{intent}[keyword {i}]", knowledge._topic_from(intent, entry, v)))
    out.append(("refusal_question", knowledge.refusal_question()))
    return out


ANSWERS = all_answers()


# ---- coverage ----------------------------------------------------------------------

@pytest.mark.parametrize("intent", MUST_HAVE_TOPIC)
def test_every_intent_has_an_answer(intent):
    assert knowledge.has_topic(intent)
    t = knowledge.topic(intent)
    assert t.intent == intent and t.messages and 2 <= len(t.buttons) <= 4
    assert 1 <= len(knowledge.topic_title(intent)) <= 20


def test_no_answer_for_unknown_intent_is_a_lookup_error_not_a_key_error():
    with pytest.raises(LookupError) as exc:
        knowledge.topic("ask_weather_forecast")
    assert not isinstance(exc.value, KeyError)
    assert "ask_weather_forecast" in str(exc.value)
    assert not knowledge.has_topic("ask_weather_forecast")
    assert not knowledge.has_topic("request_diagnosis")   # a flow, not a text


@pytest.mark.parametrize("intent,procedures", sorted(VARIANTS_REQUIRED.items()))
def test_variants_differ_by_procedure(intent, procedures):
    base = knowledge.topic(intent)
    seen = set()
    for p in procedures:
        v = knowledge.topic(intent, procedure=p)
        assert v.messages != base.messages, f"{intent}[{p}] falls back to the base text"
        seen.add(tuple(v.messages))
    assert len(seen) == len(procedures), f"{intent}: two procedures share one text"


def test_unknown_or_missing_variant_falls_back_to_the_base_entry():
    base = knowledge.topic("ask_cost")
    assert knowledge.topic("ask_cost", procedure="no_such_procedure") == base
    assert knowledge.topic("ask_cost", procedure=None) == base
    # ask_family_impact has no 特定調停 variant: the base text answers
    assert knowledge.topic("ask_family_impact", procedure="specific_mediation") == knowledge.topic("ask_family_impact")
    # a procedure on a topic without variants changes nothing
    assert knowledge.topic("greet", procedure="bankruptcy") == knowledge.topic("greet")


def test_variant_texts_name_their_procedure():
    labels = {"voluntary_settlement": "任意整理", "individual_rehabilitation": "個人再生",
              "bankruptcy": "自己破産", "specific_mediation": "特定調停", "overpayment_claim": "過払い金"}
    for intent, procedures in VARIANTS_REQUIRED.items():
        for p in procedures:
            text = "".join(knowledge.topic(intent, procedure=p).messages)
            assert labels[p] in text, f"{intent}[{p}] never says {labels[p]}"


# ---- the refusal question and cases -------------------------------------------------

def test_refusal_question_offers_the_three_cases():
    q = knowledge.refusal_question()
    assert q.messages and all(POLITE_END.search(m) for m in q.messages)
    assert sorted(b["case"] for b in q.buttons) == sorted(CASES)
    for b in q.buttons:
        assert len(b["title"]) <= 20
        assert b["intent"] == "ask_settlement_refused"
        assert b["entities"] == {"refusal_case": b["case"]}


def test_each_refusal_case_has_its_own_reasons_and_remedies():
    base = knowledge.topic("ask_settlement_refused")
    texts = {c: "".join(knowledge.topic("ask_settlement_refused", case=c).messages) for c in CASES}
    assert all(texts[c] != "".join(base.messages) for c in CASES)
    # seed 000: a creditor refuses over repayment prospects; the others still settle
    assert "見込み" in texts["creditor_refused"] and "ほかの借入先とは和解できます" in texts["creditor_refused"]
    # a firm declining: the 司法書士's limit may be why; ask another firm
    assert "140万円" in texts["firm_declined"] and "別の弁護士" in texts["firm_declined"]
    # worried: preparation (income proof, credit report)
    assert "収入証明" in texts["worried"] and "信用情報" in texts["worried"]
    # the refusal flow adds a 診断 button when a case lacks one: still at most 4 in all
    for c in CASES:
        buttons = knowledge.topic("ask_settlement_refused", case=c).buttons
        has_diagnosis = any(b["intent"] == "request_diagnosis" for b in buttons)
        assert len(buttons) + (0 if has_diagnosis else 1) <= 4, c


def test_case_wins_over_procedure_and_unknown_case_falls_back():
    by_case = knowledge.topic("ask_settlement_refused", case="worried")
    assert knowledge.topic("ask_settlement_refused", case="worried", procedure="bankruptcy") == by_case
    assert knowledge.topic("ask_settlement_refused", case="nonsense") == knowledge.topic("ask_settlement_refused")


@pytest.mark.parametrize("key", ["seizure_or_lawsuit", "unstable_income", "servicer", "long_repayment",
                                 "earlier_relief"])
def test_refusal_risks_state_risk_and_remedy(key):
    text = knowledge.refusal_risk_text(key)
    assert 20 <= len(text) <= 200
    assert POLITE_END.search(text)
    assert text.count("。") >= 2, "a risk and what to do about it"


def test_refusal_risk_content_matches_its_key():
    assert "差押え" in knowledge.refusal_risk_text("seizure_or_lawsuit")
    assert "収入" in knowledge.refusal_risk_text("unstable_income")
    assert "サービサー" in knowledge.refusal_risk_text("servicer")
    assert "60回" in knowledge.refusal_risk_text("long_repayment")
    assert "過去に債務整理" in knowledge.refusal_risk_text("earlier_relief")
    with pytest.raises(LookupError):
        knowledge.refusal_risk_text("bad_luck")


# ---- style: short, polite, one idea, buttons that lead somewhere --------------------

@pytest.mark.parametrize("where,answer", ANSWERS, ids=[w for w, _ in ANSWERS])
def test_messages_are_short_polite_sentences(where, answer):
    assert 1 <= len(answer.messages) <= 4, "at most 4, so a pending question still fits LINE's 5"
    for m in answer.messages:
        assert m.strip() == m and m, f"{where}: empty or padded message"
        assert len(m) <= 200, f"{where}: {len(m)} characters: {m}"
        if not any(number in m for _, number in HOTLINES):
            assert len(m) <= 120, f"{where}: over the ~120-character target: {m}"
        assert POLITE_END.search(m), f"{where}: not a polite sentence ending: {m}"
        assert not PLAIN_END.search(m), f"{where}: plain form: {m}"
        assert "\n" not in m


@pytest.mark.parametrize("where,answer", ANSWERS, ids=[w for w, _ in ANSWERS])
def test_buttons_lead_to_known_intents(where, answer):
    assert 2 <= len(answer.buttons) <= 4, where
    titles = [b["title"] for b in answer.buttons]
    assert len(set(titles)) == len(titles), f"{where}: repeated button"
    for b in answer.buttons:
        assert 1 <= len(b["title"]) <= 20, f"{where}: {b['title']}"
        assert b["intent"] in CATALOGUE, f"{where}: {b['intent']} is not an intent of intents.md"
        assert b["intent"] in knowledge.FLOW_INTENTS or knowledge.has_topic(b["intent"])
        assert isinstance(b["entities"], dict)
        if "procedure" in b["entities"]:
            assert b["entities"]["procedure"] in PROCEDURES


def test_no_answer_claims_to_be_a_lawyer_or_promises_an_outcome():
    for where, answer in ANSWERS:
        text = "".join(answer.messages)
        for phrase in ("私は弁護士", "弁護士です", "必ず減ります", "必ず免責", "絶対に"):
            assert phrase not in text, f"{where}: {phrase}"
    bot = "".join(knowledge.topic("bot_challenge").messages)
    assert "人間ではなく" in bot and "自動応答" in bot and "弁護士や司法書士ではない" in bot


def test_returned_topics_are_copies():
    t = knowledge.topic("ask_cost")
    t.messages.append("改ざん")
    t.buttons[0]["entities"]["procedure"] = "bankruptcy"
    fresh = knowledge.topic("ask_cost")
    assert "改ざん" not in fresh.messages
    assert fresh.buttons[0]["entities"] == {"procedure": "voluntary_settlement"}


# ---- safety and handoff ------------------------------------------------------------

def test_distress_reply_gives_the_three_hotlines_first():
    assert [(h["name"], h["number"]) for h in knowledge.hotlines()] == HOTLINES
    first = knowledge.topic("express_distress").messages[0]
    for name, number in HOTLINES:
        assert f"{name} {number}" in first
    buttons = {b["intent"] for b in knowledge.topic("express_distress").buttons}
    assert "request_human" in buttons


def test_handoff_invents_no_phone_number_and_offers_an_appointment():
    text = "".join(knowledge.topic("request_human").messages)
    assert not re.search(r"\d{2,4}-\d{2,4}-\d{3,4}", text)
    assert "相談の予約" in text and "スタッフ" in text and "この会話" in text
    assert knowledge.topic("request_human").buttons[0]["intent"] == "request_booking"


def test_lawsuit_answer_says_urgent_first_and_why_the_deadline_matters():
    t = knowledge.topic("ask_lawsuit_seizure")
    assert "急" in t.messages[0] and "期限" in t.messages[0]
    text = "".join(t.messages)
    assert "2週間" in text and "督促異議" in text and "判決" in text
    assert t.buttons[0]["intent"] == "request_human"


def test_notice_is_one_short_sentence_naming_both_professions():
    n = knowledge.notice()
    assert "一般的な情報" in n and "弁護士" in n and "司法書士" in n
    assert n.count("。") == 1 and n.endswith("。") and len(n) <= 60


# ---- the statute's figures -------------------------------------------------------

def test_scrivener_limit_is_140man_per_claim():
    limit = knowledge.scrivener_limit()
    assert limit["amount"] == 1_400_000
    assert "ごと" in limit["per"] and "司法書士法3条" in limit["basis"]
    text = "".join(knowledge.topic("ask_lawyer_or_scrivener").messages)
    assert "140万円" in text and "1社あたり" in text


def test_overpayment_time_limits_follow_the_civil_code():
    limits = knowledge.overpayment_time_limits()
    assert limits["years_from_end_of_dealings"] == 10
    assert limits["years_from_knowledge"] == 5
    assert limits["knowledge_rule_from"] == "2020-04-01"
    text = "".join(knowledge.topic("ask_overpayment_deadline").messages)
    assert "10年" in text and "5年" in text and "完済" in text and "2020年4月" in text


def test_interest_caps_are_the_interest_limitation_act():
    assert [(c["below"], c["percent"]) for c in knowledge.interest_caps()] == [
        (100_000, 20), (1_000_000, 18), (None, 15)]
    text = "".join(knowledge.topic("ask_overpayment").messages)
    for figure in ("年20％", "年18％", "年15％"):
        assert figure in text


def test_credit_record_periods_follow_the_bureaus_not_the_seed():
    periods = {a["key"]: a for a in knowledge.credit_record_periods()}
    assert set(periods) == {"CIC", "JICC", "KSC"}
    assert all(a["years"] == 5 for a in periods.values())
    assert periods["KSC"]["kanpo_years"] == 7
    text = "".join(knowledge.topic("ask_credit_record").messages)
    assert "5年以内" in text and "7年" in text
    assert "10年" not in text   # seed 000's 「5~10年程度」 is not repeated as a period


def test_rehabilitation_text_carries_the_statutory_minimum():
    text = "".join(knowledge.topic("ask_individual_rehabilitation").messages)
    assert "最低100万円" in text and "5,000万円" in text


def test_specific_mediation_is_at_the_summary_court():
    text = "".join(knowledge.topic("ask_specific_mediation").messages)
    assert "簡易裁判所" in text and "家庭裁判所" not in text


# ---- tables -------------------------------------------------------------------------

def test_comparison_table_has_every_procedure_and_column():
    rows = knowledge.comparison_table()
    cols = [c["key"] for c in knowledge.comparison_columns()]
    assert cols == ["summary", "reduction", "court", "kanpo", "property", "occupation", "duration", "cost"]
    assert [c["label"] for c in knowledge.comparison_columns()] == [
        "概要", "減額の程度", "裁判所", "官報", "財産", "資格制限", "期間", "費用の目安"]
    assert [r["procedure"] for r in rows] == PROCEDURES
    by = {r["procedure"]: r for r in rows}
    for r in rows:
        assert r["name"] and all(r[c] for c in cols)
    # seed 004's table, as a visitor would read it
    assert by["voluntary_settlement"]["kanpo"] == "載りません"
    assert by["bankruptcy"]["kanpo"] == "載ります" and by["individual_rehabilitation"]["kanpo"] == "載ります"
    assert by["voluntary_settlement"]["court"] == "不要"
    assert by["bankruptcy"]["occupation"].startswith("あります")
    assert by["individual_rehabilitation"]["occupation"] == "ありません"
    assert "ゼロ" in by["bankruptcy"]["reduction"]
    assert "簡易裁判所" in by["specific_mediation"]["court"]


def test_kanpo_table_agrees_with_the_comparison_table():
    by = {r["procedure"]: r for r in knowledge.comparison_table()}
    for p in PROCEDURES:
        info = knowledge.kanpo_info(p)
        assert info["published"] == (by[p]["kanpo"] == "載ります"), p
    assert knowledge.kanpo_info("bankruptcy")["when"] == ["破産手続開始決定", "免責許可決定"]


def test_every_procedure_has_steps_duration_and_fees():
    d = knowledge.durations()
    for p in PROCEDURES:
        steps = knowledge.procedure_steps(p)
        assert len(steps) >= 4 and all(POLITE_END.search(s) for s in steps)
        assert d[p]["text"]
        assert knowledge.fees(p)
        assert knowledge.procedure_label(p)
    assert (d["voluntary_settlement"]["min_months"], d["voluntary_settlement"]["max_months"]) == (6, 12)
    assert (d["bankruptcy"]["min_months"], d["bankruptcy"]["max_months"]) == (6, 8)
    assert "受任通知" in knowledge.procedure_steps("voluntary_settlement")[0]
    assert any("官報" in s for s in knowledge.procedure_steps("bankruptcy"))
    with pytest.raises(LookupError):
        knowledge.procedure_steps("chapter_11")


def _man(n: int) -> str:
    return f"{n // 10000}万"


def test_cost_texts_quote_the_fee_table():
    """Every 万円 figure in a procedure's cost answer is a bound in that procedure's fee
    table, and every bound of the table is quoted: text and table cannot drift apart."""
    for p in ("voluntary_settlement", "individual_rehabilitation", "bankruptcy"):
        text = "".join(knowledge.topic("ask_cost", procedure=p).messages)
        quoted = {int(m) for m in re.findall(r"(\d+)万", text)}
        bounds = set()
        for item in knowledge.fees(p):
            if item["min"] is not None:
                bounds |= {item["min"] // 10000, item["max"] // 10000}
        bounds.discard(0)
        quoted_money = quoted - {300}          # 300万円 is the example's debt, not a fee
        assert quoted_money == bounds, f"{p}: text {sorted(quoted_money)} vs table {sorted(bounds)}"
    consult = knowledge.fees()["consultation"][0]
    assert (consult["min"], consult["max"]) == (0, 10000)
    assert "無料～1万円" in "".join(knowledge.topic("ask_cost").messages)


def test_documents_common_and_per_procedure():
    common = knowledge.documents_for(None)
    assert any("身分証明書" in d for d in common)
    assert any("借入先の一覧" in d for d in common)
    assert any("訴状" in d for d in common)
    bankruptcy = knowledge.documents_for("bankruptcy")
    assert bankruptcy[:len(common)] == common and "家計簿" in bankruptcy
    rehab = knowledge.documents_for("individual_rehabilitation")
    assert any("住宅ローン" in d for d in rehab) and "家計簿" not in rehab
    assert knowledge.documents_for("no_such_procedure") == common
    assert len(set(bankruptcy)) == len(bankruptcy)


# ---- loading ------------------------------------------------------------------------

def test_version_is_a_short_hash_that_changes_with_the_text(tmp_path):
    v = knowledge.knowledge_version()
    assert re.fullmatch(r"[0-9a-f]{12}", v)
    copy_dir = tmp_path / "k"
    shutil.copytree(knowledge.DIRECTORY, copy_dir, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    assert _load_from(copy_dir).version == v
    path = copy_dir / "conversation.yml"
    path.write_text(path.read_text(encoding="utf-8").replace("当事務所の自動応答アシスタントです。",
                                                             "当事務所の自動案内です。", 1), encoding="utf-8")
    assert _load_from(copy_dir).version != v


def test_files_are_read_once_per_process(monkeypatch):
    calls = []
    real = yaml.safe_load
    monkeypatch.setattr(yaml, "safe_load", lambda text: calls.append(1) or real(text))
    monkeypatch.setattr(knowledge, "_cache", None)
    knowledge.topic("greet")
    knowledge.topic("ask_cost", procedure="bankruptcy")
    knowledge.notice()
    assert len(calls) == len(list(knowledge.DIRECTORY.glob("*.yml")))


def _broken(tmp_path: Path, file: str, edit) -> Path:
    """A copy of the knowledge files with ``edit(data)`` applied to one file."""
    d = tmp_path / "k"
    shutil.copytree(knowledge.DIRECTORY, d, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    data = yaml.safe_load((d / file).read_text(encoding="utf-8"))
    edit(data)
    (d / file).write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return d


def _set(path, value):
    def edit(data):
        node = data
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return edit


@pytest.mark.parametrize("file,edit,expected", [
    ("procedures.yml", _set(["topics", "ask_cost", "buttons", 0, "title"], "任意整理にかかる費用をくわしく知りたいです"),
     "procedures.yml: topics.ask_cost.buttons[0].title: must be at most 20 characters"),
    ("procedures.yml", _set(["topics", "ask_cost", "messages"], []),
     "procedures.yml: topics.ask_cost.messages: must have at least 1 item"),
    ("procedures.yml", _set(["topics", "ask_cost", "buttons", 0, "intent"], "ask_costs"),
     "procedures.yml: topics.ask_cost.buttons[0].intent: 'ask_costs' has no topic"),
    ("procedures.yml", _set(["topics", "ask_cost", "by_procedure", "chapter_11"], {"messages": ["はい。"]}),
     "procedures.yml: topics.ask_cost.by_procedure: unknown procedure 'chapter_11'"),
    ("procedures.yml", _set(["topics", "ask_cost", "mesages"], ["です。"]),
     "procedures.yml: topics.ask_cost: unknown key 'mesages'"),
    ("refusal.yml", _set(["topics", "ask_settlement_refused", "by_case", "other"], {"messages": ["はい。"]}),
     "refusal.yml: topics.ask_settlement_refused.by_case: unknown case 'other'"),
    ("refusal.yml", lambda d: d["refusal_risks"].pop("servicer"),
     "refusal.yml: refusal_risks: missing risk 'servicer'"),
    ("refusal.yml", lambda d: d["refusal_question"]["buttons"].pop(),
     "refusal.yml: refusal_question.buttons: must offer each case once"),
    ("conversation.yml", lambda d: d["topics"].pop("fallback"),
     "no topic for required intent 'fallback'"),
    ("conversation.yml", _set(["topics", "express_distress", "messages", 0], "おつらいですね。"),
     "topics.express_distress.messages[0]: must give the hotline いのちの電話 0570-783-556 first"),
    ("conversation.yml", _set(["hotlines", 0, "number"], 5707835),
     "conversation.yml: hotlines[0].number: must be a phone number"),
    ("overpayment.yml", _set(["topics", "ask_kanpo"], {"title": "官報", "messages": ["はい。"], "buttons": [],
                                                      "source": "x"}),
     "topics.ask_kanpo: already defined in impact.yml"),
    ("procedures.yml", _set(["durations", "bankruptcy", "min_months"], 9),
     "procedures.yml: durations.bankruptcy: min_months 9 exceeds max_months 8"),
    ("procedures.yml", lambda d: d["comparison"]["rows"].pop(),
     "procedures.yml: comparison.rows: must have one row per procedure"),
    ("consultation.yml", _set(["scrivener_limit", "amount"], "140万円"),
     "consultation.yml: scrivener_limit.amount: must be a non-negative integer"),
])
def test_malformed_files_are_refused_with_file_and_place(tmp_path, file, edit, expected):
    with pytest.raises(KnowledgeError) as exc:
        _load_from(_broken(tmp_path, file, edit))
    assert expected in str(exc.value)


def test_invalid_yaml_and_missing_section_are_refused(tmp_path):
    d = tmp_path / "k"
    shutil.copytree(knowledge.DIRECTORY, d, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    (d / "impact.yml").write_text("topics: [unclosed\n", encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"impact\.yml: invalid YAML"):
        _load_from(d)
    (d / "impact.yml").unlink()
    with pytest.raises(KnowledgeError, match=r"section 'credit_records' is missing"):
        _load_from(d)
    with pytest.raises(KnowledgeError, match=r"no knowledge files"):
        _load_from(tmp_path / "empty")


# ---- by_keyword: variants chosen by the visitor's own words --------------------------

CAR = ["車", "自動車", "マイカー", "car"]
KEYWORD_FIXTURE = {
    "ask_property_impact": [
        {"when": CAR, "procedures": ["bankruptcy"],
         "messages": ["自己破産では、車も原則として処分します（テスト用の文です）。"],
         "source": "test fixture: bankruptcy car"},
        {"when": CAR,
         "messages": ["車の扱いは、手続きとローンの有無で変わります（テスト用の文です）。"],
         "buttons": [{"title": "自己破産の場合", "intent": "ask_property_impact",
                      "entities": {"procedure": "bankruptcy"}},
                     {"title": "自分に合う方法を診断", "intent": "request_diagnosis"}],
         "source": "test fixture: car", "note": "a variant with its own buttons"},
        {"when": ["持ち家|自宅", "マンション"],
         "messages": ["家を残せるかは、手続きによって違います（テスト用の文です）。"]},
    ],
    "ask_settlement_refused": [
        {"when": ["サービサー"], "messages": ["サービサーの場合です（テスト用の文です）。"], "source": "test fixture"},
    ],
}


def _with_keywords(tmp_path: Path, variants=None) -> Path:
    """A copy of the knowledge files whose topics carry ``variants`` as by_keyword."""
    d = tmp_path / "k"
    shutil.copytree(knowledge.DIRECTORY, d, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    for path in d.glob("*.yml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        touched = False
        for intent, entry in (data.get("topics") or {}).items():
            if intent in (variants or KEYWORD_FIXTURE):
                entry["by_keyword"] = (variants or KEYWORD_FIXTURE)[intent]
                touched = True
        if touched:
            path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return d


@pytest.fixture
def keyword_knowledge(tmp_path, monkeypatch):
    monkeypatch.setattr(knowledge, "_cache", _load_from(_with_keywords(tmp_path)))
    return knowledge


def test_keyword_variant_is_chosen_by_the_visitors_words(keyword_knowledge):
    k = keyword_knowledge
    base = k.topic("ask_property_impact")
    car = k.topic("ask_property_impact", text="ローン中の車はどうなりますか？")
    assert car.messages == ["車の扱いは、手続きとローンの有無で変わります（テスト用の文です）。"]
    assert [b["title"] for b in car.buttons] == ["自己破産の場合", "自分に合う方法を診断"]
    assert car.source == "test fixture: car"
    # NFKC: half-width katakana and full-width letters match; case does not matter
    assert k.topic("ask_property_impact", text="ﾏｲｶｰは残せる？") == car
    assert k.topic("ask_property_impact", text="ＣＡＲローン") == car
    # a pattern is a regular expression; a variant without buttons or source uses the base's
    house = k.topic("ask_property_impact", text="自宅は手放しますか")
    assert house.messages == ["家を残せるかは、手続きによって違います（テスト用の文です）。"]
    assert house.buttons == base.buttons and house.source == base.source
    # no match, no text: the entry as before
    assert k.topic("ask_property_impact", text="貯金は？") == base
    assert k.topic("ask_property_impact", text="") == base == k.topic("ask_property_impact", text=None)
    assert k.topic("ask_cost", text="車の費用") == k.topic("ask_cost")   # a topic without keywords


def test_keyword_precedence_case_then_keyword_then_procedure(keyword_knowledge):
    k = keyword_knowledge
    by_procedure = k.topic("ask_property_impact", procedure="individual_rehabilitation")
    assert by_procedure != k.topic("ask_property_impact")
    # the visitor's words win over the procedure variant...
    general_car = k.topic("ask_property_impact", text="車は？")
    assert k.topic("ask_property_impact", procedure="individual_rehabilitation", text="車は？") == general_car
    # ...and an entry restricted to a procedure goes first for that procedure only
    bankrupt_car = k.topic("ask_property_impact", procedure="bankruptcy", text="車は？")
    assert bankrupt_car.messages == ["自己破産では、車も原則として処分します（テスト用の文です）。"]
    assert bankrupt_car.source == "test fixture: bankruptcy car"
    # without a matching word, the procedure variant answers as before
    assert k.topic("ask_property_impact", procedure="individual_rehabilitation", text="貯金は？") == by_procedure
    # the refusal case the visitor chose wins over a keyword
    worried = k.topic("ask_settlement_refused", case="worried")
    assert k.topic("ask_settlement_refused", case="worried", text="サービサーです") == worried
    assert k.topic("ask_settlement_refused", text="サービサーです").messages == ["サービサーの場合です（テスト用の文です）。"]


async def test_the_topic_action_passes_the_visitors_text(keyword_knowledge):
    from actions.topics import ActionAnswerTopic
    from tests.actions.test_actions import run, tracker
    msgs, _ = await run(ActionAnswerTopic(), tracker("ask_property_impact", "マイカーは手放すことになりますか"))
    assert msgs[0]["text"] == "車の扱いは、手続きとローンの有無で変わります（テスト用の文です）。"
    msgs, _ = await run(ActionAnswerTopic(), tracker("ask_property_impact", "財産はどうなりますか"))
    assert [m["text"] for m in msgs] == knowledge.topic("ask_property_impact").messages


@pytest.mark.parametrize("variant,expected", [
    ({"when": ["車("], "messages": ["はい。"]},
     "impact.yml: topics.ask_property_impact.by_keyword[0].when[0]: not a valid regular expression: '車('"),
    ({"when": ["ＥＴＣ"], "messages": ["はい。"]},
     "impact.yml: topics.ask_property_impact.by_keyword[0].when[0]: is matched against NFKC-normalised text, "
     "so write it as 'ETC'"),
    ({"when": [], "messages": ["はい。"]},
     "impact.yml: topics.ask_property_impact.by_keyword[0].when: must have at least 1 item"),
    ({"when": ["車"], "messages": ["はい。"], "procedures": ["chapter_11"]},
     "impact.yml: topics.ask_property_impact.by_keyword[0].procedures[0]: unknown procedure 'chapter_11'"),
    ({"when": ["車"]},
     "impact.yml: topics.ask_property_impact.by_keyword[0]: missing required key 'messages'"),
    ({"when": ["車"], "messages": ["はい。"], "case": "worried"},
     "impact.yml: topics.ask_property_impact.by_keyword[0]: unknown key 'case'"),
    ({"when": ["車"], "messages": ["はい。"], "buttons": [{"title": "車", "intent": "ask_cars"}]},
     "impact.yml: topics.ask_property_impact.by_keyword[0].buttons[0].intent: 'ask_cars' has no topic"),
])
def test_malformed_keyword_variants_are_refused_at_load(tmp_path, variant, expected):
    with pytest.raises(KnowledgeError) as exc:
        _load_from(_with_keywords(tmp_path, {"ask_property_impact": [variant]}))
    assert expected in str(exc.value)


def test_every_schema_error_of_a_file_is_reported(tmp_path):
    def edit(data):
        data["topics"]["ask_cost"]["messages"] = []
        data["topics"]["ask_cost"]["buttons"][0]["title"] = "任意整理にかかる費用をくわしく知りたいです"
        data["durations"]["bankruptcy"]["text"] = ""
    with pytest.raises(KnowledgeError) as exc:
        _load_from(_broken(tmp_path, "procedures.yml", edit))
    lines = str(exc.value).splitlines()
    assert len(lines) == 3, lines
    assert all(line.startswith("procedures.yml: ") for line in lines)
    assert "procedures.yml: durations.bankruptcy.text: must be a non-empty string, got ''" in lines


def test_the_schema_is_a_valid_json_schema():
    from jsonschema import Draft202012Validator
    schema = yaml.safe_load(knowledge.SCHEMA_FILE.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)


# ---- phrases: the guided conversations' fixed sentences ----------------------------

def test_phrases_fill_exactly_their_placeholders():
    assert knowledge.phrase("diagnosis.bad_value", problem="金額が負です") == "すみません、その値は使えません：金額が負です"
    with pytest.raises(ValueError, match=r"takes \['problem'\], got \[\]"):
        knowledge.phrase("diagnosis.bad_value")
    with pytest.raises(ValueError, match=r"got \['problem', 'total'\]"):
        knowledge.phrase("diagnosis.bad_value", problem="1円", total="x")
    with pytest.raises(LookupError):
        knowledge.phrase("diagnosis.no_such_sentence")
    with pytest.raises(LookupError):
        knowledge.phrase("nonsense")
    assert knowledge.phrase_group("booking_method") == {"phone": "電話", "email": "メール", "line": "LINE"}


def test_sentences_that_state_law_carry_a_source():
    legal = re.compile(r"時効|法定利率|民事再生法|利息制限法|年\d+%|法テラス|第三者|どの手続きでも減りません")
    for group, entries in knowledge._get().data["phrases"].items():
        if group.endswith("buttons"):
            continue   # a button label names a topic, it states nothing
        for name, entry in entries.items():
            if legal.search(entry["text"]):
                assert entry.get("source"), f"phrases.{group}.{name} states law without a source"


def test_time_limit_sentences_agree_with_the_statute_table():
    limits = knowledge.overpayment_time_limits()
    deadline = knowledge.phrase("overpayment.deadline")
    assert f"完済から{limits['years_from_end_of_dealings']}年" in deadline
    assert f"知ってから{limits['years_from_knowledge']}年で時効" in deadline
    assert f"完済から{limits['years_from_end_of_dealings']}年以上" in knowledge.phrase_group("overpayment_likelihood")["time_barred"]
    assert f"{limits['years_from_end_of_dealings']}年以上" in knowledge.phrase("recalculation.old_dealings")
    assert "年5%" in knowledge.phrase("recalculation.rate_before_2020")
    assert "年3%" in knowledge.phrase("recalculation.rate_from_2020")


@pytest.mark.parametrize("file,edit,expected", [
    ("phrases_dialogue.yml", _set(["phrases", "diagnosis", "bad_value", "text"], "その値は使えません：{why}"),
     "phrases_dialogue.yml: phrases.diagnosis.bad_value.text: uses the placeholders ['why'], "
     "but `placeholders` lists ['problem']"),
    ("phrases_dialogue.yml", _set(["phrases", "diagnosis", "bad_value", "placeholders"], ["why"]),
     "phrases_dialogue.yml: phrases.diagnosis.bad_value.placeholders: must be ['problem'], got ['why']"),
    ("phrases_dialogue.yml", _set(["phrases", "diagnosis", "intro", "text"], "確認します{}。"),
     "phrases_dialogue.yml: phrases.diagnosis.intro.text: {} must be a plain name like {amount}"),
    ("phrases_dialogue.yml", _set(["phrases", "diagnosis", "intro", "text"], "確認します{。"),
     "phrases_dialogue.yml: phrases.diagnosis.intro.text: unbalanced braces"),
    ("phrases_dialogue.yml", _set(["phrases", "diagnosis", "bad_value", "text"], "使えません{problem:>10}です。"),
     "phrases_dialogue.yml: phrases.diagnosis.bad_value.text: {problem} must be a plain name"),
    ("phrases_dialogue.yml", _set(["phrases", "diagnosis", "bad_value", "join"], {"items": "か"}),
     "phrases_dialogue.yml: phrases.diagnosis.bad_value.join: 'items' is not one of its placeholders"),
    ("phrases_dialogue.yml", lambda d: d["phrases"]["overpayment"]["deadline"].pop("source"),
     "phrases_dialogue.yml: phrases.overpayment.deadline: missing required key 'source'"),
    ("phrases_dialogue.yml", lambda d: d["phrases"]["fit"].pop("undecided"),
     "phrases_dialogue.yml: phrases.fit: missing required key 'undecided'"),
    ("phrases_dialogue.yml", _set(["phrases", "fit", "perfect"], {"text": "最適です"}),
     "phrases_dialogue.yml: phrases.fit: unknown key 'perfect'"),
    ("phrases_dialogue.yml", _set(["phrases", "buttons", "request_human", "text"], "事務所のスタッフの方と直接お話ししたいのです"),
     "phrases_dialogue.yml: phrases.buttons.request_human.text: must be at most 20 characters"),
    ("phrases_booking.yml", lambda d: d["phrases"].pop("booking_method"),
     "knowledge: phrase group 'booking_method' is missing from every file"),
    ("phrases_booking.yml", _set(["phrases", "fit"], {k: {"text": "x"} for k in
                                                       ("recommended", "possible", "unsuitable", "undecided")}),
     "phrases_dialogue.yml: phrases.fit: already defined in phrases_booking.yml"),
])
def test_malformed_phrases_are_refused_with_file_and_place(tmp_path, file, edit, expected):
    with pytest.raises(KnowledgeError) as exc:
        _load_from(_broken(tmp_path, file, edit))
    assert expected in str(exc.value)
