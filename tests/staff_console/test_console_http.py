"""The console's pages through Flask's test client, on SQLite and PostgreSQL: access control,
login and lockout, CSRF, filters, Japanese search, the handoff queue, transcripts, escaping of
what visitors wrote, reviews, masked exports and the audit log."""

from __future__ import annotations

import csv
import io
import json
import re
import time
from datetime import datetime, timedelta, timezone

import pytest

from staff_console import auth
from staff_console.labels import JST
from tests.staff_console.conftest import csrf_of, login, post
from tests.staff_console.helpers import action, bot, session_start, slot, user

XSS_SCRIPT = "<script>alert(1)</script>"
XSS_IMG = "<img src=x onerror=alert(1)>"
PERSONAL = "私は山田太郎です。電話は090-1234-5678、メールはtaro.yamada@example.com です。借金は300万円です"
ASSESSMENT = {"primary": "individual_rehabilitation", "missing": [],
              "procedures": [{"procedure": "individual_rehabilitation", "fit": "recommended",
                              "reasons": ["住宅を残したまま返済額を減らせる可能性があります。"], "risks": []},
                             {"procedure": "bankruptcy", "fit": "possible", "reasons": [], "risks": []}],
              "debt_total": 3000000, "settlement": {"monthly_36": 83333, "monthly_60": 50000},
              "rehabilitation": {"repayment": 1000000}}


@pytest.fixture
def seeded(console):
    """A handful of conversations covering every filter, written through SQLTrackerStore."""
    now = time.time()
    t = console.tick
    console.add("old-web", session_start(now - 10 * 86400) + [
        user("過払い金ありますか", "ask_overpayment", ts=now - 10 * 86400 + 5)])
    console.add("handoff-first", session_start(t()) + [
        user("人と話したい", "request_human", 0.88, channel="rest", ts=t()), action("action_handoff", t()),
        bot("スタッフから折り返しご連絡します。", ts=t()), slot("handoff_requested", True, t())])
    console.add("web-refused", session_start(t()) + [
        user("任意整理を断られました", "ask_settlement_refused", 0.93, ts=t(),
             ranking=[{"name": "ask_settlement_refused", "confidence": 0.93}, {"name": "ask_voluntary_settlement", "confidence": 0.05}]),
        action("action_start_flow", t()),
        bot("どの場合にあてはまりますか。", buttons=[{"title": "債権者に断られた", "payload": "/inform"}], ts=t())])
    console.add("line-distress", session_start(t()) + [
        user("もう死にたい", "express_distress", 0.95, channel="line", ts=t()), action("action_distress", t()),
        bot("おつらい気持ちを話してくださってありがとうございます。", ts=t()),
        slot("distress_flag", True, t()), slot("handoff_requested", True, t())])
    console.add("rest-fallback", session_start(t()) + [
        user("ｗｗｗ", "nlu_fallback", 0.21, channel="rest", ts=t()), action("action_default_fallback", t()),
        bot("すみません、よくわかりませんでした。", ts=t())])
    console.add("web-diagnosis", session_start(t()) + [
        user("消費者金融3社で300万、任意整理できますか", "request_diagnosis", 0.81, ts=t(), entities=[
            {"entity": "count", "start": 5, "end": 7, "value": 3, "extractor": "JapaneseNumberExtractor"},
            {"entity": "amount", "start": 8, "end": 12, "value": 3000000, "extractor": "JapaneseNumberExtractor"}]),
        action("action_start_flow", t()), slot("assessment", ASSESSMENT, t()),
        slot("diagnosis_primary", "individual_rehabilitation", t()),
        bot("診断結果：いちばん検討しやすいのは「個人再生」です。", ts=t()),
        user("裁判所から訴状が届いた", "ask_lawsuit_seizure", 0.9, ts=t()), slot("urgent_flag", True, t()),
        slot("booking", {"channel": "rest", "time": "平日 17〜19時"}, t())])
    console.add("xss", session_start(t()) + [user(XSS_SCRIPT, "out_of_scope", 0.4, ts=t()),
                                             user(XSS_IMG, "out_of_scope", 0.4, ts=t()),
                                             slot("booking", {"time": XSS_SCRIPT}, t())])
    console.add("personal", session_start(t()) + [user(PERSONAL, "inform", 0.7, channel="line", ts=t()),
                                                  bot("ありがとうございます。", ts=t())])
    console.refresh()
    return console


def senders(resp) -> list:
    html = resp.get_data(as_text=True)
    return re.findall(r'href="/conversations/([^"#]+)"', html.split('<table class="list')[1]) if '<table class="list' in html else []


# -- access --------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/", "/conversations", "/conversations/web-refused", "/queue", "/dashboard",
                                  "/corrections", "/audit", "/users"])
def test_every_page_but_login_redirects_when_logged_out(sqlite_console, path):
    resp = sqlite_console.client().get(path)
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("/login")


@pytest.mark.parametrize("path", ["/review/reviewed", "/review/tags/add", "/export/conversations", "/users/create",
                                  "/corrections/export"])
def test_posts_need_a_login_too(sqlite_console, path):
    client = sqlite_console.client()
    resp = client.post(path, data={"sender_id": "x", "tag": "t", "csrf_token": csrf_of(client)})
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login")


def test_healthz_and_login_page_are_public(sqlite_console):
    client = sqlite_console.client()
    assert client.get("/healthz").status_code == 200
    page = client.get("/login")
    assert page.status_code == 200 and "ログイン" in page.get_data(as_text=True)
    assert "adduser" in page.get_data(as_text=True)  # no account yet: tells the operator how to make one


def test_login_success_failure_and_next(console):
    console.user("staff1")
    client = console.client()
    bad = login(client, "staff1", "wrong-password!")
    assert bad.status_code == 401 and "ユーザー名またはパスワードが正しくありません" in bad.get_data(as_text=True)
    assert client.get("/conversations").status_code == 302
    redirect = client.get("/queue")
    assert "next=/queue" in redirect.headers["Location"]
    ok = client.post("/login", data={"username": "staff1", "password": "console-test-password", "next": "/queue",
                                     "csrf_token": csrf_of(client)})
    assert ok.status_code == 303 and ok.headers["Location"] == "/queue"
    assert client.get("/conversations").status_code == 200
    # another site is never the target after login (open redirect)
    for target in ("//evil.example/", "/\t/evil.example", "https://evil.example/", "/\\evil.example"):
        other = console.client()
        resp = other.post("/login", data={"username": "staff1", "password": "console-test-password",
                                          "next": target, "csrf_token": csrf_of(other)})
        assert resp.headers["Location"] == "/conversations", target


def test_lockout_after_five_failures(console):
    console.user("staff2")
    client = console.client()
    for _ in range(5):
        assert login(client, "staff2", "wrong-password!").status_code in (401, 429)
    locked = login(client, "staff2", "console-test-password")
    assert locked.status_code == 429
    assert "ロック" in locked.get_data(as_text=True)
    assert client.get("/conversations").status_code == 302
    # names that do not exist behave the same (no account enumeration)
    for _ in range(5):
        login(client, "nobody", "wrong-password!")
    assert login(client, "nobody", "wrong-password!").status_code == 429
    auth.unlock(console.db, "staff2")
    assert login(client, "staff2", "console-test-password").status_code == 303


def test_session_cookie_flags(sqlite_console, monkeypatch):
    sqlite_console.user("staff3")
    client = sqlite_console.client()
    client.get("/login")
    resp = login(client, "staff3")
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    # behind https (CONSOLE_COOKIE_SECURE=auto, the default) the cookie is Secure
    https = sqlite_console.app.test_client()
    https.get("/login", base_url="https://localhost")
    token = https.get("/login", base_url="https://localhost").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', token).group(1)
    resp = https.post("/login", base_url="https://localhost",
                      data={"username": "staff3", "password": "console-test-password", "csrf_token": token})
    assert "Secure" in resp.headers["Set-Cookie"]
    assert resp.headers.get("Strict-Transport-Security")


def test_logout_ends_the_session_on_the_server(sqlite_console):
    client = sqlite_console.client("staff4")
    cookie = client.get_cookie("console_session").value
    assert post(client, "/logout", {}).status_code == 303
    assert client.get("/conversations").status_code == 302
    replay = sqlite_console.app.test_client()
    replay.set_cookie("console_session", cookie)
    assert replay.get("/conversations").status_code == 302   # a copied cookie is useless after logout


# -- CSRF ----------------------------------------------------------------------------------------
def test_post_without_csrf_token_is_refused(seeded):
    client = seeded.client("staff5")
    assert client.post("/review/tags/add", data={"sender_id": "web-refused", "tag": "x"}).status_code == 400
    assert client.post("/review/tags/add", data={"sender_id": "web-refused", "tag": "x",
                                                 "csrf_token": "forged"}).status_code == 400
    token = csrf_of(client, "/conversations")
    foreign = client.post("/review/tags/add", data={"sender_id": "web-refused", "tag": "x", "csrf_token": token},
                          headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403
    page = client.get("/conversations/web-refused").get_data(as_text=True)
    assert '<span class="tag">x</span>' not in page
    ok = client.post("/review/tags/add", data={"sender_id": "web-refused", "tag": "x", "csrf_token": token},
                     headers={"Origin": "http://localhost"})
    assert ok.status_code == 303


def test_login_form_from_another_site_is_refused(sqlite_console):
    sqlite_console.user("staff6")
    client = sqlite_console.client()
    resp = client.post("/login", data={"username": "staff6", "password": "console-test-password"},
                       headers={"Origin": "https://evil.example"})
    assert resp.status_code == 403
    # a script (no Origin, no token) may log in, as interfaces.md promises
    assert client.post("/login", data={"username": "staff6", "password": "console-test-password"}).status_code == 303


# -- list, filters, search -------------------------------------------------------------------------
FILTER_CASES = [
    ({}, {"old-web", "handoff-first", "web-refused", "line-distress", "rest-fallback", "web-diagnosis", "xss", "personal"}),
    ({"channel": "line"}, {"line-distress", "personal"}),
    ({"channel": "rest"}, {"handoff-first", "rest-fallback"}),
    ({"intent": "ask_settlement_refused"}, {"web-refused"}),
    ({"primary": "individual_rehabilitation"}, {"web-diagnosis"}),
    ({"fallback": "1"}, {"rest-fallback"}),
    ({"handoff": "1"}, {"handoff-first", "line-distress"}),
    ({"distress": "1"}, {"line-distress"}),
    ({"urgent": "1"}, {"web-diagnosis"}),
    ({"channel": "socketio", "fallback": "0", "urgent": "0"}, {"old-web", "web-refused", "xss"}),
]


def test_list_filters(seeded):
    client = seeded.client("staff7")
    for args, expected in FILTER_CASES:
        resp = client.get("/conversations", query_string=args)
        assert resp.status_code == 200
        assert set(senders(resp)) == expected, args


def test_list_is_newest_first_and_date_range_filters(seeded):
    client = seeded.client("staff8")
    order = senders(client.get("/conversations"))
    assert order[0] == "personal" and order[-1] == "old-web"
    today = datetime.now(JST).date()
    recent = senders(client.get("/conversations", query_string={"date_from": str(today - timedelta(days=2))}))
    assert "old-web" not in recent and "personal" in recent
    old = senders(client.get("/conversations", query_string={"date_to": str(today - timedelta(days=5))}))
    assert old == ["old-web"]
    bad = client.get("/conversations", query_string={"date_from": "2026/13/45"})
    assert "YYYY-MM-DD" in bad.get_data(as_text=True)


def test_reviewed_and_tag_filters(seeded):
    client = seeded.client("staff9")
    assert post(client, "/review/reviewed", {"sender_id": "web-refused", "value": "1"}).status_code == 303
    assert post(client, "/review/tags/add", {"sender_id": "xss", "tag": "要フォロー"}).status_code == 303
    assert set(senders(client.get("/conversations", query_string={"reviewed": "1"}))) == {"web-refused"}
    assert "web-refused" not in senders(client.get("/conversations", query_string={"reviewed": "0"}))
    assert senders(client.get("/conversations", query_string={"tag": "要フォロー"})) == ["xss"]


SEARCH_CASES = [
    ("断られ", {"web-refused"}),                 # substring inside 任意整理を断られました
    ("任意整理", {"web-refused", "web-diagnosis"}),
    ("借金", {"personal"}),                      # two characters
    ("金", {"old-web", "web-diagnosis", "personal"}),   # one character: scanned
    ("訴状", {"web-diagnosis"}),
    ("任意整理 断られ", {"web-refused"}),         # every term must appear
    ("任意整理　断られ", {"web-refused"}),        # 全角 space
    ("ＷＷＷ", {"rest-fallback"}),               # full width and case folded
    ("断られた", set()),                          # not a substring of 断られました
    ("<script>", {"xss"}),
    ("%", set()), ("_", set()), ("' OR 1=1 --", set()), ('" OR "a', set()), ("\\", set()),
    ("NEAR(a b)", set()), ("*", set()),
]


def test_search_japanese_substrings(seeded):
    client = seeded.client("staff10")
    for q, expected in SEARCH_CASES:
        resp = client.get("/conversations", query_string={"q": q})
        assert resp.status_code == 200, q
        assert set(senders(resp)) == expected, q


def test_search_shows_the_matching_message(seeded):
    client = seeded.client("staff11")
    html = client.get("/conversations", query_string={"q": "訴状"}).get_data(as_text=True)
    assert "裁判所から訴状が届いた" in html


# -- handoff queue ----------------------------------------------------------------------------------
def test_handoff_queue_oldest_first_until_handled(seeded):
    client = seeded.client("staff12")
    html = client.get("/queue").get_data(as_text=True)
    assert senders(client.get("/queue")) == ["handoff-first", "line-distress"]
    assert "人と話したい" in html and "もう死にたい" in html
    assert post(client, "/review/handled", {"sender_id": "handoff-first", "value": "1", "return": "queue"},
                page="/queue").headers["Location"] == "/queue"
    assert senders(client.get("/queue")) == ["line-distress"]
    assert senders(client.get("/queue", query_string={"distress": "1"})) == ["line-distress"]
    # the visitor asks again after being handled: back in the queue
    t = seeded.tick
    time.sleep(0.01)
    seeded.add("handoff-first", [user("まだ連絡がありません。人と話したい", "request_human", channel="rest", ts=time.time()),
                                 action("action_handoff", time.time()), slot("handoff_requested", True, time.time())])
    seeded.refresher.last_run = 0
    assert set(senders(client.get("/queue"))) == {"handoff-first", "line-distress"}
    assert t  # the clock fixture was used


# -- transcript ----------------------------------------------------------------------------------------
def test_transcript_shows_what_the_bot_understood(seeded):
    client = seeded.client("staff13")
    resp = client.get("/conversations/web-diagnosis")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "消費者金融3社で300万、任意整理できますか" in html
    assert "request_diagnosis" in html and "0.81" in html
    assert "<code>amount</code>" in html and "3000000" in html and "300万" in html
    assert "<code>count</code>" in html
    assert "diagnosis_primary" in html and "urgent_flag" in html
    assert "診断結果（assessment）" in html and "個人再生" in html and "3,000,000円" in html
    assert "診断結果：いちばん検討しやすいのは「個人再生」です。" in html
    assert "平日 17〜19時" in html and "\\u5e73" not in html     # slot values readable, not \u escapes
    refused = client.get("/conversations/web-refused").get_data(as_text=True)
    assert "債権者に断られた" in refused and "/inform" in refused          # buttons the bot offered
    assert "ask_voluntary_settlement" in refused                           # runner-up intent
    # times are shown in Japan time
    with seeded.db.read() as conn:
        ts = conn.exec_driver_sql("SELECT timestamp FROM events WHERE sender_id = 'web-refused' "
                                  "AND type_name = 'user'").scalar()
    assert datetime.fromtimestamp(ts, timezone(timedelta(hours=9))).strftime("%Y-%m-%d %H:%M:%S") in refused
    assert client.get("/conversations/does-not-exist").status_code == 404


def test_visitor_html_is_shown_as_text(seeded):
    client = seeded.client("staff14")
    for path, params in (("/conversations/xss", {}), ("/conversations", {}), ("/conversations", {"q": "alert"})):
        resp = client.get(path, query_string=params)
        html = resp.get_data(as_text=True)
        assert "<script>alert(1)</script>" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "script-src 'none'" in resp.headers["Content-Security-Policy"]
    transcript = client.get("/conversations/xss").get_data(as_text=True)
    assert "&lt;img src=x onerror=alert(1)&gt;" in transcript


# -- review, corrections ---------------------------------------------------------------------------------
def test_review_tags_notes_and_intent_correction(seeded):
    client = seeded.client("staff15")
    assert post(client, "/review/reviewed", {"sender_id": "web-refused", "value": "1"}).status_code == 303
    post(client, "/review/tags/add", {"sender_id": "web-refused", "tag": "要フォロー"})
    post(client, "/review/tags/add", {"sender_id": "web-refused", "tag": "<b>x</b>"})      # refused: markup
    post(client, "/review/notes", {"sender_id": "web-refused", "body": "折り返し電話済み <i>"})
    html = client.get("/conversations/web-refused").get_data(as_text=True)
    assert "確認済み（staff15" in html
    assert '<span class="tag">要フォロー</span>' in html and "<b>x</b>" not in html
    assert "折り返し電話済み &lt;i&gt;" in html
    post(client, "/review/tags/remove", {"sender_id": "web-refused", "tag": "要フォロー"})
    assert '<span class="tag">要フォロー</span>' not in client.get("/conversations/web-refused").get_data(as_text=True)

    with seeded.db.read() as conn:
        event_id = conn.exec_driver_sql("SELECT id FROM events WHERE sender_id = 'rest-fallback' "
                                        "AND type_name = 'user'").scalar()
    assert post(client, "/review/correct", {"event_id": str(event_id), "intent": "no_such_intent"}).status_code == 303
    assert "ask_cost" not in client.get("/corrections").get_data(as_text=True)
    post(client, "/review/correct", {"event_id": str(event_id), "intent": "out_of_scope"})
    corrections = client.get("/corrections").get_data(as_text=True)
    assert "ｗｗｗ" in corrections and "out_of_scope" in corrections
    resp = post(client, "/corrections/export", {}, page="/corrections")
    assert resp.status_code == 200 and "attachment" in resp.headers["Content-Disposition"]
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

    data = RasaYAMLReader().reads(resp.get_data(as_text=True))
    assert [(m.get("intent"), m.get("text")) for m in data.intent_examples] == [("out_of_scope", "ｗｗｗ")]


# -- exports ------------------------------------------------------------------------------------------------
def test_exports_mask_personal_data_and_keep_amounts(seeded):
    client = seeded.client("staff16")
    csv_resp = post(client, "/export/conversations", {"format": "csv", "channel": "line"})
    assert csv_resp.status_code == 200 and "attachment" in csv_resp.headers["Content-Disposition"]
    body = csv_resp.get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))
    assert {r["channel"] for r in rows} == {"line"} and len(rows) == 2
    jsonl = post(client, "/export/conversations", {"format": "jsonl"}).get_data(as_text=True)
    records = [json.loads(line) for line in jsonl.splitlines()]
    assert len(records) == 8
    everything = body + jsonl
    for secret in ("090-1234-5678", "山田", "太郎", "taro.yamada@example.com", "personal", "line-distress",
                   "web-refused"):
        assert secret not in everything, secret
    assert "［電話番号］" in everything and "［メール］" in everything and "［氏名］" in everything
    assert "借金は300万円です" in everything
    personal = next(r for r in records if r["messages"] and any("300万円" in (m.get("text") or "") for m in r["messages"]))
    csv_row = next(r for r in rows if "300万円" in r["first_message"])
    assert personal["conversation"] == csv_row["conversation"]          # one stable pseudonym
    assert personal["conversation"].startswith("v-")
    diag = next(r for r in records if r["primary_recommendation"] == "individual_rehabilitation")
    visitor = [m for m in diag["messages"] if m.get("from") == "visitor"][0]
    assert visitor["intent"] == "request_diagnosis" and visitor["confidence"] == 0.81
    assert {"entity": "amount", "value": 3000000} in visitor["entities"]
    bad = post(client, "/export/conversations", {"format": "xml"})
    assert bad.status_code == 400


# -- admin and audit ---------------------------------------------------------------------------------------------
def test_admin_pages_are_for_admins_only(seeded):
    staff = seeded.client("staff17")
    assert staff.get("/audit").status_code == 403 and staff.get("/users").status_code == 403
    assert post(staff, "/users/create", {"username": "x", "password": "long-enough-1"}).status_code == 403
    admin = seeded.client("boss", admin=True)
    assert admin.get("/users").status_code == 200
    resp = post(admin, "/users/create", {"username": "newbie", "password": "long-enough-1"}, page="/users")
    assert resp.status_code == 303
    assert login(seeded.client(), "newbie", "long-enough-1").status_code == 303
    post(admin, "/users/create", {"username": "short", "password": "short"}, page="/users")
    assert "short" not in [u.username for u in auth.list_users(seeded.db)]
    boss = next(u for u in auth.list_users(seeded.db) if u.username == "boss")
    post(admin, "/users/admin", {"user_id": str(boss.id), "value": "0"}, page="/users")
    assert next(u for u in auth.list_users(seeded.db) if u.username == "boss").is_admin  # never demotes itself
    newbie = next(u for u in auth.list_users(seeded.db) if u.username == "newbie")
    post(admin, "/users/active", {"user_id": str(newbie.id), "value": "0"}, page="/users")
    assert login(seeded.client(), "newbie", "long-enough-1").status_code == 401


def test_audit_log_records_who_viewed_searched_and_exported(seeded):
    staff = seeded.client("staff18")
    staff.get("/conversations/personal")
    staff.get("/conversations", query_string={"q": "断られ"})
    post(staff, "/export/conversations", {"format": "csv", "distress": "1"})
    admin = seeded.client("auditor", admin=True)
    html = admin.get("/audit", query_string={"user": "staff18"}).get_data(as_text=True)
    assert "会話の閲覧" in html and "personal" in html
    assert "検索" in html and "断られ" in html
    assert "会話の書き出し" in html and "distress" in html
    assert "ログイン" in html


def test_dashboard_charts(seeded):
    client = seeded.client("staff19")
    html = client.get("/dashboard", query_string={"days": 30}).get_data(as_text=True)
    cards = dict(re.findall(r'<div class="label">([^<]+)</div><div class="value">([^<]+)</div>', html))
    assert cards["会話"] == "8" and cards["担当者希望"] == "2" and cards["要配慮（つらさ）"] == "1"
    assert cards["至急（訴訟・差押え）"] == "1"
    assert html.count("<svg") == 4                      # per day, intents, recommendations, channels
    assert "任意整理を断られた" in html and "個人再生" in html and "LINE" in html
    week = client.get("/dashboard", query_string={"days": 7}).get_data(as_text=True)
    assert dict(re.findall(r'<div class="label">([^<]+)</div><div class="value">([^<]+)</div>', week))["会話"] == "7"
