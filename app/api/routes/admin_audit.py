"""The audit log for admins: who did what to which object (entity types and counts, never PII values),
filtered and paged newest first. Tenant-scoped."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from app.db import crud_kb_admin, crud_tenancy
from app.deps import AdminDep, SessionDep
from app.schemas.admin_config import AuditEventPublic, AuditPage

router = APIRouter(prefix="/admin/audit", tags=["admin: audit"])


@router.get("", response_model=AuditPage)
async def audit_log(
    admin: AdminDep,
    session: SessionDep,
    action: Annotated[str | None, Query(max_length=64)] = None,
    action_prefix: Annotated[str | None, Query(max_length=64)] = None,
    actor_id: Annotated[str | None, Query(max_length=64)] = None,
    target_type: Annotated[str | None, Query(max_length=32)] = None,
    target_id: Annotated[str | None, Query(max_length=64)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before_id: Annotated[int | None, Query(ge=1)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AuditPage:
    """Filters combine (AND). ``since``/``until`` are ISO-8601 (with a zone; UTC if none). Page with
    ``before_id`` = the previous page's ``next_before_id``."""
    rows = await crud_kb_admin.audit_page(
        session,
        tenant_id=admin.tenant_id,
        action=action or None,
        action_prefix=action_prefix or None,
        actor_id=actor_id or None,
        target_type=target_type or None,
        target_id=target_id or None,
        since=_utc(since),
        until=_utc(until),
        before_id=before_id,
        limit=limit + 1,
    )
    more = len(rows) > limit
    rows = rows[:limit]
    users = {u.id: u.email for u in await crud_tenancy.list_users(session, tenant_id=admin.tenant_id)}
    items = [
        AuditEventPublic(
            id=r.id,
            created_at=r.created_at,
            actor_type=r.actor_type,
            actor_id=r.actor_id,
            actor_email=users.get(r.actor_id or "") if r.actor_type == "user" else None,
            action=r.action,
            target_type=r.target_type,
            target_id=r.target_id,
            data=r.data or {},
        )
        for r in rows
    ]
    actions = await crud_kb_admin.audit_actions(session, tenant_id=admin.tenant_id)
    return AuditPage(items=items, next_before_id=rows[-1].id if more and rows else None, actions=actions)


def _utc(value: datetime | None) -> datetime | None:
    from datetime import UTC

    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
