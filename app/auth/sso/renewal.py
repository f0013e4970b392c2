"""Deprovisioning: an SSO login holds only until its ``recheck_at`` (``session_check_s`` after the sign-in
or the last re-check). The first request after that renews it here, at the IdP, with the login's refresh
token: the refreshed identity must be the same subject and still map to a role (a changed role applies at
once). A refusal (the user disabled or removed at the IdP, the refresh token revoked, no mapped group any
more) ends the login, audited as ``user.sso_session_ended`` with the reason; live staff streams re-check
their session every few seconds (``app.auth.staff_streams``), so they close too. An IdP that does not
answer ends nothing, but the login gives no access until a re-check succeeds.

Concurrent requests of one login: the first takes the row's write lock and renews; the others wait and
then find it renewed (``crud_sso.lock_due_sso_login``)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.sso.idp import IdpGateway, IdpUnavailable, SsoFailure
from app.auth.sso.roles import decide_role
from app.auth.sso.sealing import Unsealable, seal, unseal
from app.auth.sso.signin import REFRESH_TOKEN_PURPOSE, identity_claims, idp_client, record_role_change
from app.db import crud_audit, crud_sso
from app.db.base import utcnow

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SsoRenewal:
    """``await renewal(session, token_hash)``: renew that SSO login if it is due (commits; see module)."""

    gateway: IdpGateway
    secret: str

    async def __call__(self, session: AsyncSession, token_hash: str) -> None:
        if not await crud_sso.sso_login_due(session, token_hash=token_hash):
            return  # an unknown, ended or password token: nothing to renew, nothing written
        login = await crud_sso.lock_due_sso_login(session, token_hash=token_hash)
        if login is None:
            await session.commit()  # releases the lock taken to look
            return
        provider = login.provider
        try:
            if not provider.enabled:
                raise SsoFailure("not_configured", "single sign-on is disabled for this organisation")
            if login.sso.refresh_token_sealed is None:
                raise SsoFailure("refresh_refused", "the IdP gave this login no refresh token")
            try:
                refresh_token = unseal(self.secret, REFRESH_TOKEN_PURPOSE, login.sso.refresh_token_sealed)
            except Unsealable as exc:
                raise SsoFailure("refresh_refused", "the refresh token cannot be read") from exc
            client = idp_client(provider, self.secret)
            tokens = await self.gateway.refresh(client, refresh_token=refresh_token)
            claims = await identity_claims(
                self.gateway,
                client,
                tokens,
                nonce=None,
                subject=login.sso.subject,
                needed=(provider.role_claim,),
            )
            decision = decide_role(claims, claim=provider.role_claim, role_map=provider.role_map)
            if decision.role is None:
                raise SsoFailure("no_role", f"no role is mapped any more ({decision.reason})")
        except IdpUnavailable as exc:
            await session.rollback()
            logger.warning(
                "an SSO login could not be re-checked (IdP unavailable: %s); no access until it is",
                exc.detail,
            )
            return
        except SsoFailure as exc:
            await crud_sso.end_sso_login(session, login=login)
            await crud_audit.record(
                session, tenant_id=login.user.tenant_id, actor_type="system", actor_id=None,
                action="user.sso_session_ended", target_type="user", target_id=login.user.id,
                data={"reason": exc.reason},
            )  # fmt: skip
            await session.commit()
            return
        if login.user.role != decision.role:
            await record_role_change(session, user=login.user, role=decision.role)
        new_refresh = tokens.get("refresh_token")
        await crud_sso.renew_sso_login(
            session,
            login=login,
            recheck_at=utcnow() + timedelta(seconds=provider.session_check_s),
            refresh_token_sealed=seal(self.secret, REFRESH_TOKEN_PURPOSE, str(new_refresh))
            if new_refresh
            else None,
        )
        await session.commit()
