"""Consultation booking end to end (issue 9): a visitor talks to the real REST channel,
the real action server writes the booking to the console's table in the stack's SQLite
database, and the tracker store keeps contact data out of the transcript. After a
cancelled or withdrawn request no table holds the visitor's phone number, e-mail address
or name."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from conversation.booking_flow import CONSENT_TEXT
from tests.support.clients import RestClient, answer_until_result, buttons, click, joined

pytestmark = pytest.mark.slow


def table_rows(db: Path):
    """Every row of every ordinary table (FTS virtual tables are read through their own)."""
    con = sqlite3.connect(db)
    try:
        tables = [t for (t,) in con.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND sql NOT LIKE 'CREATE VIRTUAL%'")]
        return {t: con.execute(f'SELECT * FROM "{t}"').fetchall() for t in tables}
    finally:
        con.close()


def tables_holding(db: Path, *needles: str):
    found = set()
    for table, rows in table_rows(db).items():
        for row in rows:
            for cell in row:
                text = cell.decode("utf-8", "ignore") if isinstance(cell, bytes) else str(cell)
                try:   # Rasa stores events as JSON with \\u escapes: read them as text
                    text += json.dumps(json.loads(text), ensure_ascii=False)
                except ValueError:
                    pass
                found |= {(table, n) for n in needles if n in text}
    return sorted(found)


def booking_rows(db: Path, sender: str):
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in con.execute(
            "SELECT * FROM console_bookings WHERE sender_id = ?", (sender,))]
    finally:
        con.close()


def test_a_diagnosis_ends_in_a_booking_with_consent_recorded(bot, visitor):
    db = bot.var_dir / "rasa.db"
    visitor.send("自分に合う方法を知りたい")
    visitor.send("消費者金融3社で300万です")
    out = visitor.send("毎月5万円なら返せます")
    result = answer_until_result(visitor, out, ["はい", "いいえ", "生活費"])
    assert "診断結果" in joined(result)
    out = click(visitor, result, "無料相談を予約する")
    assert "初回の相談は無料" in joined(out) and "やめる" in joined(out)
    assert [b["title"] for b in buttons(out)] == ["電話", "メール", "やめる"]
    out = click(visitor, out, "電話")
    assert "電話番号" in joined(out)
    out = visitor.send("０９０－８７６５－４３２１")
    assert "曜日" in joined(out)
    out = click(visitor, out, "平日 17〜19時")
    assert "お名前" in joined(out)
    out = visitor.send("たなかです")
    text = joined(out)
    assert "090-8765-4321" in text and "平日 17〜19時" in text and "たなか 様" in text
    assert CONSENT_TEXT in text and "任意整理" in text
    out = click(visitor, out, "同意して申し込む")
    (row,) = booking_rows(db, visitor.sender)
    assert row["ref"] in joined(out) and "受け付けました" in joined(out)
    assert row["status"] == "new" and row["consent_text"] == CONSENT_TEXT and row["consented_at"]
    assert row["phone"] == "090-8765-4321" and row["name"] == "たなか" and row["channel"] == "rest"
    assert row["primary_rec"] == "voluntary_settlement" and row["debt_total"] == 3_000_000
    # the transcript staff read holds neither the number nor the name
    assert tables_holding(db, "8765-4321", "８７６５", "たなかです", "たなか 様") == [
        ("console_bookings", "8765-4321")]


def test_invalid_answers_are_asked_again_then_corrected(visitor):
    visitor.send("相談の予約をしたい")
    out = visitor.send("メールでお願いします")
    assert "メールアドレス" in joined(out)
    out = visitor.send("hanako@example")
    assert "メールアドレスとして確認できませんでした" in joined(out)
    out = visitor.send("hanako@example.jp")
    assert "曜日" in joined(out)
    out = visitor.send("日曜の午後")
    assert "日曜・祝日はお休みです" in joined(out) and "曜日" in joined(out)
    out = visitor.send("土曜の午前中")
    assert "お名前" in joined(out)
    out = visitor.send("はなこ")
    assert "土曜 10〜16時" in joined(out) and "hanako@example.jp" in joined(out)


def test_yameru_cancels_and_nothing_is_left(bot, visitor):
    db = bot.var_dir / "rasa.db"
    visitor.send("無料相談を予約したい")
    visitor.send("電話")
    visitor.send("080-5555-6666")
    visitor.send("平日の午前")
    visitor.send("さくらです")
    assert booking_rows(db, visitor.sender)[0]["phone"] == "080-5555-6666"
    out = visitor.send("やめる")
    assert "保存していません" in joined(out)
    assert booking_rows(db, visitor.sender) == []
    assert tables_holding(db, "5555-6666", "080-5555", "さくらです", "さくら 様") == []
    # the conversation goes on normally
    assert "官報" in joined(visitor.send("官報に載りますか"))


def test_withdrawing_a_request_deletes_the_contact_data(bot):
    db = bot.var_dir / "rasa.db"
    visitor = RestClient(bot.rasa_url)
    visitor.send("相談予約をお願いします")
    visitor.send("メール")
    visitor.send("ume.taro@example.co.jp")
    visitor.send("いつでも")
    visitor.send("うめたろう")
    out = visitor.send("はい、同意します")
    assert "受け付けました" in joined(out)
    assert tables_holding(db, "ume.taro@example.co.jp") == [("console_bookings", "ume.taro@example.co.jp")]
    out = click(visitor, out, "予約を取り消す")
    assert "削除しました" in joined(out)
    assert booking_rows(db, visitor.sender) == []
    assert tables_holding(db, "ume.taro", "うめたろう") == []
    out = visitor.send("予約を取り消したい")
    assert "見つかりませんでした" in joined(out)
