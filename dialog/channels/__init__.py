"""Live event channels: in-process (asyncio queues, the embedded default) and Redis pub/sub."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Self


def encode_payload(payload: Mapping[str, Any]) -> str:
    """JSON text of ``payload``; raises ``TypeError`` / ``ValueError`` for what JSON cannot carry."""
    if not isinstance(payload, Mapping):
        raise TypeError(f"payload must be a mapping, got {type(payload).__name__}")
    return json.dumps(dict(payload), ensure_ascii=False, allow_nan=False)


def check_topic(topic: str) -> None:
    if not isinstance(topic, str) or not topic or len(topic) > 300:
        raise ValueError("topic must be a non-empty string of at most 300 characters")


class ClosableSubscription:
    """What the subscriptions share (``dialog.protocols.Subscription``): an async iterator and an async
    context manager whose exit closes it; ``aclose`` runs the subclass's ``_close`` once, however often it
    is called. Subclasses set ``self._closed = False`` and define ``__anext__`` and ``_close``."""

    _closed: bool

    def __aiter__(self) -> Self:
        return self

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        await self._close()

    async def _close(self) -> None:
        raise NotImplementedError
