"""The audit row of something a signed-in user or API key did (``crud_audit.record`` with the actor's fields)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.service import Principal
from app.db import crud_audit
from app.db.models import AuditEvent


async def record_audit(
    session: AsyncSession,
    actor: Principal,
    *,
    action: str,
    target_type: str | None = None,
    target_id: str | None = None,
    data: dict[str, Any] | None = None,
    tenant_id: str | None = None,
) -> AuditEvent:
    """Add one audit event done by ``actor`` (flushes as ``crud_audit.record`` does, no commit). The event
    belongs to ``tenant_id``, by default the actor's tenant."""
    return await crud_audit.record(
        session,
        tenant_id=actor.tenant_id if tenant_id is None else tenant_id,
        actor_type=actor.actor_type,
        actor_id=actor.actor_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        data=data,
    )
