"""ASGI middleware of the widget's routes: a body-size cap, and CORS answered per tenant.

CORS: a preflight (``OPTIONS``) to a chat route is answered for any origin, because the real check happens
on the request itself (the origin must be on the allow-list of the tenant's widget key). A response then
carries ``Access-Control-Allow-Origin`` only when that check passed (the route sets
``request.state.cors_origin``).
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CHAT_PREFIX = "/api/v1/chat"
_ALLOW_HEADERS = "content-type, x-conversation-token, x-widget-key, authorization"


class ChatEdgeMiddleware:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith(CHAT_PREFIX):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        origin = headers.get("origin")
        if scope["method"] == "OPTIONS" and origin and "access-control-request-method" in headers:
            await _preflight(send, origin)
            return
        length = headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body_bytes:
            await _too_large(send, self.max_body_bytes)
            return

        received = 0

        async def capped_receive() -> Message:
            # A chunked body without Content-Length that grows past the cap is cut off: the app sees
            # the client go away instead of reading it all into memory.
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    return {"type": "http.disconnect"}
            return message

        async def cors_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                allowed = scope.get("state", {}).get("cors_origin")
                if allowed:
                    hdrs = list(message.get("headers", []))
                    hdrs.append((b"access-control-allow-origin", allowed.encode("latin-1")))
                    hdrs.append((b"vary", b"Origin"))
                    message = {**message, "headers": hdrs}
            await send(message)

        await self.app(scope, capped_receive, cors_send)


async def _preflight(send: Send, origin: str) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 204,
            "headers": [
                (b"access-control-allow-origin", origin.encode("latin-1")),
                (b"access-control-allow-methods", b"GET, POST"),
                (b"access-control-allow-headers", _ALLOW_HEADERS.encode()),
                (b"access-control-max-age", b"600"),
                (b"vary", b"Origin"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": b""})


async def _too_large(send: Send, limit: int) -> None:
    body = json.dumps(
        {"error_code": "payload_too_large", "detail": f"request body over {limit} bytes"}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
