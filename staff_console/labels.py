"""Japanese labels for what the console shows (channels, procedures, intents, flags, bookings)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Optional

JST = timezone(timedelta(hours=9), "JST")

CHANNELS = {"socketio": "ウェブ", "line": "LINE", "rest": "REST"}

# the engine's own labels, so the console and the bot always name a procedure alike
from booking.labels import METHOD_LABELS as BOOKING_METHODS  # noqa: E402,F401
from booking.labels import STATUS_LABELS as BOOKING_STATUSES  # noqa: E402,F401
from booking.labels import STATUSES as BOOKING_STATUS_ORDER  # noqa: E402,F401
from debt_rules.diagnose import texts as _engine_texts  # noqa: E402
from debt_rules.diagnose import yen as _engine_yen  # noqa: E402

PROCEDURES = dict(_engine_texts()["labels"]["procedure"])
FITS = {"recommended": "向いている", "possible": "検討できる", "unsuitable": "難しい"}

INTENTS = {
    "greet": "挨拶", "goodbye": "別れの挨拶", "thank": "お礼", "affirm": "はい", "deny": "いいえ",
    "dont_know": "わからない", "bot_challenge": "AIか確認", "ask_capabilities": "できること",
    "request_human": "担当者と話したい", "start_over": "やり直し", "out_of_scope": "対象外の話題",
    "express_distress": "つらさ・希死念慮", "inform": "情報の回答", "stop_form": "質問をやめる",
    "provide_history": "取引履歴の貼り付け", "nlu_fallback": "理解できなかった発言",
    "ask_debt_consolidation": "債務整理とは", "ask_voluntary_settlement": "任意整理とは",
    "ask_settlement_refused": "任意整理を断られた", "ask_renegotiation_timing": "再交渉の時期",
    "ask_overpayment": "過払い金", "ask_overpayment_deadline": "過払い金の時効",
    "request_recalculation": "引き直し計算", "ask_individual_rehabilitation": "個人再生とは",
    "ask_bankruptcy": "自己破産とは", "ask_specific_mediation": "特定調停とは",
    "ask_compare_procedures": "手続きの比較", "request_diagnosis": "診断の希望", "ask_cost": "費用",
    "ask_duration": "期間", "ask_credit_record": "信用情報（ブラックリスト）",
    "ask_credit_report_check": "信用情報の開示・訂正", "ask_family_impact": "家族への影響",
    "ask_work_impact": "仕事への影響", "ask_property_impact": "財産への影響", "ask_kanpo": "官報",
    "ask_excluded_debts": "減らない債務（税金など）", "ask_guarantor": "保証人への影響",
    "ask_documents": "必要書類", "ask_lawyer_or_scrivener": "弁護士と司法書士",
    "ask_choose_firm": "事務所の選び方", "ask_free_consultation": "無料相談・法テラス",
    "ask_lawsuit_seizure": "訴訟・差押え", "ask_stop_collection": "督促を止めたい",
    "ask_card_after": "手続き後のカード・ローン", "ask_gambling_debt": "ギャンブル・浪費の借金",
    "ask_consultation_tips": "相談のポイント", "ask_negotiation_tips": "自分で交渉するコツ",
    "ask_servicer": "債権回収会社",
}

FLAGS = {"fallback": "理解できず", "handoff": "担当者希望", "distress": "要配慮（つらさ）", "urgent": "至急（訴訟・差押え）"}

AUDIT_ACTIONS = {
    "login": "ログイン", "login_failed": "ログイン失敗", "login_locked": "ロック中のログイン",
    "logout": "ログアウト", "view_conversation": "会話の閲覧", "search": "検索",
    "export_conversations": "会話の書き出し", "export_corrections": "修正データの書き出し",
    "mark_reviewed": "確認済みにした", "unmark_reviewed": "確認済みを取り消した",
    "mark_handled": "対応済みにした", "unmark_handled": "対応待ちに戻した",
    "add_tag": "タグ追加", "remove_tag": "タグ削除", "add_note": "メモ追加",
    "correct_intent": "インテント修正", "delete_correction": "修正の取り消し",
    "create_user": "ユーザー作成", "reset_password": "パスワード再設定", "set_admin": "権限変更",
    "set_active": "有効・無効の変更", "unlock_user": "ロック解除", "view_audit": "監査ログの閲覧",
    "view_booking": "予約申込みの閲覧", "set_booking_status": "予約の状態変更",
    "export_bookings": "予約申込みの書き出し",
}

# the assessment summary stored with a booking request (debt_rules.booking.summary)
BOOKING_SUMMARY = {
    "primary": "推奨された手続き", "debt_total": "借金の合計", "urgent": "至急（訴訟・差押え）",
    "urgent_notes": "至急の内容", "distress": "要配慮（つらさ）", "handoff": "担当者希望",
    "legal_aid": "法テラスの援助",
}


def channel_label(value: Optional[str]) -> str:
    if not value:
        return "—"
    return CHANNELS.get(value, value)


def procedure_label(value: Optional[str]) -> str:
    if not value:
        return "—"
    return PROCEDURES.get(value, value)


def intent_label(value: Optional[str]) -> str:
    """The console's label; intents without one here (the everyday topics) take their
    topic's title from the knowledge files, so a new topic needs no entry in INTENTS."""
    label = INTENTS.get(value or "", "")
    if label or not value:
        return label
    from debt_rules import knowledge

    try:
        return knowledge.topic_title(value) if knowledge.has_topic(value) else ""
    except knowledge.KnowledgeError:
        return ""


def yen(value) -> str:
    """3000000 → 「300万円」, as the bot says it; 「—」 when unknown."""
    if value is None or value == "":
        return "—"
    try:
        return _engine_yen(int(value))
    except (TypeError, ValueError):
        return str(value)


def booking_status_label(value: Optional[str]) -> str:
    return BOOKING_STATUSES.get(value or "", value or "—")


def booking_method_label(value: Optional[str]) -> str:
    return BOOKING_METHODS.get(value or "", value or "—")


def _yes_no(value) -> str:
    return "あり" if value else "なし"


def recommendation_label(primary, summary=None) -> str:
    """The diagnosis's recommendation for a booking: the procedure, the candidates when the
    diagnosis could not decide, or 未診断 when the visitor booked without a diagnosis."""
    if primary:
        return procedure_label(primary)
    summary = summary if isinstance(summary, dict) else {}
    candidates = [procedure_label(c) for c in summary.get("candidates") or []]
    if candidates:
        return "未決定（候補：" + "・".join(candidates) + "）"
    return "未決定" if summary.get("diagnosed") else "未診断"


def booking_summary(summary) -> list:
    """(label, text) pairs for every key of a booking's summary, known keys first, in
    readable Japanese; unknown keys keep their name. Texts are plain strings (escaped by
    the template)."""
    if not isinstance(summary, dict):
        return []
    out = []
    for key in list(BOOKING_SUMMARY) + sorted(k for k in summary if k not in BOOKING_SUMMARY):
        if key not in summary:
            continue
        value = summary[key]
        if key == "primary":
            text = recommendation_label(value, summary)
        elif key in ("candidates", "diagnosed"):
            continue   # part of the recommendation's text
        elif key == "debt_total":
            text = yen(value)
        elif key in ("urgent", "distress", "handoff"):
            text = _yes_no(value)
        elif key == "urgent_notes":
            if not value:
                continue
            text = "\n".join(str(v) for v in value) if isinstance(value, list) else str(value)
        elif key == "legal_aid":
            text = {True: "対象となる見込み", False: "対象外の見込み"}.get(value, "判断できず")
        elif isinstance(value, bool):
            text = _yes_no(value)
        elif isinstance(value, (list, tuple)):
            text = "、".join(str(v) for v in value) or "—"
        elif isinstance(value, dict):
            text = json.dumps(value, ensure_ascii=False)
        else:
            text = "—" if value is None else str(value)
        out.append((BOOKING_SUMMARY.get(key, key), text))
    return out


def jst(ts: Optional[float], fmt: str = "%Y-%m-%d %H:%M") -> str:
    if ts is None:
        return "—"
    return datetime.fromtimestamp(float(ts), JST).strftime(fmt)


def jst_seconds(ts: Optional[float]) -> str:
    return jst(ts, "%Y-%m-%d %H:%M:%S")
