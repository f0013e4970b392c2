"""A tenant's provider settings, set by its admins: validated (an https issuer whose discovery document
answers and names itself, ``openid`` in the scopes, a role map that can make an admin before passwords
are turned off), the client secret sealed, audited (``sso.configure`` / ``sso.update`` / ``sso.delete``;
never the secret). Turning local passwords off ends the tenant's password logins at once."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.audit import record_audit
from app.auth.service import Principal
from app.auth.sso.idp import IdpGateway, SsoFailure, issuer_problem
from app.auth.sso.sealing import seal
from app.auth.sso.signin import CLIENT_SECRET_PURPOSE
from app.db import crud_sso
from app.db.models import OidcProvider
from app.errors import AppError, ErrorCode
from app.schemas.sso import OidcConfigCreate, OidcConfigUpdate

AUDITED = ("issuer", "client_id", "scopes", "role_claim", "role_map", "enabled", "password_login_disabled",
           "session_check_s")  # fmt: skip


async def _checked(values: dict[str, Any], *, gateway: IdpGateway, secret: str) -> dict[str, Any]:
    """``values`` validated and ready to store (the client secret sealed)."""
    out = dict(values)
    if "issuer" in out:
        out["issuer"] = out["issuer"].strip()
        problem = issuer_problem(out["issuer"])
        if problem is not None:
            raise AppError(ErrorCode.VALIDATION_ERROR, problem)
        try:
            await gateway.metadata(out["issuer"])
        except SsoFailure as exc:
            raise AppError(
                ErrorCode.SSO_DISCOVERY_FAILED, f"the issuer's discovery failed: {exc.detail}"
            ) from exc
    if "scopes" in out:
        out["scopes"] = " ".join(out["scopes"].split())
        if "openid" not in out["scopes"].split():
            raise AppError(ErrorCode.VALIDATION_ERROR, "the scopes must include openid")
    if "client_secret" in out:
        out["client_secret_sealed"] = seal(secret, CLIENT_SECRET_PURPOSE, out.pop("client_secret"))
    return out


def _lockout_check(provider: OidcProvider) -> None:
    if provider.password_login_disabled and not (provider.enabled and "admin" in provider.role_map.values()):
        raise AppError(
            ErrorCode.VALIDATION_ERROR,
            "local passwords can be turned off only while single sign-on is enabled and maps a value to admin",
        )


async def configure(
    session: AsyncSession, *, actor: Principal, gateway: IdpGateway, secret: str, body: OidcConfigCreate
) -> OidcProvider:
    """Set up (or replace) the tenant's provider; commits."""
    values = await _checked(body.model_dump(), gateway=gateway, secret=secret)
    provider = await crud_sso.get_provider(session, tenant_id=actor.tenant_id)
    was_disabled = provider is not None and provider.password_login_disabled
    if provider is None:
        provider = await crud_sso.create_provider(session, tenant_id=actor.tenant_id, values=values)
    else:
        await crud_sso.update_provider(session, provider=provider, values=values)
    return await _finish(session, actor=actor, provider=provider, action="sso.configure",
                         changed=list(AUDITED), was_disabled=was_disabled)  # fmt: skip


async def update(
    session: AsyncSession, *, actor: Principal, gateway: IdpGateway, secret: str, body: OidcConfigUpdate
) -> OidcProvider:
    provider = await crud_sso.get_provider(session, tenant_id=actor.tenant_id)
    if provider is None:
        raise AppError(ErrorCode.NOT_FOUND, "single sign-on is not set up for this tenant (PUT it first)")
    given = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    was_disabled = provider.password_login_disabled
    values = await _checked(given, gateway=gateway, secret=secret)
    await crud_sso.update_provider(session, provider=provider, values=values)
    changed = [k for k in given if k != "client_secret"] + (
        ["client_secret"] if "client_secret" in given else []
    )
    return await _finish(session, actor=actor, provider=provider, action="sso.update", changed=changed,
                         was_disabled=was_disabled)  # fmt: skip


async def _finish(
    session: AsyncSession, *, actor: Principal, provider: OidcProvider, action: str, changed: list[str],
    was_disabled: bool,
) -> OidcProvider:  # fmt: skip
    _lockout_check(provider)
    data: dict[str, Any] = {"changed": changed, "issuer": provider.issuer, "enabled": provider.enabled,
                            "password_login_disabled": provider.password_login_disabled}  # fmt: skip
    if provider.password_login_disabled and not was_disabled:
        data["password_sessions_ended"] = await crud_sso.revoke_password_sessions(
            session, tenant_id=provider.tenant_id
        )
    await record_audit(
        session, actor, action=action, target_type="oidc_provider", target_id=provider.id, data=data
    )
    await session.commit()
    return provider


async def remove(session: AsyncSession, *, actor: Principal) -> None:
    """Remove the tenant's provider (its SSO logins end; local passwords work again); commits."""
    if not await crud_sso.delete_provider(session, tenant_id=actor.tenant_id):
        raise AppError(ErrorCode.NOT_FOUND, "single sign-on is not set up for this tenant")
    await record_audit(session, actor, action="sso.delete", target_type="oidc_provider")
    await session.commit()
