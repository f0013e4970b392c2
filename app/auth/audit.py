"""The audit row of something a signed-in user, an API key or the system did (``crud_audit.record`` with the
actor's fields)."""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.service import Principal
from app.db import crud_audit
from app.db.models import AuditEvent


class AuditActor(Protocol):
    """Who did it: a ``Principal`` or a ``kb.versions.Actor`` (user | api_key | system)."""

    @property
    def actor_type(self) -> str: ...

    @property
    def actor_id(self) -> str | None: ...


async def record_by(
    session: AsyncSession,
    actor: AuditActor,
    *,
    tenant_id: str | None,
    action: str,
    target_type: str | None = None,
    target_id: str | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add one audit event of ``tenant_id`` done by ``actor`` (flushes as ``crud_audit.record`` does, no
    commit)."""
    return await crud_audit.record(
        session,
        tenant_id=tenant_id,
        actor_type=actor.actor_type,
        actor_id=actor.actor_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        data=data,
    )


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
    """``record_by`` for a signed-in principal: the event belongs to ``tenant_id``, by default the actor's
    tenant."""
    return await record_by(
        session,
        actor,
        tenant_id=actor.tenant_id if tenant_id is None else tenant_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        data=data,
    )
