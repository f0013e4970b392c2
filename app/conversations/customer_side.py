"""The customer's side of a conversation besides the turn itself: start one, read it back, rate it, ask
for a human, open a cited passage, end it (the widget's routes, ``chat`` and ``widget``).

A passage is shown only if this conversation cited it (a conversation token is not a key to the whole
knowledge base). Ending the conversation takes a waiting handoff out of the agents' queue.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.credentials import conversation_token
from app.auth.service import Principal
from app.container import Container
from app.conversations import handoff as handoffs
from app.conversations import live
from app.conversations.event_writer import BuildEvents, WriteRows
from app.conversations.live_events import Closed, QueueChanged
from app.conversations.live_events import Feedback as LiveFeedback
from app.conversations.log import Appended
from app.db import crud_agent_desk, crud_audit, crud_conversations, crud_kb
from app.db.models import Conversation, Feedback, Handoff, Message, WidgetKey
from app.errors import AppError, ErrorCode
from dialog.events import ConversationClosed, CustomerVerified, Event, FeedbackGiven, HandoffRequested
from dialog.state import DialogState
from retrieval.labels import display_label


@dataclass(frozen=True, slots=True)
class Started:
    conversation: Conversation
    token: str
    verified: bool = False


async def start(
    container: Container,
    session: AsyncSession,
    *,
    widget_key: WidgetKey | None,
    principal: Principal | None,
    lang: str,
    customer_token: str | None = None,
) -> Started:
    """A new conversation for the widget key's tenant (or the API key's, for server-to-server callers).
    With ``customer_token`` (checked first: a bad one is 401 ``invalid_customer_token`` and nothing is
    written) the conversation starts with the customer verified (``CustomerVerified``)."""
    if widget_key is not None:
        tenant_id, channel, actor = widget_key.tenant_id, "widget", ("widget", widget_key.id)
    elif principal is not None:
        tenant_id, channel, actor = principal.tenant_id, "api", (principal.actor_type, principal.actor_id)
    else:
        raise AppError(ErrorCode.UNAUTHENTICATED, "send the tenant's widget key, or an API key")
    customer_id = None
    if customer_token:
        from app.actions.verify import customer_of

        customer_id = await customer_of(container, session, tenant_id=tenant_id, token=customer_token)
    conv = await crud_conversations.create_conversation(
        session,
        tenant_id=tenant_id,
        widget_key_id=widget_key.id if widget_key else None,
        channel=channel,
        lang=lang,
        customer_id=customer_id,  # the data-subject requests find a verified customer's conversations by it
    )
    await crud_audit.record(
        session,
        tenant_id=tenant_id,
        actor_type=actor[0],
        actor_id=actor[1],
        action="conversation.start",
        target_type="conversation",
        target_id=conv.id,
    )
    await session.commit()
    if customer_id is not None:
        verified = CustomerVerified(customer_id=customer_id)

        async def no_rows(_session: AsyncSession, _conv: Conversation, _appended: Appended) -> None:
            return None

        await container.conversation_writer.write(
            tenant_id=tenant_id, conversation_id=conv.id, build=lambda _s: [verified], rows=no_rows
        )
    secret = container.settings.secret_key.get_secret_value()
    return Started(
        conversation=conv, token=conversation_token(secret, conv.id), verified=customer_id is not None
    )


async def customer_transcript(
    container: Container, session: AsyncSession, *, conversation: Conversation
) -> Sequence[tuple[Message, str]]:
    """Each message with the text the customer sees: their own values restored from the vault (an expired
    vault leaves the placeholders)."""
    messages = await crud_conversations.list_messages(session, conversation_id=conversation.id)
    vault = await container.vaults.load(conversation.id)
    masker = container.masker
    texts = await asyncio.to_thread(lambda: [masker.unmask(m.text, vault) for m in messages])
    return list(zip(messages, texts, strict=True))


T = TypeVar("T")


async def _write(
    container: Container, conversation: Conversation, build: BuildEvents, rows: WriteRows[T]
) -> T:
    """Write the customer's events about ``conversation`` and ``rows`` together (``ConversationWriter``)."""
    _, row = await container.conversation_writer.write(
        tenant_id=conversation.tenant_id, conversation_id=conversation.id, build=build, rows=rows
    )
    return row


async def give_feedback(
    container: Container,
    *,
    conversation: Conversation,
    message_id: str | None,
    thumbs: str | None,
    csat: int | None,
) -> Feedback:
    if message_id is not None:
        async with container.sessions() as session:
            msg = await crud_conversations.get_message(
                session, conversation_id=conversation.id, message_id=message_id
            )
        if msg is None or msg.role not in ("bot", "agent"):
            raise AppError(ErrorCode.NOT_FOUND, "no such answer in this conversation")

    def build(_state: DialogState) -> list[Event]:
        return [FeedbackGiven(message_id=message_id, thumbs=thumbs, csat=csat)]

    async def rows(session: AsyncSession, conv: Conversation, _appended: Appended) -> Feedback:
        return await crud_conversations.add_feedback(
            session,
            tenant_id=conv.tenant_id,
            conversation_id=conv.id,
            message_id=message_id,
            thumbs=thumbs,
            csat=csat,
        )

    row = await _write(container, conversation, build, rows)
    await live.publish(
        container.events,
        live.conversation_topic(conversation.id),
        LiveFeedback(message_id=message_id, thumbs=thumbs, csat=csat),
    )
    return row


async def request_human(container: Container, *, conversation: Conversation) -> Handoff:
    """The customer pressed "talk to a human": the open handoff (created now unless one is waiting)."""
    async with container.sessions() as session:
        existing = await crud_conversations.get_open_handoff(
            session, tenant_id=conversation.tenant_id, conversation_id=conversation.id
        )
    if existing is not None:
        return existing

    def build(state: DialogState) -> list[Event]:
        if state.mode == "closed":
            raise AppError(ErrorCode.CONVERSATION_CLOSED, "the conversation is closed; start a new one")
        return [HandoffRequested(reason="explicit_request", summary=state.standalone_query)]

    async def rows(session: AsyncSession, conv: Conversation, appended: Appended) -> Handoff:
        context = handoffs.context_package(appended.state, reason="explicit_request")
        return await handoffs.open_handoff(
            session,
            tenant_id=conv.tenant_id,
            conversation_id=conv.id,
            reason="explicit_request",
            context=context,
        )

    row = await _write(container, conversation, build, rows)
    container.metrics.handoffs.labels(reason=row.reason).inc()
    await handoffs.announce(container.events, handoff=row)
    return row


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
        await _write(container, conversation, build, rows)
    except _AlreadyClosed:
        return outcome
    closed = Closed(outcome=outcome, by="customer")
    await live.publish(container.events, live.conversation_topic(conversation.id), closed)
    await live.publish(
        container.events,
        live.queue_topic(conversation.tenant_id),
        QueueChanged(conversation_id=conversation.id, change="closed"),
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
    from app.auth.service import origin_allowed
    from app.db import crud_tenancy
    from app.demo import DEMO_SLUG

    async with container.sessions() as session:
        tenant = await crud_tenancy.get_tenant_by_slug(session, slug=DEMO_SLUG)
        keys = [] if tenant is None else await crud_tenancy.list_widget_keys(session, tenant_id=tenant.id)
    active = [k for k in keys if k.is_active]
    for key in active:
        if origin_allowed(key, origin):
            return DemoKey(key.public_key, True)
    return DemoKey(active[0].public_key if active else None, False)
