"""Live event channels: in-process (asyncio queues, the embedded default) and Redis pub/sub."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def encode_payload(payload: Mapping[str, Any]) -> str:
    """JSON text of ``payload``; raises ``TypeError`` / ``ValueError`` for what JSON cannot carry."""
    if not isinstance(payload, Mapping):
        raise TypeError(f"payload must be a mapping, got {type(payload).__name__}")
    return json.dumps(dict(payload), ensure_ascii=False, allow_nan=False)


def check_topic(topic: str) -> None:
    if not isinstance(topic, str) or not topic or len(topic) > 300:
        raise ValueError("topic must be a non-empty string of at most 300 characters")
