"""What an agent does to a conversation: join, write to the customer, hand back to the bot, close with an
outcome, reveal a placeholder. Agents and admins of the conversation's tenant; another tenant's
conversation is a 404. Each action reaches the customer's widget and the other consoles live."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from app.agent import actions as agent_actions
from app.agent import pii_reveal
from app.deps import AgentDep, ContainerDep
from app.schemas.agent_desk import (
    ActionDone,
    AgentMessageCreate,
    AgentMessageSent,
    CloseCreate,
    RevealCreate,
    RevealPublic,
)

router = APIRouter(prefix="/agent/conversations/{conversation_id}", tags=["agent"])

ConversationId = Annotated[str, Path(max_length=64)]


@router.post("/join", response_model=ActionDone)
async def join(conversation_id: ConversationId, agent: AgentDep, container: ContainerDep) -> ActionDone:
    """Take the conversation (from the queue, or from the bot). Joining twice changes nothing.
    409 ``conflict`` when another agent has it, 409 ``conversation_closed`` when it has ended."""
    changed = await agent_actions.join(container, agent=agent, conversation_id=conversation_id)
    return ActionDone(conversation_id=conversation_id, mode="agent", changed=changed)


@router.post("/messages", status_code=201, response_model=AgentMessageSent)
async def send_message(
    conversation_id: ConversationId, body: AgentMessageCreate, agent: AgentDep, container: ContainerDep
) -> AgentMessageSent:
    """Send a message to the customer (joining the conversation first if needed). The text is masked with
    the conversation's placeholders before it is stored; the customer sees their own values. 422
    ``empty_message``, 413 ``message_too_long``, 409 ``conflict`` / ``conversation_closed``."""
    sent = await agent_actions.send_message(
        container, agent=agent, conversation_id=conversation_id, text=body.text
    )
    return AgentMessageSent(message_id=sent.message_id, text=sent.text, joined=sent.joined, pii=sent.pii)


@router.post("/return", response_model=ActionDone)
async def return_to_bot(
    conversation_id: ConversationId, agent: AgentDep, container: ContainerDep
) -> ActionDone:
    """Hand the conversation back to the bot, which resumes with intent, slots and history intact.
    409 ``conflict`` when the bot has it already or another agent does (admins may override)."""
    await agent_actions.return_to_bot(container, agent=agent, conversation_id=conversation_id)
    return ActionDone(conversation_id=conversation_id, mode="bot")


@router.post("/close", response_model=ActionDone)
async def close(
    conversation_id: ConversationId, body: CloseCreate, agent: AgentDep, container: ContainerDep
) -> ActionDone:
    """End the conversation with an outcome (``resolved`` / ``not_resolved``); the customer is asked to
    rate the service."""
    await agent_actions.close(container, agent=agent, conversation_id=conversation_id, outcome=body.outcome)
    return ActionDone(conversation_id=conversation_id, mode="closed")


@router.post("/reveal", response_model=RevealPublic)
async def reveal(
    conversation_id: ConversationId,
    body: RevealCreate,
    agent: AgentDep,
    container: ContainerDep,
    response: Response,
) -> RevealPublic:
    """The value behind one placeholder of this conversation. Needs the reveal permission (403
    ``forbidden``); the audit event (who, when, which placeholder, never the value) is committed before
    the value is returned. 404 ``not_found`` for a placeholder that is not this conversation's."""
    got = await pii_reveal.reveal(
        container,
        agent=agent,
        conversation_id=conversation_id,
        placeholder=body.placeholder,
        reason=body.reason,
    )
    response.headers["Cache-Control"] = "no-store"
    return RevealPublic(placeholder=got.placeholder, entity_type=got.entity_type, value=got.value)
