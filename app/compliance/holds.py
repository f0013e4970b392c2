"""Legal holds: a conversation, or every conversation of a customer, kept whatever the retention policy
says, and never erased, until the hold is released. Placing and releasing are audited with the reason
and who did it; the retention purge and erasure read active holds inside their own SQL."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.audit import record_by
from app.container import Container
from app.db import crud_compliance, crud_conversations
from app.db.models import LegalHold
from app.errors import AppError, ErrorCode
from app.kb.versions import Actor

MAX_REASON = 1000


def refusal(holds: Sequence[LegalHold]) -> AppError:
    """The error of a request a hold stops: ``legal_hold_active``, with each hold's id and reason."""
    reasons = "; ".join(f"hold {h.id}: {h.reason}" for h in holds)
    return AppError(ErrorCode.LEGAL_HOLD_ACTIVE, f"a legal hold applies ({reasons}); release it first")


async def place(
    container: Container,
    *,
    tenant_id: str,
    actor: Actor,
    reason: str,
    conversation_id: str | None = None,
    customer_id: str | None = None,
) -> LegalHold:
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON:
        raise AppError(ErrorCode.VALIDATION_ERROR, f"a hold needs a reason of 1..{MAX_REASON} characters")
    if (conversation_id is None) == (customer_id is None):
        raise AppError(ErrorCode.VALIDATION_ERROR, "name either a conversation or a customer")
    if customer_id is not None and not customer_id.strip():
        raise AppError(ErrorCode.VALIDATION_ERROR, "the customer id is empty")
    async with container.sessions() as session:
        if conversation_id is not None:
            conv = await crud_conversations.get_conversation(
                session, tenant_id=tenant_id, conversation_id=conversation_id
            )
            if conv is None:
                raise AppError(ErrorCode.CONVERSATION_NOT_FOUND, "no such conversation")
        hold = await crud_compliance.create_hold(
            session,
            tenant_id=tenant_id,
            conversation_id=conversation_id,
            customer_id=customer_id,
            reason=reason,
            created_by=actor.actor_id,
        )
        await _audit(session, tenant_id, actor, "legal_hold.place", hold)
        await session.commit()
        return hold


async def release(container: Container, *, tenant_id: str, actor: Actor, hold_id: str) -> LegalHold:
    """Release a hold (releasing a released hold again changes nothing)."""
    async with container.sessions() as session:
        hold = await crud_compliance.get_hold(session, tenant_id=tenant_id, hold_id=hold_id)
        if hold is None:
            raise AppError(ErrorCode.NOT_FOUND, "no such legal hold")
        if hold.released_at is None:
            await crud_compliance.release_hold(session, hold=hold, released_by=actor.actor_id)
            await _audit(session, tenant_id, actor, "legal_hold.release", hold)
            await session.commit()
        return hold


async def active(container: Container, *, tenant_id: str) -> Sequence[LegalHold]:
    async with container.sessions() as session:
        return await crud_compliance.list_holds(session, tenant_id=tenant_id)


async def _audit(session: AsyncSession, tenant_id: str, actor: Actor, action: str, hold: LegalHold) -> None:
    # The reason is the operator's text about the case, not customer data; the customer id is not logged.
    await record_by(
        session,
        actor,
        tenant_id=tenant_id,
        action=action,
        target_type="legal_hold",
        target_id=hold.id,
        data={"scope": "conversation" if hold.conversation_id else "customer", "reason": hold.reason},
    )
