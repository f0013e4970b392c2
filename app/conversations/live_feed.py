"""Live feeds of the faces, read from the ``EventChannel`` (Redis pub/sub with ``REDIS_URL``), so a widget
served by one replica sees what an agent did on another.

Each feed first yields ``ready`` once its subscription is active: a client that (re)reads the transcript
after ``ready`` has missed nothing. The channel carries masked text only; the customer's feed restores
the customer's own values (their vault) in agent messages, and forwards only what a customer may see
(agent messages and the conversation's state changes, never agent ids or internal decisions).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from app.container import Container
from app.conversations import live, live_events
from app.conversations.live_events import (
    AgentJoined,
    AgentMessage,
    BotResumed,
    Closed,
    FeedError,
    HandoffChanged,
    LiveEvent,
)
from dialog.errors import DialogError

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FeedEvent:
    event: str  # ready | message | agent_joined | bot_resumed | closed | handoff | queue | ... | error
    data: dict[str, Any] = field(default_factory=dict)


async def _feed(container: Container, topic: str) -> AsyncIterator[dict[str, Any] | None]:
    """None once the subscription is active, then each payload; an ``error`` payload if the channel fails."""
    try:
        async with container.events.subscribe(topic) as sub:
            yield None
            async for payload in sub:
                yield payload
    except (DialogError, OSError) as exc:  # ChannelUnavailable: the client reconnects
        logger.warning("live feed on %s ended: %s", topic, getattr(exc, "code", type(exc).__name__))
        yield FeedError(error_code="store_unavailable").payload()


async def customer_feed(container: Container, *, conversation_id: str) -> AsyncIterator[FeedEvent]:
    """What the customer's widget shows live: agent messages (their values restored), an agent joining,
    the bot taking over again, the conversation closing, the handoff's progress."""
    async for payload in _feed(container, live.conversation_topic(conversation_id)):
        if payload is None:
            yield FeedEvent("ready")
            continue
        event = await _for_customer(container, conversation_id, payload)
        if event is not None:
            yield event


async def _for_customer(
    container: Container, conversation_id: str, payload: Mapping[str, Any]
) -> FeedEvent | None:
    try:
        event = live_events.parse(payload)
    except ValidationError:  # not one of ours (a newer replica's event): the widget would not read it
        return None
    restored = ""
    if isinstance(event, AgentMessage):
        vault = await container.vaults.load(conversation_id)
        restored = await asyncio.to_thread(container.masker.unmask, event.text, vault)
    return customer_event(event, restored=restored)


def customer_event(event: LiveEvent, *, restored: str) -> FeedEvent | None:
    """What the customer's widget is sent of ``event`` (None: nothing): an agent's message with the
    customer's own values ``restored``, an agent joining, the bot taking over again, the conversation
    closing, the handoff's status, a failing channel. Never agent ids, reasons or internal decisions."""
    match event:
        case AgentMessage():
            data = {"message_id": event.message_id, "role": "agent", "text": restored}
            return FeedEvent("message", {**data, "agent_name": event.agent_name})
        case AgentJoined():
            return FeedEvent("agent_joined", {"agent_name": event.agent_name})
        case BotResumed():
            return FeedEvent("bot_resumed")
        case Closed():
            return FeedEvent("closed", {"outcome": event.outcome})
        case HandoffChanged():
            return FeedEvent("handoff", {"status": event.status})
        case FeedError():
            return FeedEvent("error", {"error_code": event.error_code})
    return None


async def agent_conversation_feed(container: Container, *, conversation_id: str) -> AsyncIterator[FeedEvent]:
    """Everything published about one conversation (masked), for the console that has it open."""
    async for payload in _feed(container, live.conversation_topic(conversation_id)):
        if payload is None:
            yield FeedEvent("ready")
        else:
            yield FeedEvent(str(payload.get("type", "update")), dict(payload))


async def agent_queue_feed(container: Container, *, tenant_id: str) -> AsyncIterator[FeedEvent]:
    """Changes to the tenant's queue: new handoffs, agents joining, conversations handed back or closed."""
    async for payload in _feed(container, live.queue_topic(tenant_id)):
        if payload is None:
            yield FeedEvent("ready")
        else:
            yield FeedEvent(str(payload.get("type", "queue")), dict(payload))
