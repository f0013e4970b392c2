"""The customer token of a new conversation, checked against the tenant's key."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.actions import identity
from app.actions.catalogue import connection
from app.container import Container


async def customer_of(container: Container, session: AsyncSession, *, tenant_id: str, token: str) -> str:
    """The pseudonymous customer id the tenant's bank signed, or 401 ``invalid_customer_token``."""
    cfg = container.settings.actions
    conn = await connection(session, tenant_id=tenant_id, config=cfg)
    return identity.customer_from_token(token, key=conn.token_key, max_age_s=cfg.token_max_age_s)
