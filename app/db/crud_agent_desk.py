"""SQL of the agent console: canned responses, curated answers, and the handoff / conversation updates an
agent's actions make. Keyword-only, session first; every read is scoped by ``tenant_id``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.base import utcnow
from app.db.crud_rows import added, in_tenant
from app.db.models import CannedResponse, Conversation, CuratedAnswer, Handoff, User

# --- canned responses ------------------------------------------------------------------------------------


async def list_canned(
    session: AsyncSession, *, tenant_id: str, lang: str | None = None, limit: int = 200
) -> Sequence[CannedResponse]:
    """The tenant's canned responses, by title; with ``lang``, those in it and the language-neutral ones."""
    stmt = select(CannedResponse).where(CannedResponse.tenant_id == tenant_id)
    if lang:
        stmt = stmt.where(or_(CannedResponse.lang == lang, CannedResponse.lang == ""))
    stmt = stmt.order_by(CannedResponse.title, CannedResponse.id).limit(limit)
    return (await session.execute(stmt)).scalars().all()


async def count_canned(session: AsyncSession, *, tenant_id: str) -> int:
    stmt = select(func.count()).select_from(CannedResponse).where(CannedResponse.tenant_id == tenant_id)
    return int((await session.execute(stmt)).scalar_one())


async def get_canned(session: AsyncSession, *, tenant_id: str, canned_id: str) -> CannedResponse | None:
    return await in_tenant(session, CannedResponse, tenant_id=tenant_id, row_id=canned_id)


async def create_canned(
    session: AsyncSession, *, tenant_id: str, title: str, text: str, lang: str, created_by: str | None
) -> CannedResponse:
    row = CannedResponse(tenant_id=tenant_id, title=title, text=text, lang=lang, created_by=created_by)
    return await added(session, row)


async def update_canned(
    session: AsyncSession, *, row: CannedResponse, title: str, text: str, lang: str
) -> CannedResponse:
    row.title, row.text, row.lang = title, text, lang
    row.updated_at = utcnow()
    await session.flush()
    return row


async def delete_canned(session: AsyncSession, *, row: CannedResponse) -> None:
    await session.delete(row)
    await session.flush()


# --- curated answers -------------------------------------------------------------------------------------


async def create_curated(
    session: AsyncSession,
    *,
    tenant_id: str,
    conversation_id: str | None,
    question: str,
    answer: str,
    proposed_by: str | None,
) -> CuratedAnswer:
    row = CuratedAnswer(
        tenant_id=tenant_id,
        conversation_id=conversation_id,
        question=question,
        answer=answer,
        status="pending",
        proposed_by=proposed_by,
    )
    return await added(session, row)


async def get_curated(session: AsyncSession, *, tenant_id: str, curated_id: str) -> CuratedAnswer | None:
    return await in_tenant(session, CuratedAnswer, tenant_id=tenant_id, row_id=curated_id)


async def list_curated(
    session: AsyncSession,
    *,
    tenant_id: str,
    status: str | None = "pending",
    proposed_by: str | None = None,
    limit: int = 100,
) -> Sequence[CuratedAnswer]:
    """Newest first."""
    stmt = select(CuratedAnswer).where(CuratedAnswer.tenant_id == tenant_id)
    if status is not None:
        stmt = stmt.where(CuratedAnswer.status == status)
    if proposed_by is not None:
        stmt = stmt.where(CuratedAnswer.proposed_by == proposed_by)
    stmt = stmt.order_by(CuratedAnswer.created_at.desc(), CuratedAnswer.id).limit(limit)
    return (await session.execute(stmt)).scalars().all()


async def claim_curated(
    session: AsyncSession, *, tenant_id: str, curated_id: str, status: str, decided_by: str | None
) -> bool:
    """Decide a ``pending`` curated answer (``approved`` / ``rejected``) in one conditional UPDATE: False
    when it is no longer pending (another admin decided first) or does not exist."""
    if status not in ("approved", "rejected"):
        raise ValueError("a decision is approved or rejected")
    stmt = (
        update(CuratedAnswer)
        .where(
            CuratedAnswer.id == curated_id,
            CuratedAnswer.tenant_id == tenant_id,
            CuratedAnswer.status == "pending",
        )
        .values(status=status, decided_by=decided_by, decided_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool((await session.execute(stmt)).rowcount)  # type: ignore[attr-defined]


# --- handoffs and conversations, as agents act on them ---------------------------------------------------


async def latest_handoff(session: AsyncSession, *, tenant_id: str, conversation_id: str) -> Handoff | None:
    """The conversation's most recent handoff, whatever its status."""
    stmt = (
        select(Handoff)
        .where(Handoff.tenant_id == tenant_id, Handoff.conversation_id == conversation_id)
        .order_by(Handoff.created_at.desc(), Handoff.id.desc())
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def assign_handoff(session: AsyncSession, *, handoff: Handoff, agent_id: str | None) -> None:
    handoff.status, handoff.agent_id, handoff.assigned_at = "assigned", agent_id, utcnow()
    await session.flush()


async def finish_handoff(session: AsyncSession, *, handoff: Handoff, status: str) -> None:
    """``returned`` (back to the bot) or ``closed`` (the conversation ended)."""
    if status not in ("returned", "closed"):
        raise ValueError("a handoff finishes as returned or closed")
    handoff.status, handoff.closed_at = status, utcnow()
    await session.flush()


async def close_conversation(session: AsyncSession, *, conversation: Conversation, outcome: str) -> None:
    """Record the outcome; the status follows from the ConversationClosed event written alongside."""
    conversation.closed_at = utcnow()
    conversation.outcome = outcome
    await session.flush()


async def open_handoffs(session: AsyncSession, *, tenant_id: str, limit: int = 200) -> Sequence[Handoff]:
    """Waiting and assigned handoffs, oldest first (the queue)."""
    stmt = (
        select(Handoff)
        .where(Handoff.tenant_id == tenant_id, Handoff.status.in_(("waiting", "assigned")))
        .order_by(Handoff.created_at, Handoff.id)
        .limit(limit)
    )
    return (await session.execute(stmt)).scalars().all()


async def active_bot_conversations(
    session: AsyncSession, *, tenant_id: str, within: timedelta, limit: int = 50
) -> Sequence[Conversation]:
    """Conversations the bot is handling that moved within ``within``, most recent first."""
    since: datetime = utcnow() - within
    stmt = (
        select(Conversation)
        .where(
            Conversation.tenant_id == tenant_id,
            Conversation.status == "bot",
            Conversation.updated_at >= since,
            Conversation.event_version > 0,
        )
        .order_by(Conversation.updated_at.desc())
        .limit(limit)
    )
    return (await session.execute(stmt)).scalars().all()


async def user_names(session: AsyncSession, *, tenant_id: str, user_ids: Sequence[str]) -> dict[str, str]:
    """id -> display name (or e-mail) of the tenant's users among ``user_ids``."""
    ids = [u for u in dict.fromkeys(user_ids) if u]
    if not ids:
        return {}
    stmt = select(User.id, User.display_name, User.email).where(User.tenant_id == tenant_id, User.id.in_(ids))
    return {uid: (name or email) for uid, name, email in (await session.execute(stmt)).all()}


async def waiting_ahead(session: AsyncSession, *, tenant_id: str, conversation_id: str) -> int | None:
    """How many of the tenant's waiting handoffs are ahead of this conversation's (older ones: the queue
    is served oldest first); None when the conversation has no waiting handoff."""
    mine = (
        await session.execute(
            select(Handoff.created_at)
            .where(
                Handoff.tenant_id == tenant_id,
                Handoff.conversation_id == conversation_id,
                Handoff.status == "waiting",
            )
            .order_by(Handoff.created_at.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    if mine is None:
        return None
    ahead = await session.execute(
        select(func.count())
        .select_from(Handoff)
        .where(Handoff.tenant_id == tenant_id, Handoff.status == "waiting", Handoff.created_at < mine)
    )
    return int(ahead.scalar_one())
