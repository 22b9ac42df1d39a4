"""Whole conversations through the real REST channel, real action server, real SQLite store.

Figures are checked against debt_rules computed on the same facts, never typed in here.
"""

from __future__ import annotations

import json
import re
import sqlite3

import pytest

from debt_rules import build_profile, diagnose
from debt_rules.texts import yen
from tests.support.clients import RestClient, answer_until_result, buttons, click, joined

pytestmark = pytest.mark.slow
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
NOT_READY = "まだ用意できていません"


def test_greeting_in_japanese(visitor):
    out = visitor.send("こんにちは")
    assert out, "no answer"
    text = joined(out)
    assert JAPANESE.search(text) and NOT_READY not in text
    assert "弁護士です" not in text  # never presents itself as a lawyer


def test_settlement_refused_asks_which_case_then_answers(visitor):
    out = visitor.send("任意整理 断られる")
    cases = [b for b in buttons(out) if "refusal_case" in b["payload"]]
    assert len(cases) == 3, joined(out)
    answer = visitor.send(next(b["payload"] for b in cases if "creditor_refused" in b["payload"]))
    text = joined(answer)
    assert JAPANESE.search(text) and NOT_READY not in text
    assert any(b["payload"].startswith("/request_diagnosis") for b in buttons(answer))


def test_settlement_refused_case_in_free_text(visitor):
    visitor.send("任意整理を断られました")
    answer = visitor.send("弁護士事務所に依頼を断られました")
    assert any(b["payload"].startswith("/request_diagnosis") for b in buttons(answer)), joined(answer)


def test_diagnosis_with_facts_in_free_text_and_figures_from_the_engine(bot, visitor):
    out = visitor.send("自分に合う方法を知りたい")
    assert JAPANESE.search(joined(out))
    out = visitor.send("消費者金融3社で300万です")
    out = visitor.send("毎月5万円なら返せます")
    result = answer_until_result(visitor, out, ["はい", "いいえ", "生活費"])
    text = joined(result)
    assert "診断結果" in text
    # the same facts through the engine give the same figures
    facts = {"debt_total": 3_000_000, "lender_types": ["consumer_finance"], "monthly_capacity": 50_000}
    a = diagnose(build_profile(facts))
    assert yen(a["settlement"]["monthly_36"]) in text
    assert yen(a["settlement"]["monthly_60"]) in text
    assert "弁護士" in text or "司法書士" in text  # the notice


def test_correction_interruption_dont_know_and_distress_mid_form(visitor):
    visitor.send("借金の診断をしてほしい")
    visitor.send("200万くらいです")
    corrected = visitor.send("やっぱり300万でした")
    assert "修正" in joined(corrected)
    # another question in the middle: answered, then the pending question comes back
    side = visitor.send("官報に載る？")
    assert "官報" in joined(side) and "続き" in joined(side)
    # わからない moves on to another question
    before = joined(side).splitlines()[-1]
    after = visitor.send("わからないです")
    assert joined(after) and joined(after).splitlines()[-1] != before
    # distress in the middle of the form: hotlines first
    care = visitor.send("もう死にたい")
    first = care[0]["text"]
    for number in ("0570-783-556", "0120-279-338", "0570-064-556"):
        assert number in joined(care)
    assert "0570-783-556" in first or "0120-279-338" in first or "いのちの電話" in first


def test_start_over_forgets_answers(visitor):
    visitor.send("自分に合う方法を知りたい")
    visitor.send("400万です")
    visitor.send("最初からやり直したい")
    out = visitor.send("自分に合う方法を知りたい")
    # the introduction is only given to a diagnosis that knows no facts yet
    assert "一緒に確認します" in joined(out), joined(out)
    assert "修正" not in joined(out)


def test_overpayment_flow_and_recalculation(visitor):
    out = visitor.send("過払い金ありますか")
    out = visitor.send("アコムで2005年から借りてました")
    result = answer_until_result_overpayment(visitor, out)
    text = joined(result)
    assert "時効" in text or "10年" in text
    out = click(visitor, result, "引き直し計算をする")
    assert "日付" in joined(out)
    calc = visitor.send("2008-01-01,500000,0\n2008-02-01,0,300000\n2008-03-01,0,300000")
    text = joined(calc)
    assert "過払い金" in text and yen(89_417) in text, text


def answer_until_result_overpayment(visitor, out, limit=8):
    for _ in range(limit):
        if "時効" in joined(out) and any(b["title"] == "引き直し計算をする" for b in buttons(out)):
            return out
        titles = [b["title"] for b in buttons(out)]
        if "はい" in titles:
            out = click(visitor, out, "はい")
        elif "わからない" in titles:
            out = click(visitor, out, "わからない")
        else:
            out = visitor.send("わからない")
    raise AssertionError(joined(out))


def test_transcripts_are_stored_in_sql(bot):
    client = RestClient(bot.rasa_url)
    client.send("人と話したい")
    db = bot.var_dir / "rasa.db"
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT type_name, data FROM events WHERE sender_id = ? ORDER BY id", (client.sender,)
        ).fetchall()
    assert any(t == "user" and json.loads(d)["text"] == "人と話したい" for t, d in rows)
    assert any(t == "slot" and json.loads(d)["name"] == "handoff_requested" for t, d in rows)
