"""The LINE channel end to end: real Rasa + action server started by runner.stack with the
LINE variables set, the fake LINE Messaging API (tests/support/fake_line.py) on loopback,
signed webhooks over real HTTP. Each test asserts exactly which API calls LINE received
(paths, reply tokens, texts) and what reached the tracker store (the stack's SQLite file).
"""

from __future__ import annotations

import json
import re
import urllib.request
from statistics import median

import pytest

from tests.support.fake_line import PUSH, REPLY, limit_errors, line_len
from tests.support.line import (
    ACCESS_TOKEN,
    base_event,
    new_event_id,
    new_token,
    new_user,
    pseudonym_of,
    sign,
    text_event,
)

pytestmark = pytest.mark.slow
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
FIGURES: dict = {}


def assert_within_line_limits(call):
    assert 1 <= len(call.messages) <= 5
    assert all(line_len(t) <= 5000 for t in call.texts)
    items = call.quick_reply
    assert len(items) <= 13
    assert all(line_len(i["action"]["label"]) <= 20 for i in items)
    assert limit_errors(call.messages) == []
    assert call.status == 200


def sync_on(webhook, fake, user, mark):
    """Send a text for ``user`` and wait for its reply: this user's earlier events are
    then done (one user's events are handled in order)."""
    token = new_token()
    assert webhook.post([text_event(user, token, "ありがとうございます")])[0] == 200
    fake.wait_reply(token, since=mark)
    return token


# -- the question from the issue ---------------------------------------------------------
def test_text_question_is_answered_by_reply_in_japanese_with_quick_replies(webhook, fake_line, tracker_db):
    user, token = new_user(), new_token()
    mark = fake_line.mark()
    status, elapsed, sent = webhook.post([text_event(user, token, "過払い金ありますか")])
    assert status == 200
    call = fake_line.wait_reply(token, since=mark)
    FIGURES.setdefault("webhook_answer_s", []).append(elapsed)
    FIGURES.setdefault("reply_call_after_s", []).append(call.at - sent)

    assert [(c.path, c.reply_token) for c in fake_line.since(mark)] == [(REPLY, token)]
    assert call.headers["Authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert_within_line_limits(call)
    answer = "\n".join(call.texts)
    assert JAPANESE.search(answer) and "まだ用意できていません" not in answer
    items = call.quick_reply
    assert items, "the answer carries no quick replies"
    for item in items:
        action = item["action"]
        assert action["type"] in ("postback", "message")
        if action["type"] == "postback":
            assert action["data"].startswith("/") and action["displayText"]

    # the transcript knows the visitor only by pseudonym
    sender = pseudonym_of(user)
    (user_event,) = tracker_db.user_events(sender)
    assert user_event["text"] == "過払い金ありますか"
    assert user_event["input_channel"] == "line"
    assert user not in json.dumps(user_event)
    assert user.encode() not in tracker_db.path.read_bytes()


def test_quick_reply_choice_comes_back_as_postback(webhook, fake_line, tracker_db):
    user, first, second = new_user(), new_token(), new_token()
    mark = fake_line.mark()
    webhook.post([text_event(user, first, "過払い金ありますか")])
    item = fake_line.wait_reply(first, since=mark).quick_reply[0]["action"]
    assert item["type"] == "postback"
    ev = base_event("postback", user, second)
    ev["postback"] = {"data": item["data"]}
    assert webhook.post([ev])[0] == 200
    call = fake_line.wait_reply(second, since=mark)
    assert_within_line_limits(call)
    assert [(c.path, c.reply_token) for c in fake_line.since(mark)] == [(REPLY, first), (REPLY, second)]
    assert [e["text"] for e in tracker_db.user_events(pseudonym_of(user))] == ["過払い金ありますか", item["data"]]


def test_postback_payload_goes_to_the_bot_as_the_message(webhook, fake_line, tracker_db):
    user, token = new_user(), new_token()
    mark = fake_line.mark()
    ev = base_event("postback", user, token)
    ev["postback"] = {"data": '/ask_cost{"procedure":"bankruptcy"}'}
    assert webhook.post([ev])[0] == 200
    call = fake_line.wait_reply(token, since=mark)
    assert_within_line_limits(call)
    assert JAPANESE.search("".join(call.texts))
    assert [(c.path, c.reply_token) for c in fake_line.since(mark)] == [(REPLY, token)]
    (user_event,) = tracker_db.user_events(pseudonym_of(user))
    assert user_event["text"] == '/ask_cost{"procedure":"bankruptcy"}'
    assert user_event["parse_data"]["intent"]["name"] == "ask_cost"
    assert [(e["entity"], e["value"]) for e in user_event["parse_data"]["entities"]] == [("procedure", "bankruptcy")]


def test_sticker_gets_a_request_to_type_and_never_reaches_the_bot(webhook, fake_line, tracker_db):
    user, token = new_user(), new_token()
    mark = fake_line.mark()
    ev = base_event("message", user, token)
    ev["message"] = {"id": "1", "type": "sticker", "packageId": "446", "stickerId": "1988",
                     "stickerResourceType": "STATIC"}
    assert webhook.post([ev])[0] == 200
    call = fake_line.wait_reply(token, since=mark)
    assert call.texts == ["申し訳ありません。スタンプは読み取ることができません。",
                          "お手数ですが、ご質問を文字で入力してください。"]
    assert [(c.path, c.reply_token) for c in fake_line.since(mark)] == [(REPLY, token)]
    assert tracker_db.rows(pseudonym_of(user)) == []


def test_follow_is_greeted_and_unfollow_is_ignored(webhook, fake_line, tracker_db):
    user, token = new_user(), new_token()
    mark = fake_line.mark()
    assert webhook.post([base_event("follow", user, token)])[0] == 200
    call = fake_line.wait_reply(token, since=mark)
    assert_within_line_limits(call)
    assert JAPANESE.search("".join(call.texts))
    greet = tracker_db.user_events(pseudonym_of(user))
    assert [(e["text"], e["parse_data"]["intent"]["name"]) for e in greet] == [("/greet", "greet")]

    assert webhook.post([base_event("unfollow", user)])[0] == 200  # unfollow has no reply token
    last = sync_on(webhook, fake_line, user, mark)
    assert [(c.path, c.reply_token) for c in fake_line.since(mark)] == [(REPLY, token), (REPLY, last)]
    assert [e["text"] for e in tracker_db.user_events(pseudonym_of(user))] == ["/greet", "ありがとうございます"]


def test_redelivered_event_is_processed_once(webhook, fake_line, tracker_db):
    user, first, again = new_user(), new_token(), new_token()
    event_id = new_event_id()
    mark = fake_line.mark()
    webhook.post([text_event(user, first, "任意整理について教えて", event_id=event_id)])
    fake_line.wait_reply(first, since=mark)
    redelivered = text_event(user, again, "任意整理について教えて", event_id=event_id, redelivery=True)
    assert webhook.post([redelivered])[0] == 200
    last = sync_on(webhook, fake_line, user, mark)
    assert [(c.path, c.reply_token) for c in fake_line.since(mark)] == [(REPLY, first), (REPLY, last)]
    assert [e["text"] for e in tracker_db.user_events(pseudonym_of(user))] == [
        "任意整理について教えて", "ありがとうございます"]


def test_fifty_events_in_one_body_all_answered_in_order_per_user(webhook, fake_line, tracker_db):
    questions = ["こんにちは", "任意整理とは何ですか", "費用はいくらですか", "どのくらいの期間がかかりますか",
                 "ありがとうございます"]
    users = [new_user() for _ in range(10)]
    tokens = {u: [new_token() for _ in questions] for u in users}
    # interleaved as LINE batches them: user 0 q0, user 1 q0, ..., user 0 q1, ...
    events = [text_event(u, tokens[u][i], q) for i, q in enumerate(questions) for u in users]
    assert len(events) == 50
    mark = fake_line.mark()
    status, elapsed, sent = webhook.post(events)
    assert status == 200
    FIGURES["fifty_webhook_answer_s"] = elapsed
    all_tokens = {t for ts in tokens.values() for t in ts}
    calls = fake_line.wait_for(
        lambda cs: {c.reply_token for c in cs if c.status == 200} >= all_tokens,
        timeout=60, since=mark, what="50 replies")
    FIGURES["fifty_all_replied_s"] = max(c.at for c in calls) - sent
    assert sorted(c.reply_token for c in calls) == sorted(all_tokens)  # exactly one reply each
    assert all(c.path == REPLY for c in calls)
    for c in calls:
        assert_within_line_limits(c)
    order = [c.reply_token for c in calls]
    for u in users:
        assert [t for t in order if t in tokens[u]] == tokens[u]
        assert [e["text"] for e in tracker_db.user_events(pseudonym_of(u))] == questions
    assert elapsed < 3.0  # answered before processing, not after 50 bot turns


def test_reply_token_too_old_is_answered_by_push(webhook, fake_line):
    user, token = new_user(), new_token()
    mark = fake_line.mark()
    assert webhook.post([text_event(user, token, "こんにちは", age_s=70)])[0] == 200
    calls = fake_line.wait_for(lambda cs: any(c.path == PUSH for c in cs), since=mark, what="a push")
    (push,) = calls
    assert (push.path, push.to, push.status) == (PUSH, user, 200)
    assert push.headers.get("X-Line-Retry-Key")
    assert_within_line_limits(push)
    assert JAPANESE.search("".join(push.texts))


def test_reply_token_rejected_by_line_falls_back_to_push(webhook, fake_line):
    user, token = new_user(), "expired-" + new_token()
    mark = fake_line.mark()
    assert webhook.post([text_event(user, token, "こんにちは")])[0] == 200
    calls = fake_line.wait_for(lambda cs: any(c.path == PUSH for c in cs), since=mark, what="a push")
    assert [(c.path, c.status, c.reply_token or c.to) for c in calls] == [(REPLY, 400, token), (PUSH, 200, user)]
    assert calls[0].messages == calls[1].messages


def test_rasa_api_can_push_to_a_line_user_by_pseudonym(line_stack, webhook, fake_line):
    user, token = new_user(), new_token()
    mark = fake_line.mark()
    webhook.post([text_event(user, token, "こんにちは")])
    fake_line.wait_reply(token, since=mark)
    url = (f"{line_stack.rasa_url}/conversations/{pseudonym_of(user)}/trigger_intent"
           f"?output_channel=line&token={line_stack.auth_token}")
    req = urllib.request.Request(url, data=json.dumps({"name": "greet"}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as resp:
        assert resp.status == 200
    calls = fake_line.wait_for(lambda cs: any(c.path == PUSH for c in cs), since=mark, what="a push")
    pushes = [c for c in calls if c.path == PUSH]
    assert pushes and all(c.to == user and c.status == 200 for c in pushes)


# -- requests that must not reach the bot ------------------------------------------------
def _never_processed(webhook, fake_line, tracker_db, user, token, mark):
    # a later valid webhook is answered, so the server was working all along
    sync_on(webhook, fake_line, new_user(), mark)
    assert token not in {c.reply_token for c in fake_line.since(mark)}
    assert pseudonym_of(user) not in tracker_db.senders()


def test_bad_signature_is_rejected_and_nothing_is_stored(webhook, fake_line, tracker_db):
    user, token = new_user(), new_token()
    mark = fake_line.mark()
    status, _, _ = webhook.post([text_event(user, token, "過払い金ありますか")], secret="not-the-secret")
    assert status in (401, 403)
    _never_processed(webhook, fake_line, tracker_db, user, token, mark)


def test_missing_signature_is_rejected(webhook, fake_line, tracker_db):
    user, token = new_user(), new_token()
    mark = fake_line.mark()
    body = json.dumps({"events": [text_event(user, token, "こんにちは")]}).encode()
    status, _, _ = webhook.post_raw(body, {})
    assert status in (401, 403)
    _never_processed(webhook, fake_line, tracker_db, user, token, mark)


def test_signature_for_another_body_is_rejected(webhook, fake_line, tracker_db):
    user, token = new_user(), new_token()
    mark = fake_line.mark()
    body = json.dumps({"events": [text_event(user, token, "こんにちは")]}).encode()
    status, _, _ = webhook.post_raw(body, {"X-Line-Signature": sign(body + b" ")})
    assert status in (401, 403)
    _never_processed(webhook, fake_line, tracker_db, user, token, mark)


def test_lower_case_signature_header_is_accepted(webhook, fake_line):
    user, token = new_user(), new_token()
    mark = fake_line.mark()
    assert webhook.post([text_event(user, token, "こんにちは")], header="x-line-signature")[0] == 200
    fake_line.wait_reply(token, since=mark)


def test_malformed_json_with_valid_signature_is_400(webhook, fake_line):
    body = b'{"events": [{"type": "message",'
    mark = fake_line.mark()
    status, _, _ = webhook.post_raw(body, {"X-Line-Signature": sign(body)})
    assert status == 400
    status, _, _ = webhook.post_raw(b'["not", "an", "object"]', {"X-Line-Signature": sign(b'["not", "an", "object"]')})
    assert status == 400
    sync_on(webhook, fake_line, new_user(), mark)
    assert len(fake_line.since(mark)) == 1  # only the sync reply


def test_verify_request_with_no_events_is_200_and_calls_nothing(webhook, fake_line):
    mark = fake_line.mark()
    body = json.dumps({"destination": "U" + "0" * 32, "events": []}).encode()
    status, data, elapsed = webhook.post_raw(body, {"X-Line-Signature": sign(body)})
    assert status == 200
    sync_on(webhook, fake_line, new_user(), mark)
    assert len(fake_line.since(mark)) == 1


def test_figures():
    """Prints the measured times (run with -s); the webhook answers well within LINE's limit."""
    if not FIGURES:
        pytest.skip("no figures collected in this run")
    print("\nLINE figures:", {k: (round(median(v), 3) if isinstance(v, list) else round(v, 3))
                              for k, v in FIGURES.items()})
    assert max(FIGURES.get("webhook_answer_s", [0])) < 1.0


# -- consultation booking on LINE (issue 9) ---------------------------------------------
def test_booking_on_line_offers_this_chat_and_confirms_with_a_summary(webhook, fake_line, line_stack):
    import sqlite3

    user = new_user()

    def say(text=None, postback=None):
        token, mark = new_token(), fake_line.mark()
        if postback is None:
            ev = text_event(user, token, text)
        else:
            ev = base_event("postback", user, token)
            ev["postback"] = {"data": postback}
        assert webhook.post([ev])[0] == 200
        call = fake_line.wait_reply(token, since=mark)
        assert_within_line_limits(call)
        return call

    def choose(call, label):
        for item in call.quick_reply:
            if item["action"]["label"] == label:
                return say(postback=item["action"]["data"])
        raise AssertionError(f"no {label!r} in {[i['action']['label'] for i in call.quick_reply]}")

    call = say("相談を予約したい")
    assert "このLINEで" in [i["action"]["label"] for i in call.quick_reply]
    call = choose(call, "このLINEで")
    call = choose(call, "土曜 10〜16時")
    call = say("はなこです")
    assert "このLINEのトーク" in "".join(call.texts) and "はなこ 様" in "".join(call.texts)
    call = choose(call, "同意して申し込む")
    text = "\n".join(call.texts)
    con = sqlite3.connect(line_stack.var_dir / "rasa.db")
    try:
        ((ref, method, phone, email, channel),) = con.execute(
            "SELECT ref, contact_method, phone, email, channel FROM console_bookings WHERE sender_id = ?",
            (pseudonym_of(user),)).fetchall()
    finally:
        con.close()
    assert (method, phone, email, channel) == ("line", None, None, "line")
    assert f"受付番号：{ref}" in text and "土曜 10〜16時" in text and "はなこ 様" in text
    assert "このLINEのトークでご連絡します" in text
    assert "予約を取り消す" in [i["action"]["label"] for i in call.quick_reply]
