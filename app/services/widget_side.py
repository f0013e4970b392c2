"""The customer's side of the widget beyond the turn: open a cited passage, end the conversation.

A passage is shown only if this conversation cited it (a conversation token is not a key to the whole
knowledge base). Ending the conversation takes a waiting handoff out of the agents' queue.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app.container import Container
from app.db import crud_agent_desk, crud_audit, crud_conversations, crud_kb
from app.db.models import Conversation
from app.errors import AppError, ErrorCode
from app.services import live
from app.services.conversation_log import Appended
from app.services.event_writer import write_events
from dialog.events import ConversationClosed, Event
from dialog.state import DialogState
from retrieval.labels import display_label

# Outcomes of a conversation the customer ended: they gave up waiting for an agent, or just left.
ABANDONED = "abandoned"
CUSTOMER_ENDED = "customer_ended"


@dataclass(frozen=True, slots=True)
class Passage:
    chunk_id: str
    title: str
    text: str
    document_id: str
    source: str  # the document's file name or URL, when known


async def cited_passage(container: Container, *, conversation: Conversation, chunk_id: str) -> Passage:
    """The text of a chunk this conversation's answers cited; 404 ``not_found`` otherwise (never cited
    here, or deleted from the knowledge base since)."""
    async with container.sessions() as session:
        messages = await crud_conversations.list_messages(session, conversation_id=conversation.id)
        cited = any(
            isinstance(c, dict) and c.get("chunk_id") == chunk_id
            for m in messages
            for c in (m.citations or [])
        )
        chunks = (
            await crud_kb.get_chunks(session, tenant_id=conversation.tenant_id, chunk_ids=[chunk_id])
            if cited
            else []
        )
    if not chunks:
        raise AppError(ErrorCode.NOT_FOUND, "no such passage among this conversation's citations")
    chunk = chunks[0]
    return Passage(
        chunk_id=chunk.chunk_id,
        title=display_label(chunk),
        text=chunk.text,
        document_id=chunk.document_id,
        source=chunk.metadata.get("source", ""),
    )


async def end_conversation(container: Container, *, conversation: Conversation) -> str:
    """The customer ends the chat; returns the outcome recorded. Ending a closed conversation is a no-op
    (its outcome is returned)."""
    outcome = ""

    def build(state: DialogState) -> list[Event]:
        nonlocal outcome
        if state.mode == "closed":
            outcome = state.outcome or ""
            raise _AlreadyClosed
        outcome = ABANDONED if state.mode == "waiting_agent" else CUSTOMER_ENDED
        return [ConversationClosed(outcome=outcome)]

    async def rows(session: AsyncSession, conv: Conversation, _appended: Appended) -> None:
        await crud_agent_desk.close_conversation(session, conversation=conv, outcome=outcome)
        handoff = await crud_conversations.get_open_handoff(
            session, tenant_id=conv.tenant_id, conversation_id=conv.id
        )
        if handoff is not None:
            await crud_agent_desk.finish_handoff(session, handoff=handoff, status="closed")
        await crud_audit.record(
            session,
            tenant_id=conv.tenant_id,
            actor_type="widget",
            actor_id=conv.widget_key_id,
            action="conversation.closed",
            target_type="conversation",
            target_id=conv.id,
            data={"outcome": outcome, "handoff_id": handoff.id if handoff is not None else None},
        )

    try:
        await write_events(
            container.sessions,
            container.conversation_log,
            container.metrics,
            tenant_id=conversation.tenant_id,
            conversation_id=conversation.id,
            build=build,
            rows=rows,
        )
    except _AlreadyClosed:
        return outcome
    payload = {"type": "closed", "outcome": outcome, "by": "customer"}
    await live.publish(container.events, live.conversation_topic(conversation.id), payload)
    await live.publish(
        container.events,
        live.queue_topic(conversation.tenant_id),
        {"type": "queue", "conversation_id": conversation.id, "change": "closed"},
    )
    return outcome


class _AlreadyClosed(Exception):
    pass


@dataclass(frozen=True, slots=True)
class DemoKey:
    public_key: str | None  # None: no demo tenant (run `kefu demo`) or it has no active widget key
    origin_allowed: bool  # the key's allowed origins include the origin the page is served from


async def demo_widget_key(container: Container, *, origin: str) -> DemoKey:
    """The demo tenant's widget key for the ``/demo`` page served at ``origin`` (one allowing that origin
    when there is one)."""
    from app.db import crud_tenancy
    from app.services.auth import origin_allowed
    from app.services.demo import DEMO_SLUG

    async with container.sessions() as session:
        tenant = await crud_tenancy.get_tenant_by_slug(session, slug=DEMO_SLUG)
        keys = [] if tenant is None else await crud_tenancy.list_widget_keys(session, tenant_id=tenant.id)
    active = [k for k in keys if k.is_active]
    for key in active:
        if origin_allowed(key, origin):
            return DemoKey(key.public_key, True)
    return DemoKey(active[0].public_key if active else None, False)
