"""Handing a conversation to a human: the context package the agent reads first, the handoff row, the
live event on the tenant's queue. Also the customer's explicit "talk to a human" request."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.chat.types import Citation
from app.conversations import live
from app.conversations.live_events import HandoffChanged
from app.db import crud_audit, crud_conversations
from app.db.models import Handoff
from dialog.handoff import build_handoff_package
from dialog.protocols import EventChannel
from dialog.state import DialogState


def context_package(state: DialogState, *, reason: str, cited: Sequence[Citation] = ()) -> dict[str, Any]:
    """What the agent sees before reading anything else (dialog's package: summary, intent, slots, cited
    chunk ids, masked transcript), plus the titles of the chunks this turn cited. Masked text only."""
    package = build_handoff_package(state, reason).to_dict()
    titles = {c.chunk_id: c.title for c in cited}
    package["cited_chunks"] = [
        {"chunk_id": cid, "title": titles.get(cid, "")} for cid in package["cited_chunk_ids"]
    ]
    return package


async def open_handoff(
    session: AsyncSession,
    *,
    tenant_id: str,
    conversation_id: str,
    reason: str,
    context: dict[str, Any],
) -> Handoff:
    """The open handoff of the conversation, created if there is none (not committed here)."""
    existing = await crud_conversations.get_open_handoff(
        session, tenant_id=tenant_id, conversation_id=conversation_id
    )
    if existing is not None:
        return existing
    row = await crud_conversations.create_handoff(
        session, tenant_id=tenant_id, conversation_id=conversation_id, reason=reason, context=context
    )
    await crud_audit.record(
        session,
        tenant_id=tenant_id,
        actor_type="system",
        actor_id=None,
        action="handoff.requested",
        target_type="conversation",
        target_id=conversation_id,
        data={"reason": reason, "handoff_id": row.id},
    )
    return row


async def announce(channel: EventChannel, *, handoff: Handoff) -> None:
    payload = HandoffChanged(
        handoff_id=handoff.id,
        conversation_id=handoff.conversation_id,
        reason=handoff.reason,
        status=handoff.status,
    )
    await live.publish(channel, live.queue_topic(handoff.tenant_id), payload)
    await live.publish(channel, live.conversation_topic(handoff.conversation_id), payload)
