"""Who is calling: admin/agent users (password login -> session token), API keys, widget keys.

A ``Principal`` is what every admin/agent route receives; its ``tenant_id`` scopes every query the route
makes. Passwords are argon2id (checked in a worker thread), tokens and keys are stored as SHA-256.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.credentials import (
    MIN_PASSWORD_CHARS,
    api_key_matches,
    dummy_verify,
    hash_password,
    new_session_token,
    parse_api_key,
    sha256_hex,
    verify_password,
)
from app.db import crud_audit, crud_sso, crud_tenancy
from app.db.base import utcnow
from app.db.models import User, WidgetKey
from app.errors import AppError, ErrorCode

ROLES = ("admin", "agent")

# Renews a due SSO login at the IdP (``app.auth.sso.renewal.SsoRenewal``): (session, token hash) -> None.
Renewal = Callable[[AsyncSession, str], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Principal:
    tenant_id: str
    role: str  # admin | agent
    actor_type: str  # user | api_key
    actor_id: str
    email: str | None = None

    def has_role(self, *roles: str) -> bool:
        return self.role in roles


@dataclass(frozen=True, slots=True)
class LoginResult:
    token: str
    expires_at: datetime
    user: User


async def login(session: AsyncSession, *, email: str, password: str, ttl_s: int) -> LoginResult:
    """Check the password and open a session. Same error, and about the same time, for an unknown e-mail
    and a wrong password. An address used in several tenants (unique per tenant only) signs in the user
    whose password it is; a wrong one is audited in each of those tenants."""
    candidates = await crud_tenancy.users_with_email(session, email=email)
    if not candidates:
        await asyncio.to_thread(dummy_verify, password)
        raise AppError(ErrorCode.INVALID_CREDENTIALS, "wrong e-mail or password")
    user = None
    for candidate in candidates:
        if await asyncio.to_thread(verify_password, candidate.password_hash, password):
            user = candidate
            break
    if user is None:
        for candidate in candidates:
            await crud_audit.record(
                session, tenant_id=candidate.tenant_id, actor_type="user", actor_id=candidate.id,
                action="user.login_failed",
            )  # fmt: skip
        await session.commit()
        raise AppError(ErrorCode.INVALID_CREDENTIALS, "wrong e-mail or password")
    if await crud_sso.password_login_disabled(session, tenant_id=user.tenant_id):
        # Said only after the right password: the refusal reveals nothing to someone guessing.
        await crud_audit.record(
            session, tenant_id=user.tenant_id, actor_type="user", actor_id=user.id,
            action="user.login_refused", data={"reason": "password_login_disabled"},
        )  # fmt: skip
        await session.commit()
        raise AppError(
            ErrorCode.PASSWORD_LOGIN_DISABLED,
            "this organisation signs in through its identity provider: use single sign-on",
        )
    token = new_session_token()
    expires_at = utcnow() + timedelta(seconds=ttl_s)
    await crud_tenancy.create_auth_session(
        session, user_id=user.id, token_hash=sha256_hex(token), expires_at=expires_at
    )
    await crud_tenancy.mark_login(session, user=user)
    await crud_audit.record(
        session, tenant_id=user.tenant_id, actor_type="user", actor_id=user.id, action="user.login"
    )
    await session.commit()
    return LoginResult(token=token, expires_at=expires_at, user=user)


async def logout(session: AsyncSession, *, token: str) -> None:
    await crud_tenancy.revoke_auth_session(session, token_hash=sha256_hex(token))
    await session.commit()


async def authenticate(
    session: AsyncSession, *, token: str, renewal: Renewal | None = None
) -> Principal | None:
    """A session token or an API key -> the principal, or None when it is unknown, expired or revoked.

    An SSO login past its ``recheck_at`` counts only once ``renewal`` has re-checked it at the IdP
    (without one, it simply no longer counts)."""
    if parse_api_key(token) is not None:
        return await _authenticate_api_key(session, token)
    token_hash = sha256_hex(token)
    user = await crud_tenancy.get_session_user(session, token_hash=token_hash)
    if user is None and renewal is not None:
        await renewal(session, token_hash)
        user = await crud_tenancy.get_session_user(session, token_hash=token_hash)
    if user is None:
        return None
    return Principal(
        tenant_id=user.tenant_id, role=user.role, actor_type="user", actor_id=user.id, email=user.email
    )


async def _authenticate_api_key(session: AsyncSession, key: str) -> Principal | None:
    prefix = parse_api_key(key)
    if prefix is None:
        return None
    row = await crud_tenancy.get_live_api_key(session, prefix=prefix)
    if row is None or not api_key_matches(key, row.key_hash):
        return None
    last = row.last_used_at
    if last is None or utcnow() - last > timedelta(minutes=1):  # don't write on every request
        await crud_tenancy.touch_api_key(session, key=row)
        await session.commit()
    return Principal(tenant_id=row.tenant_id, role=row.role, actor_type="api_key", actor_id=row.id)


async def create_user(
    session: AsyncSession, *, tenant_id: str, email: str, password: str, role: str, display_name: str = ""
) -> User:
    """Validated user creation (shared by the admin API and ``kefu create-user``); flushes, no commit."""
    if role not in ROLES:
        raise AppError(ErrorCode.VALIDATION_ERROR, f"role must be one of {', '.join(ROLES)}")
    if "@" not in email or len(email) > 320:
        raise AppError(ErrorCode.VALIDATION_ERROR, "email is not an e-mail address")
    if len(password) < MIN_PASSWORD_CHARS:
        raise AppError(
            ErrorCode.VALIDATION_ERROR, f"password must have at least {MIN_PASSWORD_CHARS} characters"
        )
    # Unique within the tenant only: another tenant's use of the address is never revealed.
    if await crud_tenancy.get_user_by_email(session, tenant_id=tenant_id, email=email) is not None:
        raise AppError(ErrorCode.CONFLICT, "a user with this e-mail exists in this tenant")
    pw_hash = await asyncio.to_thread(hash_password, password)
    return await crud_tenancy.create_user(
        session, tenant_id=tenant_id, email=email, password_hash=pw_hash, role=role, display_name=display_name
    )


async def update_user(
    session: AsyncSession,
    *,
    actor: Principal,
    user_id: str,
    role: str | None = None,
    is_active: bool | None = None,
) -> User:
    """Change a user's role and/or account state within the actor's tenant, audited (``user.role_change``
    with from/to; ``user.deactivate`` / ``user.reactivate``); commits. A deactivated user's sessions end at
    once; a role change applies to the user's next request (roles are read per request).

    404 ``not_found`` for a user of another tenant; 409 ``conflict`` when the change would leave the
    tenant without an active admin."""
    # Lock the tenant's admins first: two admins removing each other at once would both see two admins.
    admins = await crud_tenancy.lock_active_admins(session, tenant_id=actor.tenant_id)
    user = await crud_tenancy.get_user(session, tenant_id=actor.tenant_id, user_id=user_id, fresh=True)
    if user is None:
        raise AppError(ErrorCode.NOT_FOUND, "no such user")
    if role is not None and role not in ROLES:
        raise AppError(ErrorCode.VALIDATION_ERROR, f"role must be one of {', '.join(ROLES)}")
    old_role, was_active = user.role, user.is_active
    new_role = role if role is not None else old_role
    now_active = is_active if is_active is not None else was_active
    loses_admin = old_role == "admin" and was_active and not (new_role == "admin" and now_active)
    if loses_admin and len(admins) <= 1:
        raise AppError(ErrorCode.CONFLICT, "the tenant's last active admin cannot be demoted or deactivated")
    await crud_tenancy.update_user(session, user=user, role=new_role, is_active=now_active)
    who = {"tenant_id": actor.tenant_id, "actor_type": actor.actor_type, "actor_id": actor.actor_id}
    if new_role != old_role:
        await crud_audit.record(
            session, **who, action="user.role_change", target_type="user", target_id=user.id,
            data={"from": old_role, "to": new_role},
        )  # fmt: skip
    if now_active != was_active:
        revoked = 0 if now_active else await crud_tenancy.revoke_user_sessions(session, user_id=user.id)
        await crud_audit.record(
            session, **who, action="user.reactivate" if now_active else "user.deactivate",
            target_type="user", target_id=user.id, data={} if now_active else {"sessions_revoked": revoked},
        )  # fmt: skip
    await session.commit()
    return user


# --- widget keys and origins -----------------------------------------------------------------------------


def normalise_origin(origin: str) -> str | None:
    """``scheme://host[:port]`` lower-cased, default ports dropped; None if it is not an origin (a port
    that is not a number in range, such as ``http://host:18801.evil.example``, a broken IPv6 literal)."""
    try:
        parts = urlsplit(origin.strip())
        port = parts.port  # raises ValueError on a port that does not parse
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    default = {"http": 80, "https": 443}[parts.scheme]
    host = parts.hostname.lower()
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


def origin_allowed(widget_key: WidgetKey, origin: str | None) -> bool:
    """Browsers always send ``Origin`` on the widget's cross-site calls, so a present Origin must be on
    the tenant's allow-list ("*" allows any). A request without one is not from a browser page (a
    server or curl, which could forge the header anyway) and is allowed. An Origin that does not parse
    is not allowed; an allow-list entry that does not parse allows nothing."""
    if origin is None:
        return True
    entries = [str(o).strip() for o in widget_key.allowed_origins]
    if "*" in entries:
        return True
    given = normalise_origin(origin)
    return given is not None and given in {normalise_origin(o) for o in entries}


async def widget_key_for(session: AsyncSession, *, public_key: str, origin: str | None) -> WidgetKey:
    key = await crud_tenancy.get_active_widget_key(session, public_key=public_key)
    if key is None:
        raise AppError(ErrorCode.UNAUTHENTICATED, "unknown or disabled widget key")
    if not origin_allowed(key, origin):
        raise AppError(ErrorCode.ORIGIN_NOT_ALLOWED, "this site is not allowed to use this widget key")
    return key
