"""ASGI middleware that refuses requests before the app spends anything on them.

``HeaderLimitMiddleware``: request headers over ``EDGE__MAX_HEADER_BYTES`` in all get 431
``headers_too_large``.

``BodyLimitMiddleware``: any request body over ``EDGE__MAX_BODY_BYTES`` gets 413 ``payload_too_large``
(declared by ``Content-Length``: refused unread; chunked: cut off at the limit). The upload route, which
streams to disk under its own limits, is exempt; the chat routes are capped tighter by
``ChatEdgeMiddleware`` first.

``RateLimitMiddleware``: 429 ``rate_limited`` with ``Retry-After`` (seconds) when a limit of
``RATE_LIMIT__*`` is exceeded, checked in this order:

- every request under ``/api/v1/chat``: per client IP (``ip:<addr>``; behind the TLS proxy the address is
  the one it forwards, see ``EDGE__TRUSTED_PROXIES``);
- a request carrying a widget key (``X-Widget-Key``, or ``widget_key`` in the JSON body of "start a
  conversation"): per widget key;
- a customer message (``POST .../conversations/<id>/messages[/stream]``): per conversation;
- ``POST /api/v1/auth/login``: per client IP (password guessing).
The counters are the container's limiter (Redis when configured, shared by replicas; else in-process).
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.edge.config import RateLimitConfig
from app.edge.ratelimit import Limiter, MemoryLimiter, RedisLimiter, Verdict

CHAT_PREFIX = "/api/v1/chat"
LOGIN_PATH = "/api/v1/auth/login"
START_PATH = "/api/v1/chat/conversations"
_TURN = re.compile(r"^/api/v1/chat/conversations/([^/]{1,64})/messages(?:/stream)?$")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


async def _error(send: Send, status: int, code: str, detail: str, headers: list[tuple[bytes, bytes]]) -> None:
    body = json.dumps({"error_code": code, "detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class HeaderLimitMiddleware:
    """431 ``headers_too_large`` when the request's headers together exceed ``EDGE__MAX_HEADER_BYTES``
    (whatever HTTP parser the server runs; the TLS proxy has the same limit in front)."""

    def __init__(self, app: ASGIApp, *, max_header_bytes: int) -> None:
        self.app = app
        self.max_header_bytes = max_header_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            size = sum(len(k) + len(v) + 4 for k, v in scope.get("headers", []))
            if size > self.max_header_bytes:
                detail = f"request headers over {self.max_header_bytes} bytes"
                await _error(send, 431, "headers_too_large", detail, [])
                return
        await self.app(scope, receive, send)


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int, exempt: list[str]) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.exempt = tuple(exempt)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] != "http" or path.startswith(self.exempt):
            await self.app(scope, receive, send)
            return
        limit = self.max_body_bytes
        length = _header(scope, b"content-length")
        if length is not None and length.strip().isdigit() and int(length) > limit:
            await _error(send, 413, "payload_too_large", f"request body over {limit} bytes", [])
            return
        received = 0
        over = False
        started = False

        async def capped_receive() -> Message:
            nonlocal received, over
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    over = True
                    return {"type": "http.disconnect"}
            return message

        async def checked_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                if over:  # the app saw the client "go away"; tell the client why instead
                    await _error(send, 413, "payload_too_large", f"request body over {limit} bytes", [])
                    return
            elif over:
                return
            await send(message)

        await self.app(scope, capped_receive, checked_send)
        if over and not started:
            await _error(send, 413, "payload_too_large", f"request body over {limit} bytes", [])


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, *, config: RateLimitConfig) -> None:
        self.app = app
        self.config = config

    def _limiter(self, scope: Scope) -> Limiter:
        app = scope.get("app")
        state = app.state if app is not None else None
        limiter: Limiter | None = getattr(state, "rate_limiter", None)
        if limiter is not None:
            return limiter
        container = getattr(state, "container", None)
        redis = getattr(container, "redis", None)
        if redis is not None:
            metrics = getattr(container, "metrics", None)
            counter = getattr(metrics, "rate_limit_errors", None)
            ns = container.settings.redis_namespace  # type: ignore[union-attr]
            limiter = RedisLimiter(
                redis, prefix=f"{ns}:ratelimit:", on_error=counter.inc if counter else None
            )
        else:
            limiter = MemoryLimiter(max_keys=self.config.max_keys)
        if state is not None:
            state.rate_limiter = limiter
        return limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        method = scope.get("method", "")
        chat = path.startswith(CHAT_PREFIX)
        login = path == LOGIN_PATH and method == "POST"
        if scope["type"] != "http" or not self.config.enabled or not (chat or login) or method == "OPTIONS":
            await self.app(scope, receive, send)
            return
        cfg = self.config
        client = scope.get("client")
        ip = client[0] if client else "unknown"
        checks: list[tuple[str, str, Any]] = []
        if login:
            checks.append(("login", f"login:{ip}", cfg.login))
        else:
            checks.append(("ip", f"ip:{ip}", cfg.ip))
            key = _header(scope, b"x-widget-key")
            if key is None and path == START_PATH and method == "POST":
                receive, key = await _peek_widget_key(receive)
            if key:
                checks.append(("widget_key", f"wk:{key[:64]}", cfg.widget_key))
            turn = _TURN.match(path)
            if turn and method == "POST":
                checks.append(("conversation", f"conv:{turn.group(1)}", cfg.conversation))
        limiter = self._limiter(scope)
        for scope_name, key_name, limit in checks:
            verdict: Verdict = await limiter.hit(key_name, limit)
            if not verdict.allowed:
                await self._refuse(scope, send, scope_name, verdict)
                return
        await self.app(scope, receive, send)

    async def _refuse(self, scope: Scope, send: Send, what: str, verdict: Verdict) -> None:
        app = scope.get("app")
        metrics = getattr(getattr(getattr(app, "state", None), "container", None), "metrics", None)
        counter = getattr(metrics, "rate_limited", None)
        if counter is not None:
            counter.labels(scope=what).inc()
        headers = [(b"retry-after", verdict.retry_after_header.encode())]
        origin = _header(scope, b"origin")
        if origin and str(scope.get("path", "")).startswith(CHAT_PREFIX):
            # Let the widget read the refusal (and when to retry); it says nothing about the tenant.
            headers += [
                (b"access-control-allow-origin", origin.encode("latin-1")),
                (b"access-control-expose-headers", b"Retry-After"),
                (b"vary", b"Origin"),
            ]
        await _error(
            send,
            429,
            "rate_limited",
            f"too many requests ({what}); retry in {verdict.retry_after_header} s",
            headers,
        )


async def _peek_widget_key(receive: Receive) -> tuple[Receive, str | None]:
    """Read the (small, already capped) JSON body of "start a conversation" for its ``widget_key``, and a
    ``receive`` that replays it to the app."""
    messages: list[Message] = []
    body = b""
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        body += message.get("body", b"")
        if not message.get("more_body", False):
            break
    key: str | None = None
    try:
        parsed = json.loads(body) if body else None
    except ValueError:
        parsed = None
    if isinstance(parsed, dict) and isinstance(parsed.get("widget_key"), str):
        key = parsed["widget_key"]

    async def replay() -> Message:
        if messages:
            return messages.pop(0)
        return await receive()

    return replay, key
