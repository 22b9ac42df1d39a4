"""The web chat's server: demo page, widget files, and a socket.io proxy to Rasa.

    python -m web --port 8080          # RASA_URL (default http://127.0.0.1:5005)

Routes
  GET  /                 the demo page (a law office's page with the widget)
  GET  /widget.js        the widget: one <script> tag embeds it (see static/index.html)
  GET  /static/...       widget.css and the socket.io client (vendor/socket.io.min.js,
                         served from web/node_modules, installed by `make install`)
  *    /socket.io/       proxied to Rasa's socket.io channel (HTTP long-polling and
                         WebSocket)
  GET  /healthz          200 once the files the widget needs are present

Why a proxy rather than letting the browser talk to Rasa directly: Rasa listens on
127.0.0.1 only (runner/stack.py), so a browser on any other machine cannot reach it,
while this server is the address visitors already load the page from. Same origin also
means the demo page needs no CORS at all. For a widget embedded in another site (a
different origin) the proxy answers CORS itself for the origins in WEB_ALLOWED_ORIGINS
(comma-separated; default "*": the endpoint carries no cookies or credentials).
Rasa's own CORS would work too (engine.io runs with cors_allowed_origins=[] and
`rasa run --cors "*"` adds the headers), so `serverUrl` in the widget config may point
straight at a Rasa server that browsers can reach.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path
from typing import Iterable, Optional

from aiohttp import ClientSession, ClientTimeout, WSMsgType, web
from aiohttp.client_exceptions import ClientError

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
SOCKET_IO_CLIENT = HERE / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"
SOCKET_IO_PATH = "/socket.io/"

log = logging.getLogger("web")

RASA_URL = web.AppKey("rasa_url", str)
ALLOWED = web.AppKey("allowed_origins", object)      # set of origins, or None for any
CLIENT = web.AppKey("client", ClientSession)
SOCKETS = web.AppKey("websockets", set)

# Request headers passed on to Rasa; hop-by-hop and Host are not.
FORWARD_REQUEST_HEADERS = ("Content-Type", "Accept", "User-Agent", "Accept-Language")


def allowed_origins() -> Optional[set]:
    raw = os.environ.get("WEB_ALLOWED_ORIGINS", "*").strip()
    if raw in ("", "*"):
        return None  # any origin
    return {o.strip().rstrip("/") for o in raw.split(",") if o.strip()}


def cors_headers(request: web.Request) -> dict:
    origin = request.headers.get("Origin")
    if not origin:
        return {}
    allowed = request.app[ALLOWED]
    if allowed is not None and origin not in allowed:
        return {}
    return {
        "Access-Control-Allow-Origin": origin if allowed is not None else "*",
        "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
        "Access-Control-Allow-Headers": "Content-Type",
        "Access-Control-Max-Age": "600",
        "Vary": "Origin",
    }


def origin_refused(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    allowed = request.app[ALLOWED]
    if not origin or allowed is None:
        return False
    own = f"{request.scheme}://{request.host}"
    return origin != own and origin not in allowed


# -- pages and files -----------------------------------------------------------------
def static_file(path: Path, content_type: Optional[str] = None, cache: str = "no-cache"):
    async def handler(_: web.Request) -> web.StreamResponse:
        resp = web.FileResponse(path, headers={"Cache-Control": cache})
        if content_type:
            resp.content_type = content_type
        return resp

    return handler


async def healthz(request: web.Request) -> web.Response:
    missing = [p.name for p in (STATIC / "index.html", STATIC / "widget.js", SOCKET_IO_CLIENT)
               if not p.exists()]
    if missing:
        return web.json_response({"status": "error", "missing": missing}, status=503)
    return web.json_response({"status": "ok"})


# -- socket.io proxy -----------------------------------------------------------------
async def socketio_proxy(request: web.Request) -> web.StreamResponse:
    if request.method == "OPTIONS":
        return web.Response(status=204, headers=cors_headers(request))
    if origin_refused(request):
        return web.Response(status=403, text="origin not allowed")
    upstream = f"{request.app[RASA_URL]}{SOCKET_IO_PATH}?{request.query_string}"
    if request.headers.get("Upgrade", "").lower() == "websocket":
        return await proxy_websocket(request, upstream)
    return await proxy_polling(request, upstream)


async def proxy_polling(request: web.Request, upstream: str) -> web.Response:
    headers = {k: request.headers[k] for k in FORWARD_REQUEST_HEADERS if k in request.headers}
    body = await request.read() if request.can_read_body else None
    session: ClientSession = request.app[CLIENT]
    try:
        async with session.request(request.method, upstream, data=body, headers=headers) as resp:
            payload = await resp.read()
            out = {"Cache-Control": "no-store", **cors_headers(request)}
            return web.Response(status=resp.status, body=payload, headers=out,
                                content_type=resp.content_type,
                                charset=resp.charset)
    except (ClientError, asyncio.TimeoutError) as exc:
        log.warning("Rasa unreachable at %s: %s", request.app[RASA_URL], exc)
        return web.Response(status=502, text="chat server unavailable", headers=cors_headers(request))


async def proxy_websocket(request: web.Request, upstream: str) -> web.StreamResponse:
    session: ClientSession = request.app[CLIENT]
    ws_url = "ws" + upstream[len("http"):]
    try:
        # engine.io does its own ping/pong in text frames; aiohttp answers control frames.
        up = await session.ws_connect(ws_url, autoping=True, max_msg_size=0, timeout=10.0)
    except (ClientError, asyncio.TimeoutError) as exc:
        log.warning("Rasa WebSocket unreachable: %s", exc)
        return web.Response(status=502, text="chat server unavailable")
    down = web.WebSocketResponse(autoping=True, max_msg_size=0)
    await down.prepare(request)
    request.app[SOCKETS].add(down)

    async def pump(src, dst) -> None:
        async for msg in src:
            if msg.type == WSMsgType.TEXT:
                await dst.send_str(msg.data)
            elif msg.type == WSMsgType.BINARY:
                await dst.send_bytes(msg.data)
            else:  # CLOSE / ERROR
                break

    tasks = [asyncio.ensure_future(pump(down, up)), asyncio.ensure_future(pump(up, down))]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await up.close()
        await down.close()
        request.app[SOCKETS].discard(down)
    return down


# -- app -----------------------------------------------------------------------------
async def _client_session(app: web.Application):
    # engine.io long-polls: a GET may wait up to pingInterval (25 s) for data. Bodies are
    # decompressed here (engine.io gzips large polling answers), so what goes back to the
    # browser is plain, with no Content-Encoding to forward.
    app[CLIENT] = ClientSession(timeout=ClientTimeout(total=None, sock_connect=5, sock_read=90))
    yield
    await app[CLIENT].close()


async def _close_websockets(app: web.Application) -> None:
    # On SIGTERM, close open chats cleanly: browsers see the close at once and start
    # reconnecting, instead of waiting for a ping timeout.
    for ws in list(app[SOCKETS]):
        await ws.close(code=1001, message=b"server shutdown")


def make_app(rasa_url: str) -> web.Application:
    app = web.Application()
    app[RASA_URL] = rasa_url.rstrip("/")
    app[ALLOWED] = allowed_origins()
    app[SOCKETS] = set()
    app.cleanup_ctx.append(_client_session)
    app.on_shutdown.append(_close_websockets)
    r = app.router
    r.add_get("/", static_file(STATIC / "index.html", "text/html"))
    r.add_get("/favicon.ico", static_file(STATIC / "favicon.svg", "image/svg+xml"))
    r.add_get("/widget.js", static_file(STATIC / "widget.js", "text/javascript"))
    r.add_get("/static/vendor/socket.io.min.js",
              static_file(SOCKET_IO_CLIENT, "text/javascript", cache="public, max-age=86400"))
    r.add_static("/static/", STATIC)
    r.add_get("/healthz", healthz)
    r.add_route("*", SOCKET_IO_PATH, socketio_proxy)
    return app


def main(argv: Optional[Iterable[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m web", description="ウェブチャットのデモページとウィジェットを配信します")
    parser.add_argument("--port", type=int, default=int(os.environ.get("WEB_PORT", "8080")))
    parser.add_argument("--host", default=os.environ.get("WEB_HOST", "127.0.0.1"),
                        help="待ち受けるアドレス（既定 127.0.0.1。他の端末から開くには 0.0.0.0）")
    args = parser.parse_args(list(argv) if argv is not None else None)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if not SOCKET_IO_CLIENT.exists():
        print(f"socket.io クライアント {SOCKET_IO_CLIENT.relative_to(HERE.parent)} がありません。"
              "`make install` を実行してください。", file=sys.stderr)
        return 1
    rasa_url = os.environ.get("RASA_URL", "http://127.0.0.1:5005")
    web.run_app(make_app(rasa_url), host=args.host, port=args.port, access_log=None, shutdown_timeout=5,
                print=lambda *_: log.info("web chat on http://%s:%s/ (Rasa: %s)", args.host, args.port, rasa_url))
    return 0


if __name__ == "__main__":
    sys.exit(main())
