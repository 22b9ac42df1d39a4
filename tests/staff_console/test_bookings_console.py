"""The booking requests in the staff console (issue #9), on SQLite and PostgreSQL: the queue
(urgent and distress first, never drafts, counts per status, pagination), the detail page
(consent text and time, assessment summary), status changes (CSRF, audit, Japanese errors),
the conversation one click away, the CSV export with contact data masked, escaping of what
visitors wrote, and the login every page needs. Requests are written through the store's
own API (booking.store.update_draft + submit), as the action server does; one test
drives ``python -m staff_console`` over real HTTP."""

from __future__ import annotations

import csv
import io
import json
import re
import time

import pytest
import sqlalchemy as sa

from booking import store as bookings
from conversation.booking_flow import CONSENT_TEXT
from staff_console.db import audit
from staff_console.labels import jst_seconds
from tests.staff_console import helpers
from tests.staff_console.conftest import csrf_of, post
from tests.staff_console.helpers import HttpClient, bot, session_start, user

XSS_NAME = "<script>alert(1)</script>"
XSS_TIME = "<img src=x onerror=alert(1)>"
URGENT_NOTE = "裁判所から訴状や支払督促が届いている場合は、期限があります。すぐに専門家へ相談してください。"
SUMMARY = {"primary": "bankruptcy", "debt_total": 3000000, "urgent": True, "urgent_notes": [URGENT_NOTE],
           "distress": False, "handoff": False, "legal_aid": True}


def book(db, sender_id: str, method: str = "phone", *, phone=None, email=None, name="山田太郎",
         preferred="平日 10時〜12時", summary=None, channel="socketio"):
    """A request as the action server makes it: a draft filled in turn by turn, then consent."""
    bookings.update_draft(db, sender_id, channel=channel)
    bookings.update_draft(db, sender_id, contact_method=method, phone=phone, email=email)
    bookings.update_draft(db, sender_id, preferred_time=preferred, name=name)
    return bookings.submit(db, sender_id, consent_text=CONSENT_TEXT,
                           summary=summary if summary is not None else {"primary": None, "debt_total": None,
                                                                        "urgent": False, "distress": False})


def refs(resp) -> list:
    html = resp.get_data(as_text=True) if hasattr(resp, "get_data") else resp
    if '<table class="list bookings">' not in html:
        return []
    return re.findall(r'<a class="ref" href="/bookings/([A-Z0-9]+)">', html.split('<table class="list bookings">')[1])


def flashes(html: str) -> list:
    return re.findall(r'<p class="flash[^"]*"[^>]*>([^<]*)</p>', html)


def audit_rows(db, action: str):
    with db.read() as conn:
        return conn.execute(sa.select(audit).where(audit.c.action == action).order_by(audit.c.id)).fetchall()


@pytest.fixture
def booked(console):
    """Conversations with requests: a plain one (oldest), an urgent one, a distress one, a closed
    one, a LINE one, and a conversation whose visitor is still typing (a draft)."""
    now = time.time()
    db = console.db
    out = {}
    for sid, text in (("plain", "相談を予約したい"), ("urgent", "裁判所から訴状が届いた"), ("distress", "もうつらい"),
                      ("done", "予約したい"), ("line-user", "予約したい"), ("typing", "予約したい")):
        console.add(sid, session_start(console.tick()) + [
            user(text, "request_booking", 0.9, channel="line" if sid == "line-user" else "socketio", ts=console.tick()),
            bot("ご連絡の方法を選んでください。", ts=console.tick())])
    out["plain"] = book(db, "plain", phone="090-1234-5678", name="山田太郎")
    out["urgent"] = book(db, "urgent", "email", email="taro.yamada@example.com", name="佐藤花子", summary=SUMMARY)
    out["distress"] = book(db, "distress", phone="080-2222-3333", name="鈴木一郎",
                           summary={"primary": "voluntary_settlement", "debt_total": 1500000, "urgent": False,
                                    "distress": True, "handoff": True})
    out["done"] = book(db, "done", phone="070-4444-5555", name="田中次郎")
    bookings.set_status(db, out["done"]["ref"], "closed", "seed")
    out["line"] = book(db, "line-user", "line", name="高橋", channel="line", preferred="いつでも")
    bookings.update_draft(db, "typing", contact_method="phone", phone="090-9999-8888", name="下書き太郎")
    out["draft"] = bookings.get_draft(db, "typing")
    console.refresh()
    assert time.time() >= now
    return out


# -- access --------------------------------------------------------------------------------------
def test_booking_pages_need_a_login(sqlite_console):
    ref = book(sqlite_console.db, "v1", phone="090-1234-5678")["ref"]
    client = sqlite_console.client()
    for path in ("/bookings", f"/bookings/{ref}", "/bookings?status=new"):
        resp = client.get(path)
        assert resp.status_code == 302 and resp.headers["Location"].startswith("/login"), path
    assert "next=/bookings" in client.get(f"/bookings/{ref}").headers["Location"]
    for path in (f"/bookings/{ref}/status", "/export/bookings"):
        resp = client.post(path, data={"status": "closed", "csrf_token": csrf_of(client)})
        assert resp.status_code == 302 and resp.headers["Location"].startswith("/login"), path
    assert bookings.get(sqlite_console.db, ref=ref)["status"] == "new"


# -- the queue -------------------------------------------------------------------------------------
def test_queue_lists_requests_urgent_first_and_never_drafts(booked, console):
    client = console.client("staff1")
    resp = client.get("/bookings")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert refs(html) == [booked[k]["ref"] for k in ("urgent", "distress", "plain", "line", "done")]
    assert booked["draft"]["ref"] not in html and "下書き太郎" not in html and "090-9999-8888" not in html
    # what staff need to call: name, contact, preferred time, recommendation, amount, badges
    row = html.split(f'href="/bookings/{booked["urgent"]["ref"]}"')[1].split("</tr>")[0]
    assert "佐藤花子" in row and "taro.yamada@example.com" in row and "メール" in row
    assert "自己破産" in row and "300万円" in row and ">至急<" in row and ">新規<" in row
    row = html.split(f'href="/bookings/{booked["distress"]["ref"]}"')[1].split("</tr>")[0]
    assert "080-2222-3333" in row and 'href="tel:08022223333"' in row and ">要配慮<" in row
    assert "任意整理" in row and "150万円" in row and ">至急<" not in row
    row = html.split(f'href="/bookings/{booked["line"]["ref"]}"')[1].split("</tr>")[0]
    assert "LINE" in row and "いつでも" in row and "—" in row     # no diagnosis, no amount
    row = html.split(f'href="/bookings/{booked["done"]["ref"]}"')[1].split("</tr>")[0]
    assert ">終了<" in row
    # counts per status in the tabs, and the 予約 link in the menu with the new ones
    tabs = dict(re.findall(r'<a href="/bookings(?:\?status=\w+)?" ?[^>]*>([^<]+?) <span class="n">(\d+)</span>', html))
    assert tabs == {"すべて": "5", "新規": "4", "連絡済み": "0", "予約確定": "0", "終了": "1"}
    assert re.search(r'href="/bookings" aria-current="page">予約 <span class="count" aria-label="新規4件">4</span>', html)
    assert bookings.counts(console.db) == {"new": 4, "contacted": 0, "booked": 0, "closed": 1}


def test_status_tabs_filter_and_a_draft_is_never_a_filter(booked, console):
    client = console.client("staff2")
    assert refs(client.get("/bookings", query_string={"status": "closed"})) == [booked["done"]["ref"]]
    assert refs(client.get("/bookings", query_string={"status": "new"})) == [
        booked[k]["ref"] for k in ("urgent", "distress", "plain", "line")]
    empty = client.get("/bookings", query_string={"status": "booked"}).get_data(as_text=True)
    assert "「予約確定」の予約申込みはありません。" in empty
    for bogus in ("draft", "x' OR 1=1 --"):
        listed = client.get("/bookings", query_string={"status": bogus})
        assert listed.status_code == 200 and booked["draft"]["ref"] not in listed.get_data(as_text=True)
        assert len(refs(listed)) == 5


def test_queue_pages(sqlite_console):
    db = sqlite_console.db
    made = [book(db, f"v{i:02d}", phone=f"090-1000-{i:04d}", name=f"訪問者{i}")["ref"] for i in range(53)]
    client = sqlite_console.client("staff3")
    first = client.get("/bookings").get_data(as_text=True)
    assert refs(first) == made[:50] and "1 / 2 ページ" in first and 'rel="next"' in first
    second = client.get("/bookings", query_string={"page": 2})
    assert refs(second) == made[50:] and 'rel="prev"' in second.get_data(as_text=True)
    assert refs(client.get("/bookings", query_string={"page": 99})) == made[50:]
    assert refs(client.get("/bookings", query_string={"page": "x"})) == made[:50]


# -- detail and status ---------------------------------------------------------------------------------
def test_detail_shows_consent_and_assessment_summary(booked, console):
    client = console.client("staff4")
    ref = booked["urgent"]["ref"]
    resp = client.get(f"/bookings/{ref}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert CONSENT_TEXT in html
    assert f'同意日時：<time class="consented-at">{jst_seconds(booked["urgent"]["consented_at"])}</time>' in html
    summary = dict(re.findall(r'<tr><th scope="row">([^<]+)</th><td class="pre">([^<]*)</td></tr>', html))
    assert summary == {"推奨された手続き": "自己破産", "借金の合計": "300万円", "至急（訴訟・差押え）": "あり",
                       "至急の内容": URGENT_NOTE, "要配慮（つらさ）": "なし", "担当者希望": "なし",
                       "法テラスの援助": "対象となる見込み"}
    assert "佐藤花子" in html and "taro.yamada@example.com" in html and "平日 10時〜12時" in html
    assert 'href="/conversations/urgent"' in html
    # a request made before any diagnosis says so
    line = client.get(f"/bookings/{booked['line']['ref']}").get_data(as_text=True)
    assert "推奨された手続き</th><td class=\"pre\">未診断" in line and "借金の合計</th><td class=\"pre\">—" in line
    # viewing a request's contact data is in the audit log
    assert [r.target for r in audit_rows(console.db, "view_booking")] == [ref, booked["line"]["ref"]]


def test_status_change_with_csrf_is_saved_and_audited(booked, console):
    client = console.client("staff5")
    ref = booked["plain"]["ref"]
    resp = post(client, f"/bookings/{ref}/status", {"status": "contacted"}, page=f"/bookings/{ref}")
    assert resp.status_code == 303 and resp.headers["Location"] == f"/bookings/{ref}"
    html = client.get(f"/bookings/{ref}").get_data(as_text=True)
    assert f"受付番号 {ref} の状態を「新規」から「連絡済み」に変更しました。" in flashes(html)
    assert '<option value="contacted" selected>連絡済み</option>' in html and "（staff5）" in html
    row = bookings.get(console.db, ref=ref)
    assert row["status"] == "contacted" and row["status_changed_by"] == "staff5"
    entry = audit_rows(console.db, "set_booking_status")[-1]
    assert entry.username == "staff5" and entry.target == ref
    assert json.loads(entry.detail) == {"from": "new", "to": "contacted"}
    # the queue and its counts follow
    listing = client.get("/bookings").get_data(as_text=True)
    assert re.search(r'連絡済み <span class="n">1</span>', listing) and re.search(r'新規 <span class="n">3</span>', listing)
    assert 'aria-label="新規3件">3</span>' in listing
    # the audit page names the change (admins)
    admin = console.client("boss", admin=True)
    log = admin.get("/audit", query_string={"user": "staff5"}).get_data(as_text=True)
    assert "予約の状態変更" in log and f'href="/bookings/{ref}"' in log and "contacted" in log


def test_status_change_without_csrf_is_refused(booked, console):
    client = console.client("staff6")
    ref = booked["plain"]["ref"]
    client.get(f"/bookings/{ref}")
    assert client.post(f"/bookings/{ref}/status", data={"status": "closed"}).status_code == 400
    assert client.post(f"/bookings/{ref}/status", data={"status": "closed", "csrf_token": "forged"}).status_code == 400
    token = csrf_of(client, f"/bookings/{ref}")
    foreign = client.post(f"/bookings/{ref}/status", data={"status": "closed", "csrf_token": token},
                          headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403
    assert bookings.get(console.db, ref=ref)["status"] == "new"
    assert audit_rows(console.db, "set_booking_status") == []


def test_unknown_status_shows_the_stores_japanese_message(booked, console):
    client = console.client("staff7")
    ref = booked["plain"]["ref"]
    for bogus in ("bogus", "draft", ""):
        resp = post(client, f"/bookings/{ref}/status", {"status": bogus}, page=f"/bookings/{ref}")
        assert resp.status_code == 303 and resp.headers["Location"] == f"/bookings/{ref}"
        html = client.get(f"/bookings/{ref}").get_data(as_text=True)
        assert f"状態「{bogus}」は使えません（新規・連絡済み・予約確定・終了）" in flashes(html), bogus
        assert 'class="flash flash-error" role="alert"' in html
    assert bookings.get(console.db, ref=ref)["status"] == "new"
    assert audit_rows(console.db, "set_booking_status") == []
    same = post(client, f"/bookings/{ref}/status", {"status": "new"}, page=f"/bookings/{ref}")
    assert "状態はすでに「新規」です。" in flashes(client.get(same.headers["Location"]).get_data(as_text=True))


def test_withdrawn_unknown_and_draft_requests_are_not_found(booked, console):
    client = console.client("staff8")
    for ref in ("BNOSUCH2", booked["draft"]["ref"], "x" * 300):
        resp = client.get(f"/bookings/{ref}")
        html = resp.get_data(as_text=True)
        assert resp.status_code == 404, ref
        assert "訪問者が取り消した可能性があります" in html and 'href="/bookings">予約申込みの一覧に戻る' in html
    # the visitor withdraws while staff have the page open: the form answers politely
    ref = booked["plain"]["ref"]
    token = csrf_of(client, f"/bookings/{ref}")
    assert bookings.withdraw(console.db, "plain") == 1
    assert client.get(f"/bookings/{ref}").status_code == 404
    resp = client.post(f"/bookings/{ref}/status", data={"status": "contacted", "csrf_token": token})
    assert resp.status_code == 303 and resp.headers["Location"] == "/bookings"
    html = client.get("/bookings").get_data(as_text=True)
    assert any("取り消した可能性" in f for f in flashes(html)) and ref not in refs(html)
    # a draft's status cannot be changed from the console either
    resp = post(client, f"/bookings/{booked['draft']['ref']}/status", {"status": "new"}, page="/bookings")
    assert resp.headers["Location"] == "/bookings"
    assert bookings.get_draft(console.db, "typing")["status"] == "draft"


# -- the conversation one click away -------------------------------------------------------------------------
def test_conversation_and_request_link_to_each_other(booked, console):
    client = console.client("staff9")
    html = client.get("/bookings").get_data(as_text=True)
    row = html.split(f'href="/bookings/{booked["urgent"]["ref"]}"')[1].split("</tr>")[0]
    link = re.search(r'<a class="conv-link" href="([^"]+)">会話を見る</a>', row).group(1)
    assert link == "/conversations/urgent"
    transcript = client.get(link)
    page = transcript.get_data(as_text=True)
    assert transcript.status_code == 200 and "裁判所から訴状が届いた" in page
    assert (f'<a class="booking-link" href="/bookings/{booked["urgent"]["ref"]}">'
            f'受付番号 {booked["urgent"]["ref"]}（新規）</a>') in page
    # a conversation whose visitor has not consented yet shows no request
    typing = client.get("/conversations/typing").get_data(as_text=True)
    assert "booking-link" not in typing and booked["draft"]["ref"] not in typing
    # a closed request still links (staff may need its history)
    done = client.get("/conversations/done").get_data(as_text=True)
    assert f'受付番号 {booked["done"]["ref"]}（終了）' in done


# -- export ---------------------------------------------------------------------------------------------------
def test_export_masks_contact_data(booked, console):
    client = console.client("staff10")
    resp = post(client, "/export/bookings", {}, page="/bookings")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert re.match(r'attachment; filename="bookings-\d{8}-\d{4}\.csv"', resp.headers["Content-Disposition"])
    body = resp.get_data(as_text=True)
    assert body.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))
    assert list(rows[0]) == ["ref", "created_jst", "status", "contact_method", "contact_masked", "name_masked",
                             "preferred_time", "primary_recommendation", "debt_total", "urgent", "distress",
                             "consented_jst"]
    by_ref = {r["ref"]: r for r in rows}
    assert set(by_ref) == {booked[k]["ref"] for k in ("plain", "urgent", "distress", "done", "line")}
    for secret in ("090-1234-5678", "080-2222-3333", "070-4444-5555", "taro.yamada@example.com", "山田太郎",
                   "佐藤花子", "鈴木一郎", "田中次郎", "高橋", "09012345678", "1234-5678",
                   "090-9999-8888", "下書き太郎", "plain", "line-user"):
        assert secret not in body, secret
    plain, urgent, line = by_ref[booked["plain"]["ref"]], by_ref[booked["urgent"]["ref"]], by_ref[booked["line"]["ref"]]
    assert plain["contact_masked"] == "090-****-5678" and plain["name_masked"] == "山＊＊"
    assert urgent["contact_masked"] == "t***@example.com" and urgent["name_masked"] == "佐＊＊"
    assert line["contact_masked"] == "LINEのトーク" and line["contact_method"] == "line"
    assert urgent["primary_recommendation"] == "bankruptcy" and urgent["debt_total"] == "3000000"
    assert urgent["urgent"] == "1" and urgent["distress"] == "0" and by_ref[booked["distress"]["ref"]]["distress"] == "1"
    assert urgent["consented_jst"].endswith("+09:00") and plain["preferred_time"] == "平日 10時〜12時"
    assert by_ref[booked["done"]["ref"]]["status"] == "closed"
    entry = audit_rows(console.db, "export_bookings")[-1]
    assert entry.username == "staff10" and json.loads(entry.detail) == {"format": "csv", "status": "all", "requests": 5}
    # the tab being viewed is what is exported
    closed = post(client, "/export/bookings", {"status": "closed"}, page="/bookings").get_data(as_text=True)
    assert [r["ref"] for r in csv.DictReader(io.StringIO(closed.lstrip("\ufeff")))] == [booked["done"]["ref"]]
    # and never without the form's token
    assert client.post("/export/bookings", data={}).status_code == 400


# -- escaping -----------------------------------------------------------------------------------------------------
def test_what_visitors_wrote_is_shown_as_text(console):
    db = console.db
    console.add("xss-booker", session_start(console.tick()) + [user("予約したい", "request_booking", ts=console.tick())])
    row = book(db, "xss-booker", phone="090-1234-5678", name=XSS_NAME, preferred=XSS_TIME,
               summary={**SUMMARY, "urgent_notes": [XSS_NAME], "note": XSS_TIME})
    console.refresh()
    client = console.client("staff11")
    for path in ("/bookings", f"/bookings/{row['ref']}"):
        resp = client.get(path)
        html = resp.get_data(as_text=True)
        assert XSS_NAME not in html and "<img src=x" not in html, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&lt;img src=x onerror=alert(1)&gt;" in html, path
        assert "script-src 'none'" in resp.headers["Content-Security-Policy"]
    detail = client.get(f"/bookings/{row['ref']}").get_data(as_text=True)
    assert '<th scope="row">note</th><td class="pre">&lt;img src=x onerror=alert(1)&gt;</td>' in detail
    body = post(client, "/export/bookings", {}, page="/bookings").get_data(as_text=True)
    assert "<script>" not in body and "&lt;" not in body   # the CSV carries the masked name, not markup


# -- over real HTTP --------------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_staff_work_a_request_over_http(tmp_path, database_url, domain):
    from staff_console import migrate
    from staff_console.config import load_settings
    from staff_console.db import Database

    store = helpers.tracker_store(database_url, domain)
    now = time.time()
    helpers.save_events(store, "visitor-7", session_start(now) + [
        user("相談を予約したい", "request_booking", 0.95, ts=now + 1)])
    store.engine.dispose()
    db = Database(load_settings(database_url=database_url, var_dir=tmp_path, secret_key="x" * 32,
                                background_refresh=False))
    migrate.upgrade(db)
    ref = book(db, "visitor-7", phone="090-1234-5678", name="山田太郎", summary=SUMMARY)["ref"]
    db.dispose()
    helpers.create_console_user(database_url, tmp_path, "staff", helpers.DEFAULT_PASSWORD)
    server = helpers.start_console(database_url, tmp_path)
    try:
        anonymous = HttpClient(server.url)
        status, headers, _ = anonymous.get("/bookings")
        assert status == 302 and headers["Location"].endswith("/login?next=/bookings")
        client = HttpClient(server.url)
        assert client.login("staff")[0] == 303
        status, _, html = client.get("/bookings")
        assert status == 200 and refs(html) == [ref] and "090-1234-5678" in html
        status, _, html = client.get(f"/bookings/{ref}")
        assert status == 200 and CONSENT_TEXT in html and "300万円" in html
        token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
        assert client.request("POST", f"/bookings/{ref}/status", {"status": "booked"})[0] == 400
        status, headers, _ = client.request("POST", f"/bookings/{ref}/status", {"status": "booked", "csrf_token": token})
        assert status == 303 and headers["Location"].endswith(f"/bookings/{ref}")
        status, _, html = client.get(f"/bookings/{ref}")
        assert '<option value="booked" selected>予約確定</option>' in html and "「新規」から「予約確定」" in html
        status, headers, body = client.request("POST", "/export/bookings", {"csrf_token": token})
        assert status == 200 and "attachment" in headers["Content-Disposition"]
        assert "090-****-5678" in body and "090-1234-5678" not in body and "山田" not in body
        status, _, html = client.get("/conversations/visitor-7")
        assert status == 200 and f'href="/bookings/{ref}"' in html
    finally:
        server.stop()
