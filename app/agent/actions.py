"""What a human agent does to a conversation: join it, write to the customer, hand it back to the bot,
close it with an outcome. Each action is dialog events plus SQL rows in one transaction (``Container.conversation_writer``),
then live events on the conversation's topic (the customer's widget, other consoles) and on the tenant's
queue topic (every agent's queue).

Rules: a closed conversation takes no action (409 ``conversation_closed``); a conversation another agent
has joined is theirs (409 ``conflict``), except that an admin may hand it back or close it. Agent text is
masked with the conversation's own vault before anything stores or publishes it, so the customer sees
their values restored and everyone else sees placeholders.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.audit import record_audit
from app.auth.service import Principal
from app.chat.types import validated_message
from app.container import Container
from app.conversations import handoff as handoffs
from app.conversations import live, live_events
from app.conversations.event_writer import BuildEvents, WriteRows
from app.conversations.log import Appended
from app.db import crud_agent_desk, crud_conversations
from app.db.base import new_id
from app.db.models import Conversation, Handoff
from app.errors import AppError, ErrorCode
from dialog.events import AgentJoined, AgentSaid, BotResumed, ConversationClosed, Event
from dialog.state import DialogState
from privacy.audit import audit_event, turn_audit
from privacy.session import mask_message

logger = logging.getLogger(__name__)

Outcome = Literal["resolved", "not_resolved"]
AGENT_INITIATED = "agent_initiated"


@dataclass(frozen=True, slots=True)
class SentMessage:
    message_id: str
    text: str  # masked: what agents see
    joined: bool  # this message also joined the agent to the conversation
    pii: dict[str, int]


def user_id_of(agent: Principal) -> str | None:
    """The users.id behind a principal (API keys act under their own id, which is not a user)."""
    return agent.actor_id if agent.actor_type == "user" else None


def _check_open(state: DialogState) -> None:
    if state.mode == "closed":
        raise AppError(ErrorCode.CONVERSATION_CLOSED, "the conversation is closed")


def _check_owner(state: DialogState, agent: Principal, *, admin_may: bool) -> None:
    theirs = state.mode == "agent" and state.agent_id not in (None, agent.actor_id)
    if theirs and not (admin_may and agent.has_role("admin")):
        raise AppError(ErrorCode.CONFLICT, "another agent is handling this conversation")


async def _agent_name(container: Container, agent: Principal) -> str:
    if agent.actor_type != "user":
        return ""
    async with container.sessions() as session:
        names = await crud_agent_desk.user_names(
            session, tenant_id=agent.tenant_id, user_ids=[agent.actor_id]
        )
    return names.get(agent.actor_id, "")


async def _take_handoff(
    session: AsyncSession, conv: Conversation, appended: Appended, agent: Principal
) -> Handoff:
    """The conversation's open handoff, assigned to ``agent`` (one is opened if the agent stepped in
    without the customer or the bot asking)."""
    row = await crud_conversations.get_open_handoff(
        session, tenant_id=conv.tenant_id, conversation_id=conv.id
    )
    if row is None:
        context = handoffs.context_package(appended.state, reason=AGENT_INITIATED)
        row = await crud_conversations.create_handoff(
            session,
            tenant_id=conv.tenant_id,
            conversation_id=conv.id,
            reason=AGENT_INITIATED,
            context=context,
        )
    await crud_agent_desk.assign_handoff(session, handoff=row, agent_id=user_id_of(agent))
    await record_audit(
        session,
        agent,
        tenant_id=conv.tenant_id,
        action="conversation.agent_joined",
        target_type="conversation",
        target_id=conv.id,
        data={"handoff_id": row.id, "reason": row.reason},
    )
    return row


async def _announce(
    container: Container, conversation_id: str, tenant_id: str, event: live_events.AgentAnnouncement
) -> None:
    await live.publish(container.events, live.conversation_topic(conversation_id), event)
    queue_event = live_events.QueueChanged(conversation_id=conversation_id, change=event.type)
    await live.publish(container.events, live.queue_topic(tenant_id), queue_event)


async def _write(
    container: Container, agent: Principal, conversation_id: str, build: BuildEvents, rows: WriteRows[None]
) -> None:
    """An agent's events and rows in one transaction, mirrored into the hot store (``Container.conversation_writer``)."""
    await container.conversation_writer.write(
        tenant_id=agent.tenant_id,
        conversation_id=conversation_id,
        build=build,
        rows=rows,
    )


async def join(container: Container, *, agent: Principal, conversation_id: str) -> bool:
    """Take the conversation (waiting for an agent, or still with the bot). Returns False when the agent
    had it already (nothing written)."""

    def build(state: DialogState) -> list[Event]:
        _check_open(state)
        _check_owner(state, agent, admin_may=False)
        if state.mode == "agent" and state.agent_id == agent.actor_id:
            raise _AlreadyJoined
        return [AgentJoined(agent_id=agent.actor_id)]

    async def rows(session: AsyncSession, conv: Conversation, appended: Appended) -> None:
        await _take_handoff(session, conv, appended, agent)

    try:
        await _write(container, agent, conversation_id, build, rows)
    except _AlreadyJoined:
        return False
    name = await _agent_name(container, agent)
    await _announce(container, conversation_id, agent.tenant_id, live_events.AgentJoined(agent_name=name))
    return True


class _AlreadyJoined(Exception):
    """Raised from ``build`` to write nothing (joining twice is not an event)."""


async def send_message(
    container: Container, *, agent: Principal, conversation_id: str, text: str
) -> SentMessage:
    """Mask the agent's text with the conversation's vault, store it (joining first if needed), publish it.

    Errors: 422 ``empty_message``, 413 ``message_too_long``, 404, 409 ``conversation_closed`` / ``conflict``.
    """
    text = validated_message(text, max_chars=container.settings.max_message_chars)
    async with container.sessions() as session:  # 404 before the vault is touched
        if (
            await crud_conversations.get_conversation(
                session, tenant_id=agent.tenant_id, conversation_id=conversation_id
            )
            is None
        ):
            raise AppError(ErrorCode.CONVERSATION_NOT_FOUND, "no such conversation")
    masked, _vault = await mask_message(container.masker, container.vaults, conversation_id, text)
    message_id = new_id()
    joined = False

    def build(state: DialogState) -> list[Event]:
        nonlocal joined
        _check_open(state)
        _check_owner(state, agent, admin_may=False)
        joined = not (state.mode == "agent" and state.agent_id == agent.actor_id)
        events: list[Event] = [AgentJoined(agent_id=agent.actor_id)] if joined else []
        events.append(AgentSaid(agent_id=agent.actor_id, text=masked.text, message_id=message_id))
        return events

    async def rows(session: AsyncSession, conv: Conversation, appended: Appended) -> None:
        if joined:
            await _take_handoff(session, conv, appended, agent)
        await crud_conversations.add_message(
            session,
            message_id=message_id,
            conversation_id=conv.id,
            tenant_id=conv.tenant_id,
            event_seq=appended.state.version,  # AgentSaid is the last event written
            role="agent",
            text=masked.text,
            lang=appended.state.lang,
            pii_counts=masked.counts(),
            agent_id=user_id_of(agent),
        )
        if masked.findings:
            await record_audit(
                session,
                agent,
                tenant_id=conv.tenant_id,
                action="pii.masked",
                target_type="message",
                target_id=message_id,
                data=audit_event(turn_audit(masked, None)),
            )

    await _write(container, agent, conversation_id, build, rows)
    for entity, n in masked.counts().items():
        container.metrics.pii_masked.labels(entity=entity).inc(n)
    name = await _agent_name(container, agent)
    if joined:
        await _announce(container, conversation_id, agent.tenant_id, live_events.AgentJoined(agent_name=name))
    await live.publish(
        container.events,
        live.conversation_topic(conversation_id),
        live_events.AgentMessage(message_id=message_id, text=masked.text, agent_name=name),
    )
    logger.info("agent message conversation=%s pii=%s", conversation_id, masked.counts())
    return SentMessage(message_id=message_id, text=masked.text, joined=joined, pii=masked.counts())


async def return_to_bot(container: Container, *, agent: Principal, conversation_id: str) -> None:
    """Hand the conversation back to the bot: intent, slots and history stay (``BotResumed``)."""

    def build(state: DialogState) -> list[Event]:
        _check_open(state)
        if state.mode == "bot":
            raise AppError(ErrorCode.CONFLICT, "the bot is handling this conversation already")
        _check_owner(state, agent, admin_may=True)
        return [BotResumed(agent_id=agent.actor_id)]

    async def rows(session: AsyncSession, conv: Conversation, _appended: Appended) -> None:
        await _finish_handoff(session, conv, agent, status="returned", action="conversation.bot_resumed")

    await _write(container, agent, conversation_id, build, rows)
    await _announce(container, conversation_id, agent.tenant_id, live_events.BotResumed())


async def close(container: Container, *, agent: Principal, conversation_id: str, outcome: Outcome) -> None:
    """End the conversation with the agent's outcome; its open handoff leaves the queue."""

    def build(state: DialogState) -> list[Event]:
        _check_open(state)
        _check_owner(state, agent, admin_may=True)
        return [ConversationClosed(outcome=outcome)]

    async def rows(session: AsyncSession, conv: Conversation, _appended: Appended) -> None:
        await crud_agent_desk.close_conversation(session, conversation=conv, outcome=outcome)
        await _finish_handoff(
            session, conv, agent, status="closed", action="conversation.closed", data={"outcome": outcome}
        )

    await _write(container, agent, conversation_id, build, rows)
    await _announce(container, conversation_id, agent.tenant_id, live_events.Closed(outcome=outcome))


async def _finish_handoff(
    session: AsyncSession,
    conv: Conversation,
    actor: Principal,
    *,
    status: str,
    action: str,
    data: dict[str, object] | None = None,
) -> None:
    row = await crud_conversations.get_open_handoff(
        session, tenant_id=conv.tenant_id, conversation_id=conv.id
    )
    if row is not None:
        await crud_agent_desk.finish_handoff(session, handoff=row, status=status)
    await record_audit(
        session,
        actor,
        tenant_id=conv.tenant_id,
        action=action,
        target_type="conversation",
        target_id=conv.id,
        data={**(data or {}), "handoff_id": row.id if row is not None else None},
    )
