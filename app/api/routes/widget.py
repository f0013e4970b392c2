"""The widget's routes beyond the turn: the conversation's live events (an agent's messages after a
handoff), the passage behind a citation, ending the chat. Same auth as the chat routes: the conversation's
token, from one of the widget key's allowed origins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from sse_starlette import EventSourceResponse

from app.api.live_sse import live_response
from app.conversations import customer_side
from app.conversations.live_feed import customer_feed
from app.deps import ContainerDep, WidgetConversationDep
from app.schemas.widget import ConversationEnded, PassagePublic

router = APIRouter(prefix="/chat", tags=["chat"])

CONV = "/conversations/{conversation_id}"


@router.get(
    CONV + "/events",
    response_class=EventSourceResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "ready, then live events"}},
)
async def live_events(conv: WidgetConversationDep, container: ContainerDep) -> EventSourceResponse:
    """Server-Sent Events for the customer: ``ready`` once subscribed (re-read the transcript then, to
    catch up), ``message`` (an agent's message, the customer's own values restored), ``agent_joined``,
    ``bot_resumed``, ``handoff``, ``closed``. Send ``X-Conversation-Token`` (use ``fetch``, not
    ``EventSource``, which cannot send headers)."""
    return live_response(customer_feed(container, conversation_id=conv.id))


@router.get(CONV + "/citations/{chunk_id}", response_model=PassagePublic)
async def cited_passage(
    chunk_id: Annotated[str, Path(max_length=200)], conv: WidgetConversationDep, container: ContainerDep
) -> PassagePublic:
    """The full passage behind a citation of this conversation. 404 ``not_found`` for a chunk this
    conversation never cited."""
    p = await customer_side.cited_passage(container, conversation=conv, chunk_id=chunk_id)
    return PassagePublic(
        chunk_id=p.chunk_id, title=p.title, text=p.text, document_id=p.document_id, source=p.source
    )


@router.post(CONV + "/close", response_model=ConversationEnded)
async def end_chat(conv: WidgetConversationDep, container: ContainerDep) -> ConversationEnded:
    """The customer ends the chat (outcome ``abandoned`` while waiting for an agent, else
    ``customer_ended``). The CSAT can still be given afterwards. Ending twice is harmless."""
    outcome = await customer_side.end_conversation(container, conversation=conv)
    return ConversationEnded(conversation_id=conv.id, status="closed", outcome=outcome)
