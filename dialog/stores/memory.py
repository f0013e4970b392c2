"""In-process dialog store: the embedded default (one process, no Redis)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence

from dialog.errors import VersionConflict
from dialog.events import Event
from dialog.protocols import StoredEvents


class MemoryDialogStore:
    """Event lists in a dict, with the same version check and TTL semantics as the Redis store.

    ``clock`` returns seconds (monotonic); tests pass a fake one to expire entries without sleeping.
    """

    def __init__(self, ttl_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        if ttl_s <= 0:
            raise ValueError(f"ttl_s must be positive, got {ttl_s}")
        self._ttl_s = ttl_s
        self._clock = clock
        self._data: dict[str, tuple[list[Event], float]] = {}
        self._lock = asyncio.Lock()

    def _live(self, conversation_id: str) -> list[Event]:
        entry = self._data.get(conversation_id)
        if entry is None:
            return []
        events, expires = entry
        if expires <= self._clock():
            del self._data[conversation_id]
            return []
        return events

    async def load(self, conversation_id: str) -> StoredEvents:
        async with self._lock:
            events = list(self._live(conversation_id))
        return StoredEvents(events=events, version=len(events))

    async def append(self, conversation_id: str, events: Sequence[Event], expected_version: int) -> int:
        async with self._lock:
            current = self._live(conversation_id)
            if len(current) != expected_version:
                raise VersionConflict(conversation_id, expected_version, len(current))
            new = [*current, *events]
            if new:
                self._data[conversation_id] = (new, self._clock() + self._ttl_s)
            return len(new)

    async def delete(self, conversation_id: str) -> None:
        async with self._lock:
            self._data.pop(conversation_id, None)
