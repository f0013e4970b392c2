"""Agent routes (the console builds on these): the tenant's conversations, a masked transcript, the
handoff queue. Agents and admins; another tenant's conversation is a 404, never a 403."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.db import crud_conversations
from app.deps import AgentDep, SessionDep
from app.errors import AppError, ErrorCode
from app.schemas.agent import AgentMessagePublic, AgentTranscriptPublic, ConversationSummary, HandoffQueueItem

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
    return AgentTranscriptPublic(
        conversation=ConversationSummary.model_validate(conv, from_attributes=True),
        messages=[AgentMessagePublic.model_validate(m, from_attributes=True) for m in messages],
    )


@router.get("/handoffs", response_model=list[HandoffQueueItem])
async def handoff_queue(
    agent: AgentDep,
    session: SessionDep,
    status: Annotated[str, Query(pattern="^(waiting|assigned|returned|closed)$")] = "waiting",
) -> list[HandoffQueueItem]:
    rows = await crud_conversations.list_handoffs(session, tenant_id=agent.tenant_id, status=status)
    return [HandoffQueueItem.model_validate(h, from_attributes=True) for h in rows]
