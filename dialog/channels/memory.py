"""In-process event channel: one bounded asyncio queue per subscription, within one event loop."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from typing import Any

from dialog.channels import ClosableSubscription, check_topic, encode_payload

logger = logging.getLogger(__name__)

_CLOSED = object()


class MemorySubscription(ClosableSubscription):
    """Registered with its channel as soon as it is created, so nothing published afterwards is missed."""

    def __init__(self, channel: MemoryEventChannel, topic: str, maxsize: int) -> None:
        self._channel = channel
        self.topic = topic
        self._queue: asyncio.Queue[object] = asyncio.Queue()
        self._maxsize = maxsize
        self._closed = False
        self.dropped = 0  # payloads dropped because this subscriber fell more than maxsize behind
        channel._register(self)

    def _offer(self, payload: str) -> None:
        if self._closed:
            return
        if self._queue.qsize() >= self._maxsize:
            self._queue.get_nowait()  # drop the oldest: live views want the latest
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 1000 == 0:
                logger.warning("subscriber on %s is behind; %d payloads dropped", self.topic, self.dropped)
        self._queue.put_nowait(payload)

    async def __anext__(self) -> dict[str, Any]:
        if self._closed:
            raise StopAsyncIteration
        item = await self._queue.get()
        if item is _CLOSED:
            raise StopAsyncIteration
        assert isinstance(item, str)
        out: dict[str, Any] = json.loads(item)
        return out

    async def _close(self) -> None:
        self._channel._unregister(self)
        self._queue.put_nowait(_CLOSED)  # wakes a reader blocked in __anext__


class MemoryEventChannel:
    """``EventChannel`` for one process. Payloads are copied through JSON, exactly as over Redis."""

    def __init__(self, *, max_pending: int = 1000) -> None:
        if max_pending < 1:
            raise ValueError("max_pending must be >= 1")
        self._max_pending = max_pending
        self._subs: dict[str, set[MemorySubscription]] = {}

    def _register(self, sub: MemorySubscription) -> None:
        self._subs.setdefault(sub.topic, set()).add(sub)

    def _unregister(self, sub: MemorySubscription) -> None:
        subs = self._subs.get(sub.topic)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self._subs[sub.topic]

    async def publish(self, topic: str, payload: Mapping[str, Any]) -> None:
        check_topic(topic)
        data = encode_payload(payload)
        for sub in list(self._subs.get(topic, ())):
            sub._offer(data)

    def subscribe(self, topic: str) -> MemorySubscription:
        check_topic(topic)
        return MemorySubscription(self, topic, self._max_pending)

    async def subscribers(self, topic: str) -> int:
        return len(self._subs.get(topic, ()))
