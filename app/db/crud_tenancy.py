"""SQL for tenants, users, login sessions, API keys and widget keys. Keyword-only, session first."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.base import utcnow
from app.db.crud_rows import added
from app.db.models import ApiKey, AuthSession, Tenant, User, WidgetKey


async def create_tenant(session: AsyncSession, *, slug: str, name: str) -> Tenant:
    tenant = Tenant(slug=slug, name=name, settings={})
    return await added(session, tenant)


async def get_tenant(session: AsyncSession, *, tenant_id: str) -> Tenant | None:
    return await session.get(Tenant, tenant_id)


async def get_tenant_by_slug(session: AsyncSession, *, slug: str) -> Tenant | None:
    return (await session.execute(select(Tenant).where(Tenant.slug == slug))).scalar_one_or_none()


async def all_privacy_allow_lists(session: AsyncSession) -> list[str]:
    """The union of every tenant's ``settings["privacy_allow_list"]`` (public values never masked)."""
    out: list[str] = []
    for settings in (await session.execute(select(Tenant.settings))).scalars().all():
        out += [str(v) for v in (settings or {}).get("privacy_allow_list", []) if str(v).strip()]
    return sorted(set(out))


async def count_tenants(session: AsyncSession) -> int:
    return int((await session.execute(select(func.count()).select_from(Tenant))).scalar_one())


# --- users -----------------------------------------------------------------------------------------------


async def create_user(
    session: AsyncSession,
    *,
    tenant_id: str,
    email: str,
    password_hash: str,
    role: str,
    display_name: str = "",
) -> User:
    user = User(
        tenant_id=tenant_id,
        email=email.strip().lower(),
        password_hash=password_hash,
        role=role,
        display_name=display_name,
        is_active=True,
    )
    return await added(session, user)


async def get_user_by_email(session: AsyncSession, *, tenant_id: str, email: str) -> User | None:
    stmt = select(User).where(User.tenant_id == tenant_id, User.email == email.strip().lower())
    return (await session.execute(stmt)).scalar_one_or_none()


async def users_with_email(session: AsyncSession, *, email: str, limit: int = 8) -> Sequence[User]:
    """The active users with this address in any tenant, oldest first (a login tries each)."""
    stmt = (
        select(User)
        .where(User.email == email.strip().lower(), User.is_active.is_(True))
        .order_by(User.created_at, User.id)
        .limit(limit)
    )
    return (await session.execute(stmt)).scalars().all()


async def get_user(
    session: AsyncSession, *, tenant_id: str, user_id: str, fresh: bool = False
) -> User | None:
    """``fresh``: re-read the row even if this session holds it already (after taking a lock)."""
    stmt = select(User).where(User.id == user_id, User.tenant_id == tenant_id)
    if fresh:
        stmt = stmt.execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_users(session: AsyncSession, *, tenant_id: str) -> Sequence[User]:
    stmt = select(User).where(User.tenant_id == tenant_id).order_by(User.created_at, User.email)
    return (await session.execute(stmt)).scalars().all()


async def set_user_password(session: AsyncSession, *, user: User, password_hash: str) -> None:
    user.password_hash = password_hash
    await session.flush()


async def mark_login(session: AsyncSession, *, user: User) -> None:
    user.last_login_at = utcnow()
    await session.flush()


async def lock_active_admins(session: AsyncSession, *, tenant_id: str) -> list[str]:
    """Ids of the tenant's active admins, read under the database's write lock on those rows, held until
    the transaction ends: a no-op UPDATE of them first (PostgreSQL locks the rows; SQLite, which starts a
    transaction only at the first write, takes its single write lock), then the read. A second caller waits
    at the UPDATE and then reads what the first committed."""
    admins = (User.tenant_id == tenant_id, User.role == "admin", User.is_active.is_(True))
    await session.execute(update(User).where(*admins).values(role=User.role))
    stmt = select(User.id).where(*admins).order_by(User.id)
    return list((await session.execute(stmt)).scalars().all())


async def count_active_admins(session: AsyncSession, *, tenant_id: str) -> int:
    stmt = select(func.count()).where(
        User.tenant_id == tenant_id, User.role == "admin", User.is_active.is_(True)
    )
    return int((await session.execute(stmt)).scalar_one())


async def update_user(
    session: AsyncSession, *, user: User, role: str | None = None, is_active: bool | None = None
) -> None:
    if role is not None:
        user.role = role
    if is_active is not None:
        user.is_active = is_active
    await session.flush()


# --- login sessions --------------------------------------------------------------------------------------


async def create_auth_session(
    session: AsyncSession,
    *,
    user_id: str,
    token_hash: str,
    expires_at: datetime,
    recheck_at: datetime | None = None,
) -> AuthSession:
    """``recheck_at``: an SSO login holds only until then unless renewed at the IdP (``crud_sso``)."""
    row = AuthSession(user_id=user_id, token_hash=token_hash, expires_at=expires_at, recheck_at=recheck_at)
    return await added(session, row)


async def get_session_user(session: AsyncSession, *, token_hash: str) -> User | None:
    """The active user behind a live (unexpired, unrevoked) session token; an SSO login only until its
    ``recheck_at`` (then it must be renewed at the IdP first: ``app.auth.sso.renewal``)."""
    now = utcnow()
    stmt = (
        select(User)
        .join(AuthSession, AuthSession.user_id == User.id)
        .where(
            AuthSession.token_hash == token_hash,
            AuthSession.revoked_at.is_(None),
            AuthSession.expires_at > now,
            or_(AuthSession.recheck_at.is_(None), AuthSession.recheck_at > now),
            User.is_active.is_(True),
        )
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def revoke_auth_session(session: AsyncSession, *, token_hash: str) -> None:
    stmt = (
        update(AuthSession)
        .where(AuthSession.token_hash == token_hash, AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    await session.execute(stmt)


async def revoke_user_sessions(session: AsyncSession, *, user_id: str) -> int:
    """End every live login of a user (a deactivated account); returns how many were open."""
    stmt = (
        update(AuthSession)
        .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    result = await session.execute(stmt)
    return int(getattr(result, "rowcount", 0) or 0)


# --- API keys --------------------------------------------------------------------------------------------


async def create_api_key(
    session: AsyncSession,
    *,
    tenant_id: str,
    name: str,
    prefix: str,
    key_hash: str,
    role: str,
    created_by: str | None,
) -> ApiKey:
    row = ApiKey(
        tenant_id=tenant_id, name=name, prefix=prefix, key_hash=key_hash, role=role, created_by=created_by
    )
    return await added(session, row)


async def get_live_api_key(session: AsyncSession, *, prefix: str) -> ApiKey | None:
    stmt = select(ApiKey).where(ApiKey.prefix == prefix, ApiKey.revoked_at.is_(None))
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_api_keys(session: AsyncSession, *, tenant_id: str) -> Sequence[ApiKey]:
    stmt = select(ApiKey).where(ApiKey.tenant_id == tenant_id).order_by(ApiKey.created_at)
    return (await session.execute(stmt)).scalars().all()


async def revoke_api_key(session: AsyncSession, *, tenant_id: str, key_id: str) -> bool:
    stmt = (
        update(ApiKey)
        .where(ApiKey.id == key_id, ApiKey.tenant_id == tenant_id, ApiKey.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    result = await session.execute(stmt)
    return bool(getattr(result, "rowcount", 0))


async def touch_api_key(session: AsyncSession, *, key: ApiKey) -> None:
    key.last_used_at = utcnow()
    await session.flush()


# --- widget keys -----------------------------------------------------------------------------------------


async def create_widget_key(
    session: AsyncSession, *, tenant_id: str, public_key: str, name: str, allowed_origins: list[str]
) -> WidgetKey:
    row = WidgetKey(
        tenant_id=tenant_id, public_key=public_key, name=name, allowed_origins=allowed_origins, is_active=True
    )
    return await added(session, row)


async def get_active_widget_key(session: AsyncSession, *, public_key: str) -> WidgetKey | None:
    stmt = select(WidgetKey).where(WidgetKey.public_key == public_key, WidgetKey.is_active.is_(True))
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_widget_key(session: AsyncSession, *, widget_key_id: str) -> WidgetKey | None:
    return await session.get(WidgetKey, widget_key_id)


async def list_widget_keys(session: AsyncSession, *, tenant_id: str) -> Sequence[WidgetKey]:
    stmt = select(WidgetKey).where(WidgetKey.tenant_id == tenant_id).order_by(WidgetKey.created_at)
    return (await session.execute(stmt)).scalars().all()


async def get_tenant_widget_key(session: AsyncSession, *, tenant_id: str, key_id: str) -> WidgetKey | None:
    stmt = select(WidgetKey).where(WidgetKey.id == key_id, WidgetKey.tenant_id == tenant_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def update_widget_key(
    session: AsyncSession,
    *,
    key: WidgetKey,
    name: str | None = None,
    allowed_origins: list[str] | None = None,
    is_active: bool | None = None,
) -> None:
    if name is not None:
        key.name = name
    if allowed_origins is not None:
        key.allowed_origins = allowed_origins
    if is_active is not None:
        key.is_active = is_active
    await session.flush()
