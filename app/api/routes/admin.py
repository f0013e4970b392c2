"""Admin routes for people and keys (the admin console's knowledge-base routes live in their own
modules). Admins only; every query is scoped to the admin's tenant."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import service as auth
from app.auth import widget_keys
from app.auth.audit import record_audit
from app.auth.credentials import new_api_key, new_widget_key
from app.auth.service import Principal
from app.db import crud_tenancy
from app.deps import AdminDep, SessionDep
from app.errors import AppError, ErrorCode
from app.schemas.auth import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyPublic,
    UserCreate,
    UserPublic,
    UserUpdate,
    WidgetKeyCreate,
    WidgetKeyPublic,
    WidgetKeyUpdate,
)

router = APIRouter(prefix="/admin", tags=["admin"])


async def _audit(
    session: AsyncSession,
    admin: Principal,
    action: str,
    target_type: str,
    target_id: str,
    data: dict[str, Any] | None = None,
) -> None:
    """Record what the admin did to one key or user and commit it with the change."""
    await record_audit(session, admin, action=action, target_type=target_type, target_id=target_id, data=data)
    await session.commit()


@router.get("/users", response_model=list[UserPublic])
async def list_users(admin: AdminDep, session: SessionDep) -> list[UserPublic]:
    users = await crud_tenancy.list_users(session, tenant_id=admin.tenant_id)
    return [UserPublic.model_validate(u, from_attributes=True) for u in users]


@router.post("/users", status_code=201, response_model=UserPublic)
async def create_user(body: UserCreate, admin: AdminDep, session: SessionDep) -> UserPublic:
    user = await auth.create_user(
        session,
        tenant_id=admin.tenant_id,
        email=body.email,
        password=body.password,
        role=body.role,
        display_name=body.display_name,
    )
    await _audit(session, admin, "user.create", "user", user.id, {"role": user.role})
    return UserPublic.model_validate(user, from_attributes=True)


@router.patch("/users/{user_id}", response_model=UserPublic)
async def update_user(
    user_id: Annotated[str, Path(max_length=64)], body: UserUpdate, admin: AdminDep, session: SessionDep
) -> UserPublic:
    """Change a role or (de)activate an account; audited. 409 ``conflict`` for the tenant's last admin."""
    user = await auth.update_user(
        session, actor=admin, user_id=user_id, role=body.role, is_active=body.is_active
    )
    return UserPublic.model_validate(user, from_attributes=True)


@router.get("/api-keys", response_model=list[ApiKeyPublic])
async def list_api_keys(admin: AdminDep, session: SessionDep) -> list[ApiKeyPublic]:
    keys = await crud_tenancy.list_api_keys(session, tenant_id=admin.tenant_id)
    return [ApiKeyPublic.model_validate(k, from_attributes=True) for k in keys]


@router.post("/api-keys", status_code=201, response_model=ApiKeyCreated)
async def create_api_key(body: ApiKeyCreate, admin: AdminDep, session: SessionDep) -> ApiKeyCreated:
    """The key is in this response only; store it now."""
    new = new_api_key()
    row = await crud_tenancy.create_api_key(
        session,
        tenant_id=admin.tenant_id,
        name=body.name,
        prefix=new.prefix,
        key_hash=new.key_hash,
        role=body.role,
        created_by=admin.actor_id if admin.actor_type == "user" else None,
    )
    await _audit(session, admin, "api_key.create", "api_key", row.id, {"role": row.role})
    public = ApiKeyPublic.model_validate(row, from_attributes=True)
    return ApiKeyCreated(**public.model_dump(), key=new.key)


@router.delete("/api-keys/{key_id}", status_code=204)
async def revoke_api_key(key_id: str, admin: AdminDep, session: SessionDep) -> None:
    if not await crud_tenancy.revoke_api_key(session, tenant_id=admin.tenant_id, key_id=key_id):
        raise AppError(ErrorCode.NOT_FOUND, "no such live API key")
    await _audit(session, admin, "api_key.revoke", "api_key", key_id)


@router.get("/widget-keys", response_model=list[WidgetKeyPublic])
async def list_widget_keys(admin: AdminDep, session: SessionDep) -> list[WidgetKeyPublic]:
    keys = await crud_tenancy.list_widget_keys(session, tenant_id=admin.tenant_id)
    return [WidgetKeyPublic.model_validate(k, from_attributes=True) for k in keys]


@router.post("/widget-keys", status_code=201, response_model=WidgetKeyPublic)
async def create_widget_key(body: WidgetKeyCreate, admin: AdminDep, session: SessionDep) -> WidgetKeyPublic:
    origins = widget_keys.validated_origins(body.allowed_origins)
    row = await crud_tenancy.create_widget_key(
        session,
        tenant_id=admin.tenant_id,
        public_key=new_widget_key(),
        name=body.name,
        allowed_origins=origins,
    )
    await _audit(session, admin, "widget_key.create", "widget_key", row.id, {"origins": origins})
    return WidgetKeyPublic.model_validate(row, from_attributes=True)


@router.patch("/widget-keys/{key_id}", response_model=WidgetKeyPublic)
async def update_widget_key(
    key_id: Annotated[str, Path(max_length=64)], body: WidgetKeyUpdate, admin: AdminDep, session: SessionDep
) -> WidgetKeyPublic:
    """Rename, change the allowed origins, disable or re-enable; audited. Applies to the next request."""
    row = await widget_keys.update_widget_key(
        session,
        actor=admin,
        key_id=key_id,
        name=body.name,
        allowed_origins=body.allowed_origins,
        is_active=body.is_active,
    )
    return WidgetKeyPublic.model_validate(row, from_attributes=True)
