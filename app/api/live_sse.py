"""Server-Sent Events of the live feeds (``app.conversations.live_feed``): one ``ServerSentEvent`` per feed event,
a ping every 15 s (proxies keep the connection open), and a ``retry`` hint for the browser's reconnect.
A staff feed goes through ``app.auth.staff_streams.guarded`` first: it ends with ``session_ended`` once
the caller's session no longer holds."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable

from sse_starlette import EventSourceResponse, ServerSentEvent

from app.auth.staff_streams import guarded
from app.conversations.live_feed import FeedEvent

RETRY_MS = 3000
PING_S = 15


async def _events(feed: AsyncIterator[FeedEvent]) -> AsyncIterator[ServerSentEvent]:
    try:
        async for item in feed:
            yield ServerSentEvent(
                event=item.event, data=json.dumps(item.data, ensure_ascii=False), retry=RETRY_MS
            )
    finally:
        await feed.aclose()  # type: ignore[attr-defined]  # unsubscribe when the client goes away


def live_response(feed: AsyncIterator[FeedEvent]) -> EventSourceResponse:
    return EventSourceResponse(
        _events(feed),
        ping=PING_S,
        send_timeout=30,
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def staff_live_response(
    feed: AsyncIterator[FeedEvent], check: Callable[[], Awaitable[bool]], *, every_s: float
) -> EventSourceResponse:
    """``live_response`` for a staff feed that re-checks the caller (``StreamCheckDep``)."""
    ended = FeedEvent("session_ended", {"reason": "session_ended"})
    return live_response(guarded(feed, check, every_s=every_s, ended=ended))
