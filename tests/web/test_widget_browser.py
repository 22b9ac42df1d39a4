"""The web chat in a real headless Chromium against the real Rasa server (Stack).

The bot's wording comes from a model that changes with the training data, so these tests
check behaviour a visitor notices (an answer arrives, in Japanese; buttons work; history
and the outbox survive reloads and lost connections), never exact answer texts.
"""

from __future__ import annotations

import functools
import http.server
import re
import threading

import pytest

from tests.web.chat import Chat, is_japanese

pytestmark = pytest.mark.slow

# Messages likely to get an answer with quick-reply buttons; the first that does is used.
QUICK_REPLY_PROMPTS = ["こんにちは", "自分に合う債務整理を診断したい", "債務整理とは何ですか", "何ができますか"]


def first_answer(stack, page) -> tuple[Chat, list[str], float]:
    chat = Chat(page, stack.url).load().open()
    chat.wait_online()
    answers = chat.ask("こんにちは")
    return chat, answers, chat.first_latency


def test_japanese_question_gets_a_japanese_answer(web_stack, new_page, artifacts):
    page = new_page()
    chat, answers, seconds = first_answer(web_stack, page)
    print(f"\ntime from Enter to the first bot message in the browser: {seconds:.2f} s")

    assert chat.user_texts() == ["こんにちは"]
    assert answers and all(a.strip() for a in answers)
    assert any(is_japanese(a) for a in answers), answers
    # each message carries a time stamp
    stamps = page.locator(".dc-msg time").all_inner_texts()
    assert len(stamps) == 1 + len(answers) and all(re.fullmatch(r"\d{2}:\d{2}", s) for s in stamps), stamps
    # screen readers are told about the bot's messages (aria-live region), not the visitor's
    live = page.locator(".dc-live")
    assert live.get_attribute("aria-live") == "polite"
    assert answers[-1] in live.inner_text()
    assert "こんにちは\n" not in live.inner_text().replace("アシスタント：", "")
    # the typing indicator is gone once the answer is there
    assert page.locator(".dc-typing").is_hidden()
    # the message reached Rasa through the socket.io channel, under the widget's session id
    events = web_stack.user_events(chat.session_id)
    assert [e["text"] for e in events] == ["こんにちは"]
    assert events[0]["input_channel"] == "socketio"
    # the browser upgraded from long-polling to a WebSocket through the web service's proxy
    page.wait_for_function("window.DebtChat.socket.io.engine.transport.name === 'websocket'", timeout=15000)
    assert not page.errors, page.errors
    page.wait_for_timeout(300)
    page.screenshot(path=str(artifacts / "desktop-1280x800-answer.png"))


def test_enter_while_ime_composes_sends_nothing(web_stack, new_page):
    page = new_page()
    chat = Chat(page, web_stack.url).load().open()
    chat.wait_online()
    box = page.locator(".dc-input")
    box.focus()

    # 1. A real IME composition in Chromium (CDP), then Enter to commit the conversion.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Input.imeSetComposition", {"text": "さいむせいり", "selectionStart": 6, "selectionEnd": 6})
    assert page.evaluate("document.querySelector('#debtchat-root').shadowRoot.activeElement.value") == "さいむせいり"
    page.keyboard.press("Enter")
    cdp.send("Input.insertText", {"text": "債務整理"})  # the IME commits the converted text
    page.wait_for_timeout(500)
    assert chat.user_texts() == []
    assert "債務整理" in box.input_value()

    # 2. The keydown a browser reports for a key the IME consumed (Safari: keyCode 229 and
    #    isComposing already false after compositionend), and one with isComposing true.
    for init in ({"key": "Enter", "isComposing": True}, {"key": "Enter"}):
        page.evaluate(
            """init => {
                const box = document.querySelector('#debtchat-root').shadowRoot.querySelector('.dc-input');
                const ev = new KeyboardEvent('keydown', Object.assign({bubbles: true, cancelable: true}, init));
                if (!init.isComposing) Object.defineProperty(ev, 'keyCode', {get: () => 229});
                box.dispatchEvent(ev);
            }""",
            init,
        )
    page.wait_for_timeout(500)
    assert chat.user_texts() == []

    # 3. Shift+Enter is a new line; plain Enter then sends both lines as one message.
    box.fill("任意整理について")
    box.press("Shift+Enter")
    page.keyboard.type("教えてください")
    assert box.input_value() == "任意整理について\n教えてください"
    assert chat.user_texts() == []
    before = len(chat.bot_texts())
    box.press("Enter")
    chat.wait_bot_after(before)
    assert chat.user_texts() == ["任意整理について\n教えてください"]
    assert box.input_value() == ""
    assert [e["text"] for e in web_stack.user_events(chat.session_id)] == ["任意整理について\n教えてください"]


def test_quick_reply_sends_payload_and_shows_title(web_stack, new_page, artifacts):
    page = new_page()
    chat = Chat(page, web_stack.url).load().open()
    chat.wait_online()
    for prompt in QUICK_REPLY_PROMPTS:
        chat.ask(prompt)
        if page.locator(".dc-qr:visible").count():
            break
    else:
        pytest.fail(f"no answer to {QUICK_REPLY_PROMPTS} came with quick-reply buttons")

    buttons = page.locator(".dc-qr:visible")
    titles = buttons.all_inner_texts()
    assert all(t.strip() and is_japanese(t) for t in titles), titles
    # only the latest bot message offers buttons
    assert page.locator(".dc-quick:visible").count() == 1
    page.screenshot(path=str(artifacts / "desktop-1280x800-quick-replies.png"))

    sent_before = len(web_stack.user_events(chat.session_id))
    bots_before = len(chat.bot_texts())
    title = titles[0]
    offering = page.locator(".dc-msg", has=page.locator(".dc-qr:visible"))
    entry = offering.get_attribute("data-entry")
    buttons.first.click()
    answers = chat.wait_bot_after(bots_before)

    assert chat.user_texts()[-1] == title               # the visitor sees the title …
    assert answers and any(is_japanese(a) for a in answers)
    events = web_stack.user_events(chat.session_id)
    assert len(events) == sent_before + 1
    assert events[-1]["text"].startswith("/") and events[-1]["text"] != title   # … Rasa gets the payload
    assert events[-1]["parse_data"]["intent"]["name"] == events[-1]["text"][1:].split("{")[0]
    # the answered buttons are gone (new ones may come with the new answer)
    assert page.locator(f'[data-entry="{entry}"] .dc-quick').is_hidden()
    assert page.locator(".dc-quick:visible").count() <= 1


def test_start_over_link_and_notice(web_stack, new_page):
    page = new_page()
    chat = Chat(page, web_stack.url).load().open()
    chat.wait_online()
    notice = page.locator(".dc-notice").inner_text()
    assert "一般的な情報" in notice and "法律相談ではありません" in notice

    before = len(chat.bot_texts())
    page.locator(".dc-startover").click()
    answers = chat.wait_bot_after(before)
    assert chat.user_texts() == ["最初からやり直す"]
    assert answers and any(is_japanese(a) for a in answers)
    events = web_stack.user_events(chat.session_id)
    assert events[-1]["text"] == "/start_over"
    assert events[-1]["parse_data"]["intent"]["name"] == "start_over"


def test_reload_shows_history_and_continues_the_conversation(web_stack, new_page):
    page = new_page()
    chat, answers, _ = first_answer(web_stack, page)
    session = chat.session_id
    shown_before = page.locator(".dc-msg .dc-text").all_inner_texts()

    page.reload()
    chat.page.locator(".dc-panel").wait_for(state="visible")   # it was open: it stays open
    assert page.locator(".dc-msg .dc-text").all_inner_texts() == shown_before
    assert chat.session_id == session
    chat.wait_online()
    assert chat.session_id == session                           # Rasa kept the same conversation

    more = chat.ask("過払い金について知りたい")
    assert more and any(is_japanese(a) for a in more)
    texts = [e["text"] for e in web_stack.user_events(session)]
    assert texts == ["こんにちは", "過払い金について知りたい"]


def test_lost_connection_reconnects_and_delivers_what_was_typed_offline(web_stack, new_page, artifacts):
    page = new_page()
    chat, _, _ = first_answer(web_stack, page)
    session = chat.session_id

    web_stack.stop_web()          # the socket.io connection dies with the web service
    try:
        page.locator('.dc[data-connection="offline"]').wait_for(state="attached", timeout=30000)
        assert "再接続" in page.locator(".dc-status").inner_text()
        bots_before = len(chat.bot_texts())
        chat.type_and_enter("借金を減らす方法はありますか")
        queued = page.locator(".dc-user.dc-queued")
        queued.wait_for(state="visible")
        assert "未送信" in queued.inner_text()
        page.screenshot(path=str(artifacts / "desktop-1280x800-offline.png"))
        page.wait_for_timeout(1500)
        assert len(chat.bot_texts()) == bots_before
        assert [e["text"] for e in web_stack.user_events(session)] == ["こんにちは"]
    finally:
        web_stack.start_web()

    chat.wait_online(timeout=30)
    answers = chat.wait_bot_after(bots_before)
    assert answers and any(is_japanese(a) for a in answers)
    assert page.locator(".dc-user.dc-queued").count() == 0
    assert chat.session_id == session
    # delivered once, in the same conversation
    assert [e["text"] for e in web_stack.user_events(session)] == ["こんにちは", "借金を減らす方法はありますか"]


def test_message_typed_before_a_reload_while_offline_is_not_lost(web_stack, new_page):
    page = new_page()
    chat, _, _ = first_answer(web_stack, page)
    session = chat.session_id
    web_stack.stop_web()
    try:
        page.locator('.dc[data-connection="offline"]').wait_for(state="attached", timeout=30000)
        chat.type_and_enter("自己破産について教えて")
        page.locator(".dc-user.dc-queued").wait_for(state="visible")
    finally:
        web_stack.start_web()
    bots_before = len(chat.bot_texts())
    page.reload()                 # the outbox is in localStorage and goes out after the reload
    answers = chat.wait_bot_after(bots_before)
    assert answers and any(is_japanese(a) for a in answers)
    assert [e["text"] for e in web_stack.user_events(session)] == ["こんにちは", "自己破産について教えて"]


def test_bot_messages_render_links_and_never_html(web_stack, new_page):
    """What the widget makes of bot messages: fed through its own bot_uttered handler, so
    the cases do not depend on what the model answers today."""
    page = new_page()
    chat = Chat(page, web_stack.url).load().open()
    chat.wait_online()
    page.evaluate("""() => {
        const deliver = window.DebtChat.socket.listeners('bot_uttered')[0];
        deliver({text: '詳しくは[手続きの流れ](https://example.jp/flow)と https://example.jp/faq をご覧ください。'});
        deliver({text: 'いのちの電話 0570-783-556 におかけください。'});
        deliver({text: '<img src=x onerror="window.hacked=1"><b>太字ではありません</b>'});
        deliver({text: 'どちらにしますか？', quick_replies: [
            {content_type: 'text', title: 'はい', payload: '/affirm'},
            {content_type: 'text', title: 'いいえ', payload: '/deny'}]});
    }""")
    links = page.locator(".dc-bot a")
    assert links.evaluate_all("as => as.map(a => [a.textContent, a.getAttribute('href')])") == [
        ["手続きの流れ", "https://example.jp/flow"],
        ["https://example.jp/faq", "https://example.jp/faq"],
        ["0570-783-556", "tel:0570783556"],
    ]
    assert links.first.get_attribute("rel") == "noopener noreferrer"
    assert links.first.get_attribute("target") == "_blank"
    assert chat.bot_texts()[2] == '<img src=x onerror="window.hacked=1"><b>太字ではありません</b>'
    assert page.locator(".dc-bot img, .dc-bot b").count() == 0
    assert page.evaluate("window.hacked") is None
    assert page.locator(".dc-qr:visible").all_inner_texts() == ["はい", "いいえ"]
    # each new bot message is announced once
    assert page.locator(".dc-live p").count() == 4


def test_embeds_in_another_site_with_one_script_tag(web_stack, new_page, tmp_path):
    """An office page on another origin: a config object and one <script> tag; the widget
    takes its files from the web service and talks to it across origins (CORS)."""
    (tmp_path / "index.html").write_text(f"""<!doctype html><html lang="ja"><head><meta charset="utf-8">
<title>別サイト</title><style>button {{ background: lime !important; font-size: 40px !important; }}</style>
</head><body><h1>別の事務所サイト</h1>
<script>window.DebtChatConfig = {{title: "テスト事務所チャット", colors: {{primary: "#8b0000"}}}};</script>
<script src="{web_stack.url}widget.js" defer></script></body></html>""", encoding="utf-8")
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        page = new_page()
        chat = Chat(page, f"http://127.0.0.1:{server.server_address[1]}/").load().open()
        assert page.locator(".dc-title").inner_text() == "テスト事務所チャット"
        # the config's colour is used; the page's own CSS does not reach into the widget
        assert page.locator(".dc-header").evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(139, 0, 0)"
        assert page.locator(".dc-send").evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(139, 0, 0)"
        chat.wait_online()
        answers = chat.ask("こんにちは")
        assert answers and any(is_japanese(a) for a in answers)
        assert page.evaluate("typeof window.io") == "undefined"   # no globals left behind
        assert not page.errors, page.errors
    finally:
        server.shutdown()
        server.server_close()


def test_keyboard_only(web_stack, new_page):
    page = new_page()
    chat = Chat(page, web_stack.url).load()
    active = "document.getElementById('debtchat-root').shadowRoot.activeElement?.className"
    # Tab from the top of the page until the launcher has focus
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == "debtchat-root" \
                and page.evaluate(active) == "dc-launcher":
            break
    else:
        pytest.fail("the launcher cannot be reached with Tab")
    page.keyboard.press("Enter")
    page.locator(".dc-panel").wait_for(state="visible")
    assert page.evaluate(active) == "dc-input"           # focus goes to the message box
    assert page.locator(".dc-launcher").get_attribute("aria-expanded") == "true"
    chat.wait_online()

    # type, Tab to the send button, Enter
    before = len(chat.bot_texts())
    page.keyboard.type("こんにちは")
    page.keyboard.press("Tab")
    assert page.evaluate(active) == "dc-send"
    page.keyboard.press("Enter")
    chat.wait_bot_after(before)
    assert chat.user_texts() == ["こんにちは"]
    assert page.evaluate(active) == "dc-input"           # back in the box for the next message

    # a quick reply, from the box with Shift+Tab
    if page.locator(".dc-qr:visible").count():
        page.keyboard.press("Shift+Tab")
        assert page.evaluate(active) == "dc-qr"
        title = page.evaluate("document.getElementById('debtchat-root').shadowRoot.activeElement.textContent")
        before = len(chat.bot_texts())
        page.keyboard.press("Enter")
        chat.wait_bot_after(before)
        assert chat.user_texts()[-1] == title

    # Escape closes the chat and gives focus back to the launcher
    page.locator(".dc-input").focus()
    page.keyboard.press("Escape")
    assert page.locator(".dc-panel").is_hidden()
    assert page.evaluate(active) == "dc-launcher"
    assert page.locator(".dc-launcher").get_attribute("aria-expanded") == "false"


def test_phone_layout(web_stack, new_page, artifacts):
    page = new_page(375, 740, is_mobile=True, has_touch=True, device_scale_factor=2)
    chat = Chat(page, web_stack.url).load()
    page.screenshot(path=str(artifacts / "phone-375x740-page.png"))
    chat.open()
    chat.wait_online()
    page.screenshot(path=str(artifacts / "phone-375x740-empty.png"))
    chat.ask("こんにちは")

    panel = page.locator(".dc-panel").bounding_box()
    assert panel["x"] == 0 and panel["width"] == 375 and panel["height"] >= 700, panel
    for sel in (".dc-input", ".dc-send", ".dc-close", ".dc-startover"):
        box = page.locator(sel).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 375, (sel, box)
        assert box["y"] >= 0 and box["y"] + box["height"] <= 740, (sel, box)
    # nothing is wider than the screen, and text never needs sideways scrolling
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert page.evaluate("(() => { const l = document.getElementById('debtchat-root').shadowRoot"
                         ".querySelector('.dc-log'); return l.scrollWidth <= l.clientWidth; })()")
    # buttons are big enough to tap
    for sel in (".dc-send", ".dc-close"):
        box = page.locator(sel).bounding_box()
        assert box["height"] >= 40 and box["width"] >= 40, (sel, box)
    if page.locator(".dc-qr:visible").count():
        assert page.locator(".dc-qr:visible").first.bounding_box()["height"] >= 40
    page.wait_for_timeout(300)
    page.screenshot(path=str(artifacts / "phone-375x740-chat.png"))


def test_booking_in_the_widget_shows_the_summary(web_stack, new_page, artifacts):
    """Issue 9: a visitor books by buttons and typing; the widget shows the summary with the
    reference number, and the transcript Rasa stored holds neither the address nor the name."""
    page = new_page()
    chat = Chat(page, web_stack.url).load().open()
    chat.wait_online()

    def press(title):
        before = len(chat.bot_texts())
        page.locator(".dc-qr:visible", has_text=title).first.click()
        return chat.wait_bot_after(before)

    chat.ask("相談の予約をしたい")
    titles = page.locator(".dc-qr:visible").all_inner_texts()
    assert "メール" in titles and "このLINEで" not in titles      # LINE only on LINE
    press("メール")
    chat.ask("sakura.widget@example.jp")
    press("平日 13〜17時")
    summary = "\n".join(chat.ask("さくら"))
    assert "sakura.widget@example.jp" in summary and "さくら 様" in summary
    done = "\n".join(press("同意して申し込む"))
    assert re.search(r"受付番号：B[A-Z2-9]{7}", done), done
    assert "平日 13〜17時" in done and "メールでご連絡します" in done
    page.screenshot(path=str(artifacts / "desktop-1280x800-booking.png"))
    stored = " ".join(e["text"] for e in web_stack.user_events(chat.session_id))
    assert "sakura.widget" not in stored and "さくら" not in stored
    assert not page.errors, page.errors
