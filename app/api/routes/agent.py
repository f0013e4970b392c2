"""Agent routes (the console builds on these): the tenant's conversations, a masked transcript, the
handoff queue, the live queue and conversation feeds, the context package. Agents and admins; another
tenant's conversation is a 404, never a 403. Actions live in ``agent_actions``, AI help in
``agent_assist``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from sse_starlette import EventSourceResponse

from app.actions.timeline import action_steps
from app.agent import pii_reveal
from app.agent import queue as agent_queue
from app.api.live_sse import staff_live_response
from app.conversations.live_feed import agent_conversation_feed, agent_queue_feed
from app.db import crud_actions, crud_conversations
from app.deps import AgentDep, ContainerDep, SessionDep, StreamCheckDep
from app.errors import AppError, ErrorCode
from app.schemas.agent import AgentMessagePublic, AgentTranscriptPublic, ConversationSummary, HandoffQueueItem
from app.schemas.agent_desk import (
    AgentMe,
    CitedChunkPublic,
    ConversationContextPublic,
    HandoffInfo,
    QueueItemPublic,
    QueuePublic,
)

router = APIRouter(prefix="/agent", tags=["agent"])


@router.get("/conversations", response_model=list[ConversationSummary])
async def list_conversations(
    agent: AgentDep,
    session: SessionDep,
    status: Annotated[str | None, Query(pattern="^(bot|waiting_agent|agent|closed)$")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[ConversationSummary]:
    rows = await crud_conversations.list_conversations(
        session, tenant_id=agent.tenant_id, status=status, limit=limit
    )
    return [ConversationSummary.model_validate(c, from_attributes=True) for c in rows]


@router.get("/conversations/{conversation_id}", response_model=AgentTranscriptPublic)
async def conversation_transcript(
    conversation_id: str, agent: AgentDep, session: SessionDep
) -> AgentTranscriptPublic:
    conv = await crud_conversations.get_conversation(
        session, tenant_id=agent.tenant_id, conversation_id=conversation_id
    )
    if conv is None:
        raise AppError(ErrorCode.CONVERSATION_NOT_FOUND, "no such conversation")
    messages = await crud_conversations.list_messages(session, conversation_id=conv.id)
    steps = await crud_actions.conversation_action_events(session, conversation_id=conv.id)
    return AgentTranscriptPublic(
        conversation=ConversationSummary.model_validate(conv, from_attributes=True),
        messages=[AgentMessagePublic.model_validate(m, from_attributes=True) for m in messages],
        actions=action_steps(steps),
    )


@router.get("/handoffs", response_model=list[HandoffQueueItem])
async def handoff_queue(
    agent: AgentDep,
    session: SessionDep,
    status: Annotated[str, Query(pattern="^(waiting|assigned|returned|closed)$")] = "waiting",
) -> list[HandoffQueueItem]:
    rows = await crud_conversations.list_handoffs(session, tenant_id=agent.tenant_id, status=status)
    return [HandoffQueueItem.model_validate(h, from_attributes=True) for h in rows]


@router.get("/me", response_model=AgentMe)
async def me(agent: AgentDep, container: ContainerDep) -> AgentMe:
    """Who is logged in to the console, and whether they may reveal personal data."""
    return AgentMe(
        user_id=agent.actor_id,
        email=agent.email,
        role=agent.role,
        tenant_id=agent.tenant_id,
        can_reveal=await pii_reveal.may_reveal(container, agent),
    )


@router.get("/queue", response_model=QueuePublic)
async def queue(agent: AgentDep, container: ContainerDep) -> QueuePublic:
    """Handoffs waiting for an agent (longest wait first, with reason and waiting time), those agents have
    taken, and conversations the bot handled in the last 30 minutes."""
    q = await agent_queue.queue(container, tenant_id=agent.tenant_id)
    return QueuePublic(
        waiting=[QueueItemPublic.model_validate(i, from_attributes=True) for i in q.waiting],
        assigned=[QueueItemPublic.model_validate(i, from_attributes=True) for i in q.assigned],
        bot=[QueueItemPublic.model_validate(i, from_attributes=True) for i in q.bot],
    )


@router.get(
    "/events", response_class=EventSourceResponse, responses={200: {"content": {"text/event-stream": {}}}}
)
async def queue_events(
    agent: AgentDep, check: StreamCheckDep, container: ContainerDep
) -> EventSourceResponse:
    """Live changes to the tenant's queue (SSE): ``ready`` once subscribed, then ``handoff`` (a new one)
    and ``queue`` (an agent joined, a conversation went back to the bot or closed); ``session_ended``
    and the end of the stream once the caller's session no longer holds."""
    feed = agent_queue_feed(container, tenant_id=agent.tenant_id)
    return staff_live_response(feed, check, every_s=container.settings.staff_stream_recheck_s)


@router.get("/conversations/{conversation_id}/context", response_model=ConversationContextPublic)
async def conversation_context(
    conversation_id: Annotated[str, Path(max_length=64)], agent: AgentDep, container: ContainerDep
) -> ConversationContextPublic:
    """The handoff context package as of now: summary, intent, slots, last question, the chunks the bot
    cited (with their text), the handoff (reason, since when), and the placeholders of the conversation."""
    ctx = await agent_queue.context(container, tenant_id=agent.tenant_id, conversation_id=conversation_id)
    h = ctx.handoff
    return ConversationContextPublic(
        conversation=ConversationSummary.model_validate(ctx.conversation, from_attributes=True),
        mode=ctx.state.mode,
        agent_id=ctx.state.agent_id,
        agent_name=ctx.agent_name,
        outcome=ctx.state.outcome,
        handoff=HandoffInfo.model_validate(h, from_attributes=True) if h is not None else None,
        package=ctx.package,
        cited_chunks=[CitedChunkPublic.model_validate(c, from_attributes=True) for c in ctx.cited_chunks],
        placeholders=ctx.placeholders,
    )


@router.get(
    "/conversations/{conversation_id}/events",
    response_class=EventSourceResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def conversation_events(
    conversation_id: Annotated[str, Path(max_length=64)],
    agent: AgentDep,
    check: StreamCheckDep,
    container: ContainerDep,
) -> EventSourceResponse:
    """Live events of one conversation (SSE, masked): ``ready``, then ``message`` (customer, bot or agent),
    ``handoff``, ``agent_joined``, ``bot_resumed``, ``closed``, ``feedback``; ``session_ended`` and the
    end of the stream once the caller's session no longer holds."""
    await agent_queue.load_state(container, tenant_id=agent.tenant_id, conversation_id=conversation_id)
    feed = agent_conversation_feed(container, conversation_id=conversation_id)
    return staff_live_response(feed, check, every_s=container.settings.staff_stream_recheck_s)
