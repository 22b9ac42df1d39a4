"""A staff member in headless Chromium (Debian's /usr/bin/chromium driven by Playwright, as in
tests/web): log in, filter, search in Japanese, open a transcript, tag it, export with
masking — and a visitor's <script> or <img onerror> shows as text and never runs."""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

import pytest

from tests.staff_console import helpers
from tests.staff_console.helpers import action, bot, session_start, slot, user
from tests.support.browser import CHROMIUM_ARGS

pytestmark = pytest.mark.slow
ARTIFACTS = helpers.ROOT / "test-artifacts" / "staff_console"


@pytest.fixture
def console_server(tmp_path, domain):
    url = f"sqlite:///{tmp_path / 'rasa.db'}"
    store = helpers.tracker_store(url, domain)
    now = time.time() - 600
    helpers.save_events(store, "web-1", session_start(now) + [
        user("任意整理を断られました", "ask_settlement_refused", 0.93, ts=now + 1), action("action_start_flow", now + 2),
        bot("どの場合にあてはまりますか。", buttons=[{"title": "債権者に断られた", "payload": "/inform"}], ts=now + 3)])
    helpers.save_events(store, "line-1", session_start(now + 10) + [
        user("私は山田太郎です。電話は090-1234-5678です。借金は300万円です", "inform", 0.66, channel="line", ts=now + 11),
        user("人と話したい", "request_human", 0.9, channel="line", ts=now + 12), action("action_handoff", now + 13),
        slot("handoff_requested", True, now + 14)])
    helpers.save_events(store, "xss-1", session_start(now + 20) + [
        user("<script>alert(1)</script>", "out_of_scope", 0.3, ts=now + 21),
        user("<img src=x onerror=alert(1)>", "out_of_scope", 0.3, ts=now + 22)])
    store.engine.dispose()
    helpers.create_console_user(url, tmp_path, "staff", helpers.DEFAULT_PASSWORD)
    server = helpers.start_console(url, tmp_path)
    yield server
    server.stop()


def test_staff_member_in_a_browser(console_server, chromium_path, tmp_path):  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    base = console_server.url
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP",
                                  timezone_id="Asia/Tokyo", accept_downloads=True)
        page = ctx.new_page()
        dialogs, errors = [], []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.on("pageerror", lambda e: errors.append(str(e)))

        page.goto(base + "/conversations")
        expect(page).to_have_url(f"{base}/login?next=/conversations")
        page.fill("#username", "staff")
        page.fill("#password", "wrong-password")
        page.click("button[type=submit]")
        expect(page.locator(".flash-error")).to_contain_text("正しくありません")
        page.fill("#password", helpers.DEFAULT_PASSWORD)
        page.click("button[type=submit]")
        expect(page).to_have_url(f"{base}/conversations")
        # the background refresher folds the events within seconds
        for _ in range(40):
            if page.locator("table.list tbody tr").count() == 3:
                break
            page.wait_for_timeout(500)
            page.reload()
        expect(page.locator("table.list tbody tr")).to_have_count(3)
        page.screenshot(path=str(ARTIFACTS / "list.png"))

        # filter by channel
        page.select_option("#channel", "line")
        page.click("form.filters button[type=submit]")
        expect(page.locator("table.list tbody tr")).to_have_count(1)
        expect(page.locator("table.list")).to_contain_text("私は山田太郎です")
        page.get_by_role("link", name="条件をクリア").click()

        # search in Japanese, open the transcript
        page.fill("#q", "断られ")
        page.press("#q", "Enter")
        expect(page.locator("table.list tbody tr")).to_have_count(1)
        page.click("table.list td.msg a")
        expect(page.locator(".user-text").first).to_have_text("任意整理を断られました")
        expect(page.locator(".nlu").first).to_contain_text("ask_settlement_refused")
        expect(page.locator(".nlu").first).to_contain_text("0.93")
        expect(page.locator(".buttons")).to_contain_text("債権者に断られた")

        # tag it, then find it by the tag
        page.fill("#tag", "要フォロー")
        page.get_by_role("button", name="タグを付ける").click()
        expect(page.locator(".review .tags")).to_contain_text("要フォロー")
        page.screenshot(path=str(ARTIFACTS / "transcript.png"), full_page=True)
        page.goto(base + "/conversations")
        page.select_option("#tag", "要フォロー")
        page.click("form.filters button[type=submit]")
        expect(page.locator("table.list tbody tr")).to_have_count(1)
        expect(page.locator("table.list")).to_contain_text("任意整理を断られました")

        # what visitors wrote is text, never markup
        page.goto(base + "/conversations/xss-1")
        expect(page.locator(".user-text").nth(0)).to_have_text("<script>alert(1)</script>")
        expect(page.locator(".user-text").nth(1)).to_have_text("<img src=x onerror=alert(1)>")
        assert page.locator(".user-text img").count() == 0 and page.locator("main script").count() == 0
        page.wait_for_timeout(300)

        # the handoff queue, then mark handled
        page.goto(base + "/queue")
        expect(page.locator("table.list tbody tr")).to_have_count(1)
        expect(page.locator("table.list")).to_contain_text("人と話したい")
        page.get_by_role("button", name="対応済みにする").click()
        expect(page.locator(".empty")).to_contain_text("対応待ちの会話はありません")

        # export CSV of every conversation: personal data masked, amounts kept
        page.goto(base + "/conversations")
        with page.expect_download() as info:
            page.click("form.export button[value=csv]")
        path = Path(info.value.path())
        text = path.read_text(encoding="utf-8-sig")
        rows = list(csv.DictReader(io.StringIO(text)))
        assert len(rows) == 3
        assert "090-1234-5678" not in text and "山田" not in text and "line-1" not in text
        assert any("［電話番号］" in r["first_message"] and "300万円" in r["first_message"] for r in rows)

        page.get_by_role("button", name="ログアウト").click()
        expect(page).to_have_url(f"{base}/login")
        page.goto(base + "/queue")
        expect(page).to_have_url(f"{base}/login?next=/queue")
        assert dialogs == [], dialogs
        assert errors == [], errors
        browser.close()


@pytest.fixture
def booking_server(tmp_path, domain):
    """A console with one conversation that ended in a booking request (written through the
    store's own API, as the action server does)."""
    from booking import store as bookings
    from staff_console import migrate
    from staff_console.config import load_settings
    from staff_console.db import Database

    url = f"sqlite:///{tmp_path / 'rasa.db'}"
    store = helpers.tracker_store(url, domain)
    now = time.time() - 600
    helpers.save_events(store, "web-booker", session_start(now) + [
        user("相談を予約したい", "request_booking", 0.95, ts=now + 1),
        bot("ご連絡の方法を選んでください。", ts=now + 2)])
    store.engine.dispose()
    db = Database(load_settings(database_url=url, var_dir=tmp_path, secret_key="x" * 32, background_refresh=False))
    migrate.upgrade(db)
    bookings.update_draft(db, "web-booker", channel="socketio", contact_method="phone", phone="090-1234-5678",
                          name="山田太郎", preferred_time="平日 10時〜12時")
    row = bookings.submit(db, "web-booker", consent_text="連絡に同意します。",
                          summary={"primary": "voluntary_settlement", "debt_total": 2000000, "urgent": True})
    db.dispose()
    helpers.create_console_user(url, tmp_path, "staff", helpers.DEFAULT_PASSWORD)
    server = helpers.start_console(url, tmp_path)
    yield server, row["ref"]
    server.stop()


def test_staff_member_works_a_booking_request(booking_server, chromium_path):  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    server, ref = booking_server
    base = server.url
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP",
                                   timezone_id="Asia/Tokyo").new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(base + "/login")
        page.fill("#username", "staff")
        page.fill("#password", helpers.DEFAULT_PASSWORD)
        page.click("button[type=submit]")
        # the menu shows one new request; the queue shows who to call and when
        nav = page.get_by_role("navigation", name="メニュー").get_by_role("link", name="予約")
        expect(nav).to_contain_text("1")
        nav.click()
        expect(page).to_have_url(f"{base}/bookings")
        row = page.locator("table.bookings tbody tr")
        expect(row).to_have_count(1)
        expect(row).to_contain_text("山田太郎")
        expect(row).to_contain_text("090-1234-5678")
        expect(row).to_contain_text("至急")
        expect(row).to_contain_text("任意整理")
        expect(row).to_contain_text("200万円")
        page.screenshot(path=str(ARTIFACTS / "bookings.png"))

        page.get_by_role("link", name=ref).click()
        expect(page).to_have_url(f"{base}/bookings/{ref}")
        expect(page.locator(".consent-text")).to_have_text("連絡に同意します。")
        page.select_option("#status", label="連絡済み")
        page.get_by_role("button", name="変更する").click()
        expect(page.locator(".flash")).to_contain_text("「新規」から「連絡済み」に変更しました")
        expect(page.locator("aside .st-contacted")).to_have_text("連絡済み")
        page.screenshot(path=str(ARTIFACTS / "booking.png"), full_page=True)

        # the conversation is one click away, and links back
        page.get_by_role("link", name="会話を見る").click()
        expect(page.locator(".user-text").first).to_have_text("相談を予約したい")
        expect(page.locator(".booking-link")).to_contain_text(f"{ref}（連絡済み）")
        page.goto(base + "/bookings")
        expect(nav).not_to_contain_text("1")
        assert errors == [], errors
        browser.close()
