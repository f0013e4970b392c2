"""Admin routes for the tenant's single sign-on (OpenID Connect provider): ``GET/PUT/PATCH/DELETE
/admin/sso``. Admins only; the client secret goes in and never comes out."""

from __future__ import annotations

from fastapi import APIRouter, Request

from app.api.routes.auth_sso import redirect_uri
from app.auth.sso import admin as sso_admin
from app.db import crud_sso, crud_tenancy
from app.db.models import OidcProvider
from app.deps import AdminDep, SessionDep, SettingsDep, SsoGatewayDep
from app.errors import AppError, ErrorCode
from app.schemas.sso import OidcConfigCreate, OidcConfigPublic, OidcConfigUpdate
from app.settings import Settings

router = APIRouter(prefix="/admin", tags=["admin"])


async def _public(
    session: SessionDep, request: Request, settings: Settings, provider: OidcProvider
) -> OidcConfigPublic:
    tenant = await crud_tenancy.get_tenant(session, tenant_id=provider.tenant_id)
    slug = tenant.slug if tenant is not None else ""
    return OidcConfigPublic(
        issuer=provider.issuer,
        client_id=provider.client_id,
        client_secret_set=bool(provider.client_secret_sealed),
        scopes=provider.scopes,
        role_claim=provider.role_claim,
        role_map={str(k): str(v) for k, v in provider.role_map.items()},
        enabled=provider.enabled,
        password_login_disabled=provider.password_login_disabled,
        session_check_s=provider.session_check_s,
        redirect_uri=redirect_uri(request, settings),
        sign_in_url=f"/console?org={slug}",
        updated_at=provider.updated_at,
    )


@router.get("/sso", response_model=OidcConfigPublic)
async def get_sso(
    request: Request, admin: AdminDep, session: SessionDep, settings: SettingsDep
) -> OidcConfigPublic:
    provider = await crud_sso.get_provider(session, tenant_id=admin.tenant_id)
    if provider is None:
        raise AppError(ErrorCode.NOT_FOUND, "single sign-on is not set up for this tenant")
    return await _public(session, request, settings, provider)


@router.put("/sso", response_model=OidcConfigPublic)
async def put_sso(
    body: OidcConfigCreate,
    request: Request,
    admin: AdminDep,
    session: SessionDep,
    settings: SettingsDep,
    gateway: SsoGatewayDep,
) -> OidcConfigPublic:
    """Set up or replace. 422 ``sso_discovery_failed`` when the issuer's discovery document does not
    answer or names another issuer; 422 ``validation_error`` for a plain-http issuer (loopback aside), no
    ``openid`` scope, or passwords off without a value mapped to admin."""
    provider = await sso_admin.configure(
        session, actor=admin, gateway=gateway, secret=settings.secret_key.get_secret_value(), body=body
    )
    return await _public(session, request, settings, provider)


@router.patch("/sso", response_model=OidcConfigPublic)
async def patch_sso(
    body: OidcConfigUpdate,
    request: Request,
    admin: AdminDep,
    session: SessionDep,
    settings: SettingsDep,
    gateway: SsoGatewayDep,
) -> OidcConfigPublic:
    provider = await sso_admin.update(
        session, actor=admin, gateway=gateway, secret=settings.secret_key.get_secret_value(), body=body
    )
    return await _public(session, request, settings, provider)


@router.delete("/sso", status_code=204)
async def delete_sso(admin: AdminDep, session: SessionDep) -> None:
    """Remove single sign-on: its logins end, local passwords work again."""
    await sso_admin.remove(session, actor=admin)
