"""Admin routes of the tenant's action catalogue: what the assistant may do for a customer through the
bank's API. Admins only, tenant-scoped; every change audited."""

from __future__ import annotations

from fastapi import APIRouter

from app.auth.audit import record_audit
from app.db import crud_actions
from app.db.models import ActionDef
from app.deps import AdminDep, SessionDep
from app.errors import AppError, ErrorCode
from app.schemas.admin_actions import ActionCreate, ActionPublic, ActionUpdate, BankCall, Templates

router = APIRouter(prefix="/admin/actions", tags=["admin: actions"])


def _public(row: ActionDef) -> ActionPublic:
    return ActionPublic(
        id=row.id,
        name=row.name,
        description={str(k): str(v) for k, v in row.description.items()},
        parameters=dict(row.parameters),
        verification=row.verification,
        confirm=row.confirm,
        handoff_after=row.handoff_after,
        enabled=row.enabled,
        http=BankCall.model_validate(row.http),
        keywords=[str(k) for k in row.keywords],
        templates=Templates.model_validate(row.templates),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


@router.get("", response_model=list[ActionPublic])
async def list_actions(admin: AdminDep, session: SessionDep) -> list[ActionPublic]:
    return [_public(r) for r in await crud_actions.list_actions(session, tenant_id=admin.tenant_id)]


@router.post("", status_code=201, response_model=ActionPublic)
async def create_action(body: ActionCreate, admin: AdminDep, session: SessionDep) -> ActionPublic:
    if await crud_actions.get_action_by_name(session, tenant_id=admin.tenant_id, name=body.name):
        raise AppError(ErrorCode.CONFLICT, f"an action named {body.name!r} exists already")
    row = await crud_actions.create_action(session, tenant_id=admin.tenant_id, fields=body.model_dump())
    await record_audit(session, admin, action="action_def.create", target_type="action", target_id=row.id)
    await session.commit()
    return _public(row)


@router.get("/{action_id}", response_model=ActionPublic)
async def get_action(action_id: str, admin: AdminDep, session: SessionDep) -> ActionPublic:
    row = await crud_actions.get_action(session, tenant_id=admin.tenant_id, action_id=action_id)
    if row is None:
        raise AppError(ErrorCode.NOT_FOUND, "no such action")
    return _public(row)


@router.patch("/{action_id}", response_model=ActionPublic)
async def update_action(
    action_id: str, body: ActionUpdate, admin: AdminDep, session: SessionDep
) -> ActionPublic:
    row = await crud_actions.get_action(session, tenant_id=admin.tenant_id, action_id=action_id)
    if row is None:
        raise AppError(ErrorCode.NOT_FOUND, "no such action")
    merged = {**_public(row).model_dump(), **body.model_dump(exclude_unset=True, exclude_none=True)}
    try:  # the whole row must still be a valid action (a URL naming a parameter that is gone, ...)
        checked = ActionCreate.model_validate(
            {k: v for k, v in merged.items() if k in ActionCreate.model_fields}
        )
    except ValueError as exc:
        raise AppError(ErrorCode.VALIDATION_ERROR, str(exc)) from None
    fields = checked.model_dump(exclude={"name"})
    await crud_actions.update_action(session, row=row, fields=fields)
    await record_audit(
        session, admin, action="action_def.update", target_type="action", target_id=row.id,
        data={"fields": sorted(body.model_dump(exclude_unset=True))},
    )  # fmt: skip
    await session.commit()
    await session.refresh(row)
    return _public(row)


@router.delete("/{action_id}", status_code=204)
async def delete_action(action_id: str, admin: AdminDep, session: SessionDep) -> None:
    if not await crud_actions.delete_action(session, tenant_id=admin.tenant_id, action_id=action_id):
        raise AppError(ErrorCode.NOT_FOUND, "no such action")
    await record_audit(session, admin, action="action_def.delete", target_type="action", target_id=action_id)
    await session.commit()
