"""SQL for the audit trail. Callers pass entity types and counts, never PII values."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.crud_rows import added
from app.db.models import AuditEvent


async def record(
    session: AsyncSession,
    *,
    tenant_id: str | None,
    actor_type: str,
    actor_id: str | None,
    action: str,
    target_type: str | None = None,
    target_id: str | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    row = AuditEvent(
        tenant_id=tenant_id,
        actor_type=actor_type,
        actor_id=actor_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        data=data or {},
    )
    return await added(session, row)


async def list_events(
    session: AsyncSession, *, tenant_id: str, action: str | None = None, limit: int = 200
) -> Sequence[AuditEvent]:
    stmt = select(AuditEvent).where(AuditEvent.tenant_id == tenant_id)
    if action is not None:
        stmt = stmt.where(AuditEvent.action == action)
    stmt = stmt.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc()).limit(limit)
    return (await session.execute(stmt)).scalars().all()
