"""The customer token of a new conversation, checked against the tenant's key."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.actions import identity
from app.actions.bank_settings import connection
from app.container import Container
from app.errors import AppError, ErrorCode
from app.settings import DEV_ENVIRONMENTS


async def customer_of(container: Container, session: AsyncSession, *, tenant_id: str, token: str) -> str:
    """The pseudonymous customer id the tenant's bank signed, or 401 ``invalid_customer_token``."""
    cfg = container.settings.actions
    demo = container.settings.environment in DEV_ENVIRONMENTS
    secret_key = container.settings.secret_key.get_secret_value()
    conn = await connection(
        session, tenant_id=tenant_id, config=cfg, secret_key=secret_key, demo_secrets=demo
    )
    if not conn.tokens.algorithms:
        raise AppError(
            ErrorCode.INVALID_CUSTOMER_TOKEN, "this tenant accepts no customer tokens (no key set)"
        )
    return identity.customer_from_token(token, keys=conn.tokens, max_age_s=cfg.token_max_age_s)
