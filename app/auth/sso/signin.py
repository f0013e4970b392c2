"""The browser's sign-in through the tenant's IdP: ``start`` (the authorization URL, and the state, nonce
and PKCE verifier sealed into a short-lived cookie bound to this browser), ``read_state`` and ``finish``
(the callback: state checked, code exchanged with the verifier, ID token checked, the role decided from
the mapped claim, the user found or created just in time, a login opened that must be re-checked at the
IdP every ``session_check_s``). Refusals raise ``SsoFailure`` and, once the tenant is known, are audited
(``user.sso_login_failed`` with the reason)."""

from __future__ import annotations

import hmac
import json
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.credentials import new_session_token, sha256_hex
from app.auth.service import LoginResult
from app.auth.sso.idp import IdpClient, IdpGateway, SsoFailure
from app.auth.sso.roles import decide_role
from app.auth.sso.sealing import Unsealable, seal, unseal
from app.db import crud_audit, crud_sso, crud_tenancy
from app.db.base import utcnow
from app.db.models import OidcProvider, User

STATE_PURPOSE = "sso-state"
CLIENT_SECRET_PURPOSE = "oidc-client-secret"
REFRESH_TOKEN_PURPOSE = "oidc-refresh-token"
# Where a sign-in may land (the consoles); anything else lands on the agent console.
NEXT_PAGES = ("/console", "/admin")
# The password column of a user made by SSO: not an argon2 hash, so no password ever matches it.
NO_PASSWORD = "!sso"


def idp_client(provider: OidcProvider, secret: str) -> IdpClient:
    try:
        client_secret = unseal(secret, CLIENT_SECRET_PURPOSE, provider.client_secret_sealed)
    except Unsealable as exc:
        raise SsoFailure("not_configured", "the client secret cannot be read: enter it again") from exc
    return IdpClient(provider.issuer, provider.client_id, client_secret, provider.scopes)


def safe_next(page: str | None) -> str:
    return page if page in NEXT_PAGES else NEXT_PAGES[0]


@dataclass(frozen=True, slots=True)
class Started:
    authorize_url: str
    cookie: str


@dataclass(frozen=True, slots=True)
class SignInState:
    tenant_id: str
    provider_id: str
    state: str
    nonce: str
    code_verifier: str
    next_page: str


async def start(
    session: AsyncSession,
    *,
    gateway: IdpGateway,
    secret: str,
    org: str,
    next_page: str,
    redirect_uri: str,
    ttl_s: int,
) -> Started:
    tenant = await crud_tenancy.get_tenant_by_slug(session, slug=org.strip().lower())
    provider = await crud_sso.get_provider(session, tenant_id=tenant.id) if tenant is not None else None
    if tenant is None or provider is None or not provider.enabled:
        raise SsoFailure("not_configured", "this organisation has no single sign-on")
    state = SignInState(
        tenant_id=tenant.id,
        provider_id=provider.id,
        state=secrets.token_urlsafe(32),
        nonce=secrets.token_urlsafe(32),
        code_verifier=secrets.token_urlsafe(64),  # 86 characters: RFC 7636 asks 43-128
        next_page=safe_next(next_page),
    )
    url = await gateway.authorization_url(
        idp_client(provider, secret),
        redirect_uri=redirect_uri,
        state=state.state,
        nonce=state.nonce,
        code_verifier=state.code_verifier,
    )
    return Started(authorize_url=url, cookie=seal(secret, STATE_PURPOSE, _pack(state, ttl_s)))


def _pack(state: SignInState, ttl_s: int) -> str:
    return json.dumps(
        {
            "t": state.tenant_id,
            "p": state.provider_id,
            "s": state.state,
            "n": state.nonce,
            "v": state.code_verifier,
            "x": state.next_page,
            "e": int(time.time()) + ttl_s,
        }
    )


def read_state(secret: str, cookie: str | None) -> SignInState:
    """The sign-in this browser started (its sealed cookie), or ``state_invalid``."""
    if not cookie:
        raise SsoFailure("state_invalid", "no sign-in was started in this browser (or it took too long)")
    try:
        data = json.loads(unseal(secret, STATE_PURPOSE, cookie))
        expires = int(data["e"])
        state = SignInState(data["t"], data["p"], data["s"], data["n"], data["v"], safe_next(data["x"]))
    except (Unsealable, ValueError, KeyError, TypeError) as exc:
        raise SsoFailure("state_invalid", "the sign-in state does not read") from exc
    if time.time() > expires:
        raise SsoFailure("state_invalid", "the sign-in took too long; start again")
    return state


async def identity_claims(
    gateway: IdpGateway,
    client: IdpClient,
    tokens: dict[str, Any],
    *,
    nonce: str | None,
    subject: str | None,
    needed: tuple[str, ...],
) -> dict[str, Any]:
    """The checked ID token's claims, completed from userinfo for any of ``needed`` it lacks. A sign-in
    (``nonce`` given) must bring an ID token; a refresh may not (then userinfo answers alone)."""
    id_token = tokens.get("id_token")
    claims: dict[str, Any] = {}
    if id_token:
        claims = await gateway.id_token_claims(client, str(id_token), nonce=nonce, subject=subject)
    elif nonce is not None:
        raise SsoFailure("id_token_missing", "the IdP returned no ID token (is the openid scope granted?)")
    access_token = tokens.get("access_token")
    if (not claims or any(name not in claims for name in needed)) and access_token:
        info = await gateway.userinfo(client, access_token=str(access_token))
        expected = claims.get("sub", subject)
        if info and info.get("sub") != expected:
            raise SsoFailure("subject_changed", "userinfo names another subject")
        claims = {**info, **claims}
    if not claims.get("sub"):
        raise SsoFailure("invalid_id_token", "no subject for this login")
    return claims


async def finish(
    session: AsyncSession,
    *,
    gateway: IdpGateway,
    secret: str,
    started: SignInState,
    state: str | None,
    code: str | None,
    error: str | None,
    redirect_uri: str,
    ttl_s: int,
) -> LoginResult:
    """The callback: a login of the user the IdP vouches for, or ``SsoFailure`` (audited, nothing kept)."""
    if not hmac.compare_digest(started.state.encode(), (state or "").encode()):
        raise SsoFailure("state_invalid", "the state is not the one this browser's sign-in sent")
    try:
        return await _finish(
            session, gateway=gateway, secret=secret, started=started, code=code, error=error,
            redirect_uri=redirect_uri, ttl_s=ttl_s,
        )  # fmt: skip
    except SsoFailure as exc:
        await session.rollback()
        await crud_audit.record(
            session, tenant_id=started.tenant_id, actor_type="system", actor_id=None,
            action="user.sso_login_failed", data={"reason": exc.reason},
        )  # fmt: skip
        await session.commit()
        raise


async def _finish(
    session: AsyncSession,
    *,
    gateway: IdpGateway,
    secret: str,
    started: SignInState,
    code: str | None,
    error: str | None,
    redirect_uri: str,
    ttl_s: int,
) -> LoginResult:
    if error:
        raise SsoFailure("idp_error", f"the IdP answered {error[:60]}")
    provider = await crud_sso.get_provider(session, tenant_id=started.tenant_id)
    if provider is None or provider.id != started.provider_id or not provider.enabled:
        raise SsoFailure("not_configured", "this organisation's single sign-on changed; start again")
    if not code:
        raise SsoFailure("idp_error", "the IdP sent no code")
    client = idp_client(provider, secret)
    tokens = await gateway.exchange_code(
        client, code=code, code_verifier=started.code_verifier, redirect_uri=redirect_uri
    )
    claims = await identity_claims(
        gateway, client, tokens, nonce=started.nonce, subject=None, needed=(provider.role_claim, "email")
    )
    decision = decide_role(claims, claim=provider.role_claim, role_map=provider.role_map)
    if decision.role is None:
        raise SsoFailure(
            "no_role", f"no role is mapped for this person's {provider.role_claim} ({decision.reason})"
        )
    user = await _user_for(session, provider=provider, claims=claims, role=decision.role)
    token = new_session_token()
    now = utcnow()
    auth_session = await crud_tenancy.create_auth_session(
        session,
        user_id=user.id,
        token_hash=sha256_hex(token),
        expires_at=now + timedelta(seconds=ttl_s),
        recheck_at=now + timedelta(seconds=provider.session_check_s),
    )
    refresh = tokens.get("refresh_token")
    await crud_sso.create_sso_session(
        session,
        auth_session_id=auth_session.id,
        provider_id=provider.id,
        subject=str(claims["sub"]),
        refresh_token_sealed=seal(secret, REFRESH_TOKEN_PURPOSE, str(refresh)) if refresh else None,
    )
    await crud_tenancy.mark_login(session, user=user)
    await crud_audit.record(
        session, tenant_id=user.tenant_id, actor_type="user", actor_id=user.id, action="user.login",
        data={"method": "sso", "groups": list(decision.values)[:20]},
    )  # fmt: skip
    await session.commit()
    return LoginResult(token=token, expires_at=auth_session.expires_at, user=user)


async def _user_for(
    session: AsyncSession, *, provider: OidcProvider, claims: dict[str, Any], role: str
) -> User:
    """The tenant's user for this IdP subject: known, linked by a verified e-mail, or made now (JIT). The
    IdP decides the role: a changed one is applied (and audited)."""
    subject = str(claims["sub"])
    user = await crud_sso.get_identity_user(
        session, tenant_id=provider.tenant_id, issuer=provider.issuer, subject=subject
    )
    if user is None:
        email = str(claims.get("email") or "").strip().lower()
        if "@" not in email or len(email) > 320:
            raise SsoFailure("email_missing", "the IdP gave no e-mail address (grant the email scope)")
        user = await crud_tenancy.get_user_by_email(session, tenant_id=provider.tenant_id, email=email)
        if user is not None and claims.get("email_verified") is not True:
            raise SsoFailure(
                "email_conflict", "a user with this e-mail exists and the IdP has not verified it"
            )
        if user is None:
            user = await crud_tenancy.create_user(
                session, tenant_id=provider.tenant_id, email=email, password_hash=NO_PASSWORD, role=role,
                display_name=str(claims.get("name") or "")[:200],
            )  # fmt: skip
            await crud_audit.record(
                session, tenant_id=provider.tenant_id, actor_type="system", actor_id=None,
                action="user.create", target_type="user", target_id=user.id, data={"role": role, "method": "sso"},
            )  # fmt: skip
        await crud_sso.create_identity(
            session, tenant_id=provider.tenant_id, issuer=provider.issuer, subject=subject, user_id=user.id
        )
    if not user.is_active:
        raise SsoFailure("user_inactive", "this account is deactivated in kefu")
    if user.role != role:
        await record_role_change(session, user=user, role=role)
    return user


async def record_role_change(session: AsyncSession, *, user: User, role: str) -> None:
    """Apply the role the IdP's claims now give (audited as done by the system, ``via: sso``)."""
    old = user.role
    await crud_tenancy.update_user(session, user=user, role=role)
    await crud_audit.record(
        session, tenant_id=user.tenant_id, actor_type="system", actor_id=None, action="user.role_change",
        target_type="user", target_id=user.id, data={"from": old, "to": role, "via": "sso"},
    )  # fmt: skip
