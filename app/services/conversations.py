"""The customer's side of a conversation besides the turn itself: start one, read it back, rate it, ask
for a human."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app.container import Container
from app.db import crud_audit, crud_conversations
from app.db.models import Conversation, Feedback, Handoff, Message, WidgetKey
from app.errors import AppError, ErrorCode
from app.security import conversation_token
from app.services import handoff as handoffs
from app.services import live
from app.services.auth import Principal
from app.services.conversation_log import Appended
from app.services.event_writer import write_events
from dialog.events import Event, FeedbackGiven, HandoffRequested
from dialog.state import DialogState


@dataclass(frozen=True, slots=True)
class Started:
    conversation: Conversation
    token: str


async def start(
    container: Container,
    session: AsyncSession,
    *,
    widget_key: WidgetKey | None,
    principal: Principal | None,
    lang: str,
) -> Started:
    """A new conversation for the widget key's tenant (or the API key's, for server-to-server callers)."""
    if widget_key is not None:
        tenant_id, channel, actor = widget_key.tenant_id, "widget", ("widget", widget_key.id)
    elif principal is not None:
        tenant_id, channel, actor = principal.tenant_id, "api", (principal.actor_type, principal.actor_id)
    else:
        raise AppError(ErrorCode.UNAUTHENTICATED, "send the tenant's widget key, or an API key")
    conv = await crud_conversations.create_conversation(
        session,
        tenant_id=tenant_id,
        widget_key_id=widget_key.id if widget_key else None,
        channel=channel,
        lang=lang,
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
    secret = container.settings.secret_key.get_secret_value()
    return Started(conversation=conv, token=conversation_token(secret, conv.id))


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

    _, row = await write_events(
        container.sessions,
        container.conversation_log,
        container.metrics,
        tenant_id=conversation.tenant_id,
        conversation_id=conversation.id,
        build=build,
        rows=rows,
    )
    await live.publish(
        container.events,
        live.conversation_topic(conversation.id),
        {"type": "feedback", "message_id": message_id, "thumbs": thumbs, "csat": csat},
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

    _, row = await write_events(
        container.sessions,
        container.conversation_log,
        container.metrics,
        tenant_id=conversation.tenant_id,
        conversation_id=conversation.id,
        build=build,
        rows=rows,
    )
    container.metrics.handoffs.labels(reason=row.reason).inc()
    await handoffs.announce(container.events, handoff=row)
    return row
