"""The web service without a browser: files, health, and the socket.io proxy in front
of a stand-in upstream (fast; the browser tests use the real Rasa)."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from aiohttp import WSMsgType, test_utils, web

from web.__main__ import SOCKET_IO_CLIENT, make_app

ROOT = Path(__file__).resolve().parents[2]


# -- a stand-in for Rasa's /socket.io/ endpoint ----------------------------------------
def upstream_app(seen: list) -> web.Application:
    async def handler(request: web.Request) -> web.StreamResponse:
        if request.headers.get("Upgrade", "").lower() == "websocket":
            ws = web.WebSocketResponse()
            await ws.prepare(request)
            seen.append(("ws", request.query_string))
            await ws.send_str("0{\"sid\":\"abc\"}")
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    await ws.send_str("echo:" + msg.data)
                elif msg.type == WSMsgType.BINARY:
                    await ws.send_bytes(b"echo:" + msg.data)
            return ws
        body = await request.read()
        seen.append((request.method, request.query_string, request.headers.get("Content-Type"), body))
        resp = web.Response(text="ok:" + body.decode(), content_type="text/plain", charset="utf-8")
        if "gzip" in request.headers.get("Accept-Encoding", ""):
            resp.enable_compression()   # as engine.io does for large polling answers
        return resp

    app = web.Application()
    app.router.add_route("*", "/socket.io/", handler)
    return app


@pytest.fixture
async def proxied():
    seen: list = []
    upstream = test_utils.TestServer(upstream_app(seen))
    await upstream.start_server()
    client = test_utils.TestClient(test_utils.TestServer(make_app(str(upstream.make_url("")).rstrip("/"))))
    await client.start_server()
    yield client, seen
    await client.close()
    await upstream.close()


async def test_pages_and_files(proxied):
    client, _ = proxied
    resp = await client.get("/")
    html = await resp.text()
    assert resp.status == 200 and resp.content_type == "text/html"
    assert '<html lang="ja">' in html and '<script src="/widget.js"' in html
    assert "window.DebtChatConfig" in html

    resp = await client.get("/widget.js")
    assert resp.status == 200 and resp.content_type == "text/javascript"
    js = await resp.text()
    assert "session_request" in js and "user_uttered" in js and "bot_uttered" in js

    resp = await client.get("/static/vendor/socket.io.min.js")
    assert resp.status == 200
    # socket.io-client 4 speaks engine.io protocol 4, as python-socketio 5 in Rasa does
    assert "Socket.IO v4." in (await resp.text())[:300]

    for path in ("/static/widget.css", "/favicon.ico", "/healthz"):
        assert (await client.get(path)).status == 200, path
    assert (await (await client.get("/healthz")).json())["status"] == "ok"


async def test_long_polling_is_passed_through(proxied):
    client, seen = proxied
    resp = await client.get("/socket.io/?EIO=4&transport=polling&t=abc")
    assert resp.status == 200 and await resp.text() == "ok:"
    resp = await client.post("/socket.io/?EIO=4&transport=polling&sid=xyz",
                             data='42["user_uttered",{"message":"こんにちは"}]'.encode(),
                             headers={"Content-Type": "text/plain;charset=UTF-8"})
    assert await resp.text() == 'ok:42["user_uttered",{"message":"こんにちは"}]'
    big = ("4" + "債務整理" * 2000).encode()
    resp = await client.post("/socket.io/?EIO=4&transport=polling&sid=xyz", data=big,
                             headers={"Accept-Encoding": "identity"})
    assert await resp.read() == b"ok:" + big and "Content-Encoding" not in resp.headers
    assert seen[0][:2] == ("GET", "EIO=4&transport=polling&t=abc")
    assert seen[1][:3] == ("POST", "EIO=4&transport=polling&sid=xyz", "text/plain;charset=UTF-8")


async def test_websocket_is_passed_through(proxied):
    client, seen = proxied
    ws = await client.ws_connect("/socket.io/?EIO=4&transport=websocket")
    assert (await ws.receive_str(timeout=5)).startswith("0{")
    await ws.send_str('42["session_request",{"session_id":null}]')
    assert await ws.receive_str(timeout=5) == 'echo:42["session_request",{"session_id":null}]'
    await ws.send_bytes(b"\x01\x02")
    assert await ws.receive_bytes(timeout=5) == b"echo:\x01\x02"
    await ws.close()
    assert seen == [("ws", "EIO=4&transport=websocket")]


async def test_cors_for_pages_on_other_sites(proxied):
    client, _ = proxied
    resp = await client.options("/socket.io/?EIO=4&transport=polling",
                                headers={"Origin": "https://office.example",
                                         "Access-Control-Request-Method": "POST"})
    assert resp.status == 204
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    resp = await client.get("/socket.io/?EIO=4&transport=polling", headers={"Origin": "https://office.example"})
    assert resp.headers["Access-Control-Allow-Origin"] == "*"


async def test_allowed_origins_restrict_the_proxy(monkeypatch):
    monkeypatch.setenv("WEB_ALLOWED_ORIGINS", "https://office.example")
    seen: list = []
    upstream = test_utils.TestServer(upstream_app(seen))
    await upstream.start_server()
    client = test_utils.TestClient(test_utils.TestServer(make_app(str(upstream.make_url("")).rstrip("/"))))
    await client.start_server()
    try:
        ok = await client.get("/socket.io/?EIO=4", headers={"Origin": "https://office.example"})
        assert ok.status == 200 and ok.headers["Access-Control-Allow-Origin"] == "https://office.example"
        bad = await client.get("/socket.io/?EIO=4", headers={"Origin": "https://evil.example"})
        assert bad.status == 403
        same = await client.get("/socket.io/?EIO=4")       # the demo page itself: no Origin on GET
        assert same.status == 200
    finally:
        await client.close()
        await upstream.close()


async def test_rasa_down_gives_502():
    client = test_utils.TestClient(test_utils.TestServer(make_app("http://127.0.0.1:9")))   # nothing listens on port 9
    await client.start_server()
    try:
        resp = await client.get("/socket.io/?EIO=4&transport=polling")
        assert resp.status == 502
        assert (await client.get("/healthz")).status == 200   # the page still loads and retries
    finally:
        await client.close()


@pytest.mark.slow
def test_command_line_runs_and_answers_healthz():
    from runner.stack import free_port

    port = free_port()
    env = {**os.environ, "RASA_URL": "http://127.0.0.1:9", "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "web", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        from tests.support.stack import wait_http_ok

        wait_http_ok(f"http://127.0.0.1:{port}/healthz", timeout=20)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as resp:
            assert "みなと総合法律事務所" in resp.read().decode()
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def test_socket_io_client_is_installed():
    assert SOCKET_IO_CLIENT.exists(), "run `make install` (npm ci --prefix web)"
