"""Admin routes of the tenant's intents (name, description, examples, handoff flag, required slots, topic
names). Saving retrains the tenant's tracker in the background (``tenant_trackers``); the previous one
serves until the new one is ready (``GET /admin/intents/status``). A tenant without intents uses the
configured default set. Admins only, tenant-scoped."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.audit import record_audit
from app.auth.service import Principal
from app.chat import tenant_trackers
from app.container import Container
from app.db import crud_kb, crud_kb_admin
from app.db.models import Intent
from app.deps import AdminDep, ContainerDep, SessionDep
from app.errors import AppError, ErrorCode
from app.schemas.admin_config import IntentCreate, IntentPublic, IntentSetStatus, IntentUpdate
from dialog.errors import IntentConfigError
from dialog.intents import load_intents_yaml

router = APIRouter(prefix="/admin/intents", tags=["admin: intents"])


def _public(row: Intent) -> IntentPublic:
    return IntentPublic(
        id=row.id,
        name=row.name,
        description=row.description,
        examples=[str(e) for e in row.examples],
        handoff=row.handoff,
        required_slots=[str(s) for s in row.required_slots],
        topic={str(k): str(v) for k, v in (row.topic or {}).items()},
        created_at=row.created_at,
    )


async def _check_set(container: Container, session: AsyncSession, tenant_id: str) -> None:
    """The tenant's intents after the pending change must still train (or be empty: the default set)."""
    await session.flush()
    rows = list(await crud_kb.list_intents(session, tenant_id=tenant_id))
    if not rows:
        return
    try:
        await tenant_trackers.for_container(container).trainable(tenant_trackers.intent_set_of(rows))
    except IntentConfigError as exc:
        raise AppError(ErrorCode.VALIDATION_ERROR, str(exc)) from None


async def _saved(
    container: Container, session: AsyncSession, admin: Principal, action: str, target: str
) -> None:
    await record_audit(
        session,
        admin,
        action=action,
        target_type="intent",
        target_id=target,
    )
    await session.commit()
    await tenant_trackers.for_container(container).refresh(admin.tenant_id)


@router.get("", response_model=list[IntentPublic])
async def list_intents(admin: AdminDep, session: SessionDep) -> list[IntentPublic]:
    return [_public(r) for r in await crud_kb.list_intents(session, tenant_id=admin.tenant_id)]


@router.get("/status", response_model=IntentSetStatus)
async def intents_status(admin: AdminDep, container: ContainerDep) -> IntentSetStatus:
    """Which intent set the tenant's tracker runs on and whether it has caught up with the last save."""
    s = await tenant_trackers.for_container(container).refresh(admin.tenant_id)
    return IntentSetStatus(
        source=s.source, revision=s.revision, intents=s.intents, ready=s.ready, error=s.error
    )


@router.post("", status_code=201, response_model=IntentPublic)
async def create_intent(
    body: IntentCreate, admin: AdminDep, session: SessionDep, container: ContainerDep
) -> IntentPublic:
    if await crud_kb_admin.get_intent_by_name(session, tenant_id=admin.tenant_id, name=body.name):
        raise AppError(ErrorCode.CONFLICT, f"an intent named {body.name!r} exists already")
    row = await crud_kb.upsert_intent(session, tenant_id=admin.tenant_id, **body.model_dump())
    await _check_set(container, session, admin.tenant_id)
    await _saved(container, session, admin, "intent.create", row.id)
    return _public(row)


@router.put("/{intent_id}", response_model=IntentPublic)
async def update_intent(
    intent_id: str, body: IntentUpdate, admin: AdminDep, session: SessionDep, container: ContainerDep
) -> IntentPublic:
    row = await crud_kb_admin.get_intent(session, tenant_id=admin.tenant_id, intent_id=intent_id)
    if row is None:
        raise AppError(ErrorCode.NOT_FOUND, "no such intent")
    if body.name != row.name and await crud_kb_admin.get_intent_by_name(
        session, tenant_id=admin.tenant_id, name=body.name
    ):
        raise AppError(ErrorCode.CONFLICT, f"an intent named {body.name!r} exists already")
    row.name = body.name
    row.description, row.examples, row.handoff = body.description, body.examples, body.handoff
    row.required_slots, row.topic = body.required_slots, body.topic
    await _check_set(container, session, admin.tenant_id)
    await _saved(container, session, admin, "intent.update", row.id)
    return _public(row)


@router.delete("/{intent_id}", status_code=204)
async def delete_intent(
    intent_id: str, admin: AdminDep, session: SessionDep, container: ContainerDep
) -> None:
    if not await crud_kb_admin.delete_intent(session, tenant_id=admin.tenant_id, intent_id=intent_id):
        raise AppError(ErrorCode.NOT_FOUND, "no such intent")
    await _check_set(container, session, admin.tenant_id)
    await _saved(container, session, admin, "intent.delete", intent_id)


@router.post("/import-default", response_model=list[IntentPublic])
async def import_default(admin: AdminDep, session: SessionDep, container: ContainerDep) -> list[IntentPublic]:
    """Add the standard intent set (``DIALOG__INTENTS_PATH``) to the tenant's; intents it already has by
    name are kept as they are."""
    standard = await asyncio.to_thread(load_intents_yaml, container.settings.dialog.intents_path)
    have = {r.name for r in await crud_kb.list_intents(session, tenant_id=admin.tenant_id)}
    for spec in standard:
        if spec.name not in have:
            await crud_kb.upsert_intent_spec(session, tenant_id=admin.tenant_id, spec=spec)
    await _check_set(container, session, admin.tenant_id)
    await _saved(container, session, admin, "intent.import_default", "standard")
    return [_public(r) for r in await crud_kb.list_intents(session, tenant_id=admin.tenant_id)]
