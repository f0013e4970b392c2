"""The widget's API: start a conversation with the tenant's public key, talk (JSON or SSE), read the
transcript, rate answers, ask for a human. Every call after the first carries the conversation's token."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from sse_starlette import EventSourceResponse, ServerSentEvent

from app.auth.service import widget_key_for
from app.chat.turn import ChatTurn
from app.chat.types import Accepted, TokenChunk, TurnOutcome
from app.conversations import customer_side
from app.deps import ContainerDep, OptionalPrincipalDep, SessionDep, WidgetConversationDep
from app.errors import AppError, ErrorCode, error_body, is_database_unavailable, translate_domain_error
from app.schemas.chat import (
    ConversationCreate,
    ConversationPublic,
    FeedbackCreate,
    FeedbackPublic,
    HandoffPublic,
    MessageCreate,
    MessagePublic,
    TranscriptPublic,
    TurnPublic,
)

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/chat", tags=["chat"])

CONV = "/conversations/{conversation_id}"


@router.post("/conversations", status_code=201, response_model=ConversationPublic)
async def create_conversation(
    body: ConversationCreate,
    request: Request,
    session: SessionDep,
    container: ContainerDep,
    principal: OptionalPrincipalDep,
    x_widget_key: Annotated[str | None, Header(max_length=64)] = None,
) -> ConversationPublic:
    """Start a conversation. Browsers: the tenant's public widget key (body or ``X-Widget-Key``), from an
    allowed origin. Servers: an API key as ``Authorization: Bearer``."""
    public_key = body.widget_key or x_widget_key
    origin = request.headers.get("origin")
    key = await widget_key_for(session, public_key=public_key, origin=origin) if public_key else None
    if key is not None and origin:
        request.state.cors_origin = origin
    started = await customer_side.start(
        container, session, widget_key=key, principal=principal, lang=body.lang,
        customer_token=body.customer_token,
    )  # fmt: skip
    conv = started.conversation
    return ConversationPublic(
        id=conv.id, token=started.token, status=conv.status, lang=conv.lang, created_at=conv.created_at,
        verified=started.verified,
    )  # fmt: skip


@router.post(CONV + "/messages", response_model=TurnPublic)
async def post_message(
    body: MessageCreate, conv: WidgetConversationDep, container: ContainerDep
) -> TurnPublic:
    """One turn; the reply comes whole. Errors: 422 ``empty_message``, 413 ``message_too_long``,
    404 ``conversation_not_found``, 409 ``conversation_closed``."""
    outcome = await ChatTurn(container).run(tenant_id=conv.tenant_id, conversation_id=conv.id, text=body.text)
    return TurnPublic.of(outcome)


@router.post(
    CONV + "/messages/stream",
    response_class=EventSourceResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "accepted, token..., final"}},
)
async def stream_message(body: MessageCreate, conv: WidgetConversationDep, container: ContainerDep) -> Any:
    """The same turn as Server-Sent Events: ``accepted`` (the message is stored), ``token`` events with
    ``{"text"}`` as the answer is generated, then ``final`` with the whole ``TurnPublic`` (citations,
    decision, state). ``final.text`` is authoritative: when the model's streamed answer turns out not to
    be grounded in the knowledge base, it replaces what the tokens showed. A failure after the stream
    began arrives as an ``error`` event ``{"error_code", "detail"}``; before that, as the usual JSON
    error."""
    turn = ChatTurn(container).stream(tenant_id=conv.tenant_id, conversation_id=conv.id, text=body.text)
    first = await anext(turn)  # validation / not found / closed errors become ordinary HTTP errors
    assert isinstance(first, Accepted)
    # On SIGTERM a turn already streaming finishes (up to EDGE__SHUTDOWN_GRACE_S) instead of being cut.
    grace = container.settings.edge.shutdown_grace_s
    return EventSourceResponse(_sse(first, turn), ping=15, send_timeout=30, shutdown_grace_period=grace)


async def _sse(
    first: Accepted, turn: AsyncIterator[Accepted | TokenChunk | TurnOutcome]
) -> AsyncIterator[ServerSentEvent]:
    yield ServerSentEvent(event="accepted", data=json.dumps({"user_message_id": first.user_message_id}))
    try:
        async for item in turn:
            if isinstance(item, TokenChunk):
                yield ServerSentEvent(event="token", data=json.dumps({"text": item.text}, ensure_ascii=False))
            elif isinstance(item, TurnOutcome):
                final = TurnPublic.of(item).model_dump_json()
                yield ServerSentEvent(event="final", data=final)
    except Exception as exc:
        err = exc if isinstance(exc, AppError) else translate_domain_error(exc)
        if err is None and is_database_unavailable(exc):
            err = AppError(ErrorCode.DATABASE_UNAVAILABLE, "database unavailable")
            logger.error("database unavailable while the turn was streaming")
        if err is None:
            err = AppError(ErrorCode.INTERNAL_ERROR, "internal error")
            logger.exception("turn failed after the stream began")
        yield ServerSentEvent(event="error", data=json.dumps(error_body(err.code, err.detail)))
    finally:
        await turn.aclose()  # type: ignore[attr-defined]


@router.get(CONV + "/messages", response_model=TranscriptPublic)
async def transcript(
    conv: WidgetConversationDep, session: SessionDep, container: ContainerDep
) -> TranscriptPublic:
    """The conversation so far, as the customer sees it."""
    rows = await customer_side.customer_transcript(container, session, conversation=conv)
    return TranscriptPublic(
        conversation_id=conv.id,
        status=conv.status,
        messages=[
            MessagePublic(
                id=m.id,
                role=m.role,
                text=text,
                lang=m.lang,
                created_at=m.created_at,
                decision=m.decision,
                citations=list(m.citations),
            )
            for m, text in rows
        ],
    )


@router.post(CONV + "/feedback", status_code=201, response_model=FeedbackPublic)
async def feedback(
    body: FeedbackCreate, conv: WidgetConversationDep, container: ContainerDep
) -> FeedbackPublic:
    """Thumbs up/down on one answer (``message_id``), and/or a 1-5 CSAT for the conversation."""
    row = await customer_side.give_feedback(
        container, conversation=conv, message_id=body.message_id, thumbs=body.thumbs, csat=body.csat
    )
    return FeedbackPublic(id=row.id, message_id=row.message_id, thumbs=row.thumbs, csat=row.csat)


@router.post(CONV + "/handoff", status_code=201, response_model=HandoffPublic)
async def request_human(conv: WidgetConversationDep, container: ContainerDep) -> HandoffPublic:
    """Ask for a human agent. Idempotent: while a handoff is open, the same one is returned."""
    row = await customer_side.request_human(container, conversation=conv)
    return HandoffPublic.model_validate(row, from_attributes=True)
