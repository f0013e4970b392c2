"""Reading a live SSE response in the integration tests, event by event as it arrives."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx


async def sse_events(response: httpx.Response) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    """(event, data) of a live SSE response, as they arrive."""
    event, data = "message", []
    async for line in response.aiter_lines():
        if line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())
        elif line == "":
            if data:
                yield event, json.loads("\n".join(data))
            event, data = "message", []


class EventFeed:
    """The events of a live SSE response one at a time: ``next()`` waits at most ``timeout_s`` for the next
    one; ``received`` keeps every event read so far, in order."""

    def __init__(self, response: httpx.Response, *, timeout_s: float) -> None:
        self._events = sse_events(response)
        self._timeout_s = timeout_s
        self.received: list[tuple[str, dict[str, Any]]] = []

    async def next(self) -> tuple[str, dict[str, Any]]:
        item = await asyncio.wait_for(self._events.__anext__(), self._timeout_s)
        self.received.append(item)
        return item
