"""SQL for staff SSO (OpenID Connect): tenants' providers, IdP identities, SSO logins. Keyword-only,
session first."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.base import utcnow
from app.db.crud_rows import added
from app.db.models import AuthSession, OidcIdentity, OidcProvider, OidcSession, User

# What ``update_provider`` may change (everything but the tenant and the ids).
PROVIDER_FIELDS = frozenset(
    {
        "issuer",
        "client_id",
        "client_secret_sealed",
        "scopes",
        "role_claim",
        "role_map",
        "enabled",
        "password_login_disabled",
        "session_check_s",
    }
)

# --- providers -------------------------------------------------------------------------------------------


async def get_provider(session: AsyncSession, *, tenant_id: str) -> OidcProvider | None:
    stmt = select(OidcProvider).where(OidcProvider.tenant_id == tenant_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def create_provider(
    session: AsyncSession, *, tenant_id: str, values: Mapping[str, Any]
) -> OidcProvider:
    _check_fields(values)
    return await added(session, OidcProvider(tenant_id=tenant_id, **values))


async def update_provider(
    session: AsyncSession, *, provider: OidcProvider, values: Mapping[str, Any]
) -> None:
    _check_fields(values)
    for name, value in values.items():
        setattr(provider, name, value)
    provider.updated_at = utcnow()
    await session.flush()


async def delete_provider(session: AsyncSession, *, tenant_id: str) -> bool:
    """Remove the tenant's provider; its SSO logins end with it (their ``oidc_sessions`` rows go by
    cascade and the logins are revoked here). Identities stay, so a provider set up again finds its users."""
    provider = await get_provider(session, tenant_id=tenant_id)
    if provider is None:
        return False
    ids = select(OidcSession.auth_session_id).where(OidcSession.provider_id == provider.id)
    await session.execute(
        update(AuthSession)
        .where(AuthSession.id.in_(ids), AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    await session.execute(delete(OidcSession).where(OidcSession.provider_id == provider.id))
    await session.delete(provider)
    await session.flush()
    return True


def _check_fields(values: Mapping[str, Any]) -> None:
    unknown = set(values) - PROVIDER_FIELDS
    if unknown:
        raise ValueError(f"not provider fields: {sorted(unknown)}")


async def password_login_disabled(session: AsyncSession, *, tenant_id: str) -> bool:
    stmt = select(OidcProvider.password_login_disabled).where(OidcProvider.tenant_id == tenant_id)
    return bool((await session.execute(stmt)).scalar_one_or_none())


async def revoke_password_sessions(session: AsyncSession, *, tenant_id: str) -> int:
    """End every live password login (no ``recheck_at``) of the tenant's users; returns how many."""
    users = select(User.id).where(User.tenant_id == tenant_id)
    stmt = (
        update(AuthSession)
        .where(
            AuthSession.user_id.in_(users), AuthSession.recheck_at.is_(None), AuthSession.revoked_at.is_(None)
        )
        .values(revoked_at=utcnow())
    )
    result = await session.execute(stmt)
    return int(getattr(result, "rowcount", 0) or 0)


# --- identities ------------------------------------------------------------------------------------------


async def get_identity_user(
    session: AsyncSession, *, tenant_id: str, issuer: str, subject: str
) -> User | None:
    stmt = (
        select(User)
        .join(OidcIdentity, OidcIdentity.user_id == User.id)
        .where(
            OidcIdentity.tenant_id == tenant_id,
            OidcIdentity.issuer == issuer,
            OidcIdentity.subject == subject,
        )
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def create_identity(
    session: AsyncSession, *, tenant_id: str, issuer: str, subject: str, user_id: str
) -> OidcIdentity:
    row = OidcIdentity(tenant_id=tenant_id, issuer=issuer, subject=subject, user_id=user_id)
    return await added(session, row)


# --- SSO logins ------------------------------------------------------------------------------------------


async def create_sso_session(
    session: AsyncSession,
    *,
    auth_session_id: str,
    provider_id: str,
    subject: str,
    refresh_token_sealed: str | None,
) -> OidcSession:
    row = OidcSession(
        auth_session_id=auth_session_id,
        provider_id=provider_id,
        subject=subject,
        refresh_token_sealed=refresh_token_sealed,
        checked_at=utcnow(),
    )
    return await added(session, row)


@dataclass(frozen=True, slots=True)
class DueSsoLogin:
    auth: AuthSession
    sso: OidcSession
    user: User
    provider: OidcProvider


async def sso_login_due(session: AsyncSession, *, token_hash: str) -> bool:
    """Is there a live SSO login of this token past its re-check (a plain read: an unknown or password
    token costs no write)?"""
    now = utcnow()
    stmt = select(AuthSession.id).where(
        AuthSession.token_hash == token_hash,
        AuthSession.revoked_at.is_(None),
        AuthSession.expires_at > now,
        AuthSession.recheck_at <= now,
    )
    return (await session.execute(stmt)).first() is not None


async def lock_due_sso_login(session: AsyncSession, *, token_hash: str) -> DueSsoLogin | None:
    """The SSO login of this token when it is live but due for its re-check at the IdP, under the database's
    write lock on its row until the transaction ends (a no-op UPDATE first: PostgreSQL locks the row,
    SQLite takes its write lock), so one request renews it while concurrent ones wait and then see it
    renewed. None when there is nothing to renew (unknown, revoked, expired, not SSO, or not due)."""
    now = utcnow()
    live = (
        AuthSession.token_hash == token_hash,
        AuthSession.revoked_at.is_(None),
        AuthSession.expires_at > now,
        AuthSession.recheck_at.is_not(None),
    )
    await session.execute(update(AuthSession).where(*live).values(recheck_at=AuthSession.recheck_at))
    stmt = (
        select(AuthSession, OidcSession, User, OidcProvider)
        .join(OidcSession, OidcSession.auth_session_id == AuthSession.id)
        .join(User, User.id == AuthSession.user_id)
        .join(OidcProvider, OidcProvider.id == OidcSession.provider_id)
        .where(*live, AuthSession.recheck_at <= now, User.is_active.is_(True))
        .execution_options(populate_existing=True)
    )
    row = (await session.execute(stmt)).first()
    if row is None:
        return None
    return DueSsoLogin(auth=row[0], sso=row[1], user=row[2], provider=row[3])


async def renew_sso_login(
    session: AsyncSession, *, login: DueSsoLogin, recheck_at: datetime, refresh_token_sealed: str | None
) -> None:
    login.auth.recheck_at = recheck_at
    login.sso.checked_at = utcnow()
    if refresh_token_sealed is not None:
        login.sso.refresh_token_sealed = refresh_token_sealed
    await session.flush()


async def end_sso_login(session: AsyncSession, *, login: DueSsoLogin) -> None:
    login.auth.revoked_at = utcnow()
    login.sso.refresh_token_sealed = None
    await session.flush()
