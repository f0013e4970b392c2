"""Live events for whoever watches (the widget, the agent console), over the dialog ``EventChannel``.

Topics: ``conv:<conversation id>`` (messages, state changes of one conversation) and
``tenant:<tenant id>:queue`` (handoffs waiting for an agent). Payloads carry masked text only. Publishing
is best effort: the durable record is the database, so a channel failure is logged, never raised.
"""

from __future__ import annotations

import logging

from app.conversations.live_events import LiveEvent
from dialog.errors import DialogError
from dialog.protocols import EventChannel

logger = logging.getLogger(__name__)


def conversation_topic(conversation_id: str) -> str:
    return f"conv:{conversation_id}"


def queue_topic(tenant_id: str) -> str:
    return f"tenant:{tenant_id}:queue"


async def publish(channel: EventChannel, topic: str, event: LiveEvent) -> None:
    """Publish ``event`` (its ``payload()``) on ``topic``; a channel failure is logged, never raised."""
    try:
        await channel.publish(topic, event.payload())
    except (DialogError, OSError) as exc:
        logger.warning("live event on %s not delivered: %s", topic, getattr(exc, "code", type(exc).__name__))
