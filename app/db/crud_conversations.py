"""SQL for conversations, messages, the dialog event log, feedback and handoffs. Keyword-only, session first.

Every read that starts from a caller's request is scoped by ``tenant_id``; the one exception,
``find_conversation``, is only called after the conversation's own token was verified.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.base import utcnow
from app.db.crud_rows import added
from app.db.models import Conversation, DialogEventRow, Feedback, Handoff, Message


async def create_conversation(
    session: AsyncSession,
    *,
    tenant_id: str,
    widget_key_id: str | None,
    channel: str = "widget",
    lang: str = "",
    customer_id: str | None = None,
) -> Conversation:
    conv = Conversation(
        tenant_id=tenant_id, widget_key_id=widget_key_id, channel=channel, lang=lang, status="bot",
        customer_id=customer_id,
    )  # fmt: skip
    return await added(session, conv)


async def get_conversation(
    session: AsyncSession, *, tenant_id: str, conversation_id: str
) -> Conversation | None:
    stmt = select(Conversation).where(Conversation.id == conversation_id, Conversation.tenant_id == tenant_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def find_conversation(session: AsyncSession, *, conversation_id: str) -> Conversation | None:
    """Unscoped lookup: only after the caller proved it holds this conversation's token."""
    return await session.get(Conversation, conversation_id)


async def list_conversations(
    session: AsyncSession, *, tenant_id: str, status: str | None = None, limit: int = 50
) -> Sequence[Conversation]:
    stmt = select(Conversation).where(Conversation.tenant_id == tenant_id)
    if status is not None:
        stmt = stmt.where(Conversation.status == status)
    stmt = stmt.order_by(Conversation.updated_at.desc()).limit(limit)
    return (await session.execute(stmt)).scalars().all()


async def set_conversation_state(
    session: AsyncSession, *, conversation: Conversation, status: str, lang: str, outcome: str | None = None
) -> None:
    conversation.status = status
    if lang:
        conversation.lang = lang
    if status == "closed" and conversation.closed_at is None:
        conversation.closed_at = utcnow()
        conversation.outcome = outcome
    conversation.updated_at = utcnow()
    await session.flush()


# --- the durable event log -------------------------------------------------------------------------------


async def load_events(session: AsyncSession, *, conversation_id: str) -> Sequence[DialogEventRow]:
    stmt = (
        select(DialogEventRow)
        .where(DialogEventRow.conversation_id == conversation_id)
        .order_by(DialogEventRow.seq)
    )
    return (await session.execute(stmt)).scalars().all()


async def count_events(session: AsyncSession, *, conversation_id: str) -> int:
    stmt = (
        select(func.count())
        .select_from(DialogEventRow)
        .where(DialogEventRow.conversation_id == conversation_id)
    )
    return int((await session.execute(stmt)).scalar_one())


async def bump_event_version(session: AsyncSession, *, conversation_id: str, expected: int, new: int) -> bool:
    """Compare-and-set of ``conversations.event_version``; False when another writer moved it first."""
    stmt = (
        update(Conversation)
        .where(Conversation.id == conversation_id, Conversation.event_version == expected)
        .values(event_version=new, updated_at=utcnow())
    )
    result = await session.execute(stmt)
    return bool(getattr(result, "rowcount", 0))


async def insert_events(
    session: AsyncSession,
    *,
    conversation_id: str,
    first_seq: int,
    events: Sequence[tuple[str, dict[str, Any]]],
) -> None:
    """Insert ``(type, payload)`` pairs as seq ``first_seq, first_seq+1, ...``.

    Raises ``sqlalchemy.exc.IntegrityError`` on flush if another writer already holds one of those seqs.
    """
    session.add_all(
        DialogEventRow(conversation_id=conversation_id, seq=first_seq + i, type=etype, payload=payload)
        for i, (etype, payload) in enumerate(events)
    )
    await session.flush()


# --- messages --------------------------------------------------------------------------------------------


async def add_message(
    session: AsyncSession,
    *,
    conversation_id: str,
    tenant_id: str,
    event_seq: int,
    role: str,
    text: str,
    lang: str = "",
    citations: list[dict[str, Any]] | None = None,
    timings_ms: dict[str, float] | None = None,
    model: str | None = None,
    decision: str | None = None,
    decision_reason: str | None = None,
    pii_counts: dict[str, int] | None = None,
    agent_id: str | None = None,
    message_id: str | None = None,
    prompt_refs: dict[str, Any] | None = None,
) -> Message:
    msg = Message(
        conversation_id=conversation_id,
        tenant_id=tenant_id,
        event_seq=event_seq,
        role=role,
        text=text,
        lang=lang,
        citations=citations or [],
        timings_ms=timings_ms or {},
        model=model,
        decision=decision,
        decision_reason=decision_reason,
        pii_counts=pii_counts or {},
        agent_id=agent_id,
    )
    if message_id is not None:
        msg.id = message_id
    if prompt_refs is not None:  # else SQL NULL (an explicit None would store JSON null)
        msg.prompt_refs = prompt_refs
    return await added(session, msg)


async def list_messages(
    session: AsyncSession, *, conversation_id: str, limit: int = 500
) -> Sequence[Message]:
    stmt = (
        select(Message)
        .where(Message.conversation_id == conversation_id)
        .order_by(Message.event_seq)
        .limit(limit)
    )
    return (await session.execute(stmt)).scalars().all()


async def get_message(session: AsyncSession, *, conversation_id: str, message_id: str) -> Message | None:
    stmt = select(Message).where(Message.id == message_id, Message.conversation_id == conversation_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def last_prompt_refs(
    session: AsyncSession, *, tenant_id: str, conversation_id: str
) -> dict[str, Any] | None:
    """``prompt_refs`` of the conversation's latest bot message (None when it has none)."""
    stmt = (
        select(Message.prompt_refs)
        .where(
            Message.tenant_id == tenant_id,
            Message.conversation_id == conversation_id,
            Message.role == "bot",
        )
        .order_by(Message.event_seq.desc())
        .limit(1)
    )
    refs: dict[str, Any] | None = (await session.execute(stmt)).scalar_one_or_none()
    return refs


async def stage_timings(
    session: AsyncSession, *, tenant_id: str, limit: int = 1000
) -> Sequence[dict[str, Any]]:
    """The stage timings of the tenant's most recent bot messages (for latency reports)."""
    stmt = (
        select(Message.timings_ms)
        .where(Message.tenant_id == tenant_id, Message.role == "bot")
        .order_by(Message.created_at.desc())
        .limit(limit)
    )
    return list((await session.execute(stmt)).scalars().all())


# --- feedback and handoffs -------------------------------------------------------------------------------


async def add_feedback(
    session: AsyncSession,
    *,
    tenant_id: str,
    conversation_id: str,
    message_id: str | None,
    thumbs: str | None,
    csat: int | None,
) -> Feedback:
    row = Feedback(
        tenant_id=tenant_id, conversation_id=conversation_id, message_id=message_id, thumbs=thumbs, csat=csat
    )
    return await added(session, row)


async def create_handoff(
    session: AsyncSession, *, tenant_id: str, conversation_id: str, reason: str, context: dict[str, Any]
) -> Handoff:
    row = Handoff(
        tenant_id=tenant_id, conversation_id=conversation_id, reason=reason, context=context, status="waiting"
    )
    return await added(session, row)


async def get_open_handoff(session: AsyncSession, *, tenant_id: str, conversation_id: str) -> Handoff | None:
    stmt = (
        select(Handoff)
        .where(
            Handoff.tenant_id == tenant_id,
            Handoff.conversation_id == conversation_id,
            Handoff.status.in_(("waiting", "assigned")),
        )
        .order_by(Handoff.created_at.desc())
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_handoffs(
    session: AsyncSession, *, tenant_id: str, status: str | None = "waiting", limit: int = 100
) -> Sequence[Handoff]:
    stmt = select(Handoff).where(Handoff.tenant_id == tenant_id)
    if status is not None:
        stmt = stmt.where(Handoff.status == status)
    stmt = stmt.order_by(Handoff.created_at).limit(limit)
    return (await session.execute(stmt)).scalars().all()
