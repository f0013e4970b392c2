"""Request and conversation ids on every log line of a request, and ``X-Request-ID`` on every response.

The outermost middleware picks the request id (the caller's ``X-Request-ID`` when it is a short token,
so a proxy's id follows the request through; a fresh one otherwise) and the conversation id from the path
(``/conversations/<id>``), and keeps both in context variables for the request's lifetime. ``LogContext``
(a logging filter installed by ``app.runtime.logs.configure_logging``) copies them onto each record, so the JSON
log lines carry ``request_id`` and ``conversation_id`` without any call site passing them. Work started
from a request (an ingestion job, a stream) inherits them, because asyncio tasks copy the context.
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar

from starlette.types import Message, Receive, Scope, Send

from app.edge.asgi import HttpMiddleware

request_id: ContextVar[str | None] = ContextVar("kefu_request_id", default=None)
conversation_id: ContextVar[str | None] = ContextVar("kefu_conversation_id", default=None)

_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_CONVERSATION = re.compile(r"/conversations/([A-Za-z0-9_-]{1,64})(?:/|$)")


def conversation_in_path(path: str) -> str | None:
    found = _CONVERSATION.search(path)
    return found.group(1) if found else None


class LogContext(logging.Filter):
    """Adds ``request_id`` / ``conversation_id`` to a record when a request set them (never overwrites a
    value the call site gave with ``extra=``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        rid = request_id.get()
        if rid is not None and not hasattr(record, "request_id"):
            record.request_id = rid
        cid = conversation_id.get()
        if cid is not None and not hasattr(record, "conversation_id"):
            record.conversation_id = cid
        return True


class RequestContextMiddleware(HttpMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        given = None
        for key, value in scope.get("headers", []):
            if key == b"x-request-id":
                given = value.decode("latin-1")
                break
        rid = given if given and _SAFE_ID.match(given) else uuid.uuid4().hex
        rid_token = request_id.set(rid)
        cid_token = conversation_id.set(conversation_in_path(str(scope.get("path", ""))))

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), (b"x-request-id", rid.encode("latin-1"))]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id.reset(rid_token)
            conversation_id.reset(cid_token)
