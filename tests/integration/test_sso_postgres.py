"""Staff SSO on PostgreSQL: a due SSO login is renewed by one request while a concurrent one waits on the
row's lock and then finds it renewed (``crud_sso.lock_due_sso_login``), so a login is refreshed at the IdP
once, never twice with the same (rotating) refresh token."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from app.auth.credentials import sha256_hex
from app.db import crud_sso, crud_tenancy
from app.db.base import utcnow
from app.db.models import Tenant

pytestmark = pytest.mark.integration


async def test_one_request_renews_a_due_login_while_a_concurrent_one_waits(pg_engine: AsyncEngine) -> None:
    sessions = async_sessionmaker(pg_engine, expire_on_commit=False)
    token_hash = sha256_hex(uuid.uuid4().hex)
    now = utcnow()
    async with sessions() as s:
        tenant = await crud_tenancy.create_tenant(s, slug="sso-" + uuid.uuid4().hex[:8], name="SSO")
        user = await crud_tenancy.create_user(
            s, tenant_id=tenant.id, email="a@bank.example", password_hash="!sso", role="agent"
        )
        provider = await crud_sso.create_provider(
            s,
            tenant_id=tenant.id,
            values={"issuer": "https://idp.example", "client_id": "c", "client_secret_sealed": "x",
                    "role_map": {"g": "agent"}},
        )  # fmt: skip
        auth = await crud_tenancy.create_auth_session(
            s, user_id=user.id, token_hash=token_hash, expires_at=now + timedelta(hours=1),
            recheck_at=now - timedelta(seconds=1),
        )  # fmt: skip
        await crud_sso.create_sso_session(
            s, auth_session_id=auth.id, provider_id=provider.id, subject="sub-1", refresh_token_sealed="old"
        )
        await s.commit()
    try:
        async with sessions() as s:  # due: the plain session query no longer counts it
            assert await crud_tenancy.get_session_user(s, token_hash=token_hash) is None
        async with sessions() as a, sessions() as b:
            assert await crud_sso.sso_login_due(a, token_hash=token_hash)
            first = await crud_sso.lock_due_sso_login(a, token_hash=token_hash)
            assert first is not None
            waiting = asyncio.create_task(crud_sso.lock_due_sso_login(b, token_hash=token_hash))
            await asyncio.sleep(0.5)
            assert not waiting.done()  # held at the row lock while the first one talks to the IdP
            await crud_sso.renew_sso_login(
                a, login=first, recheck_at=utcnow() + timedelta(seconds=900), refresh_token_sealed="new"
            )
            await a.commit()
            assert await asyncio.wait_for(waiting, timeout=10) is None  # renewed meanwhile: nothing to do
            await b.commit()
        async with sessions() as s:
            assert await crud_tenancy.get_session_user(s, token_hash=token_hash) is not None
            assert not await crud_sso.sso_login_due(s, token_hash=token_hash)
    finally:
        async with sessions() as s:
            await s.execute(delete(Tenant).where(Tenant.id == tenant.id))
            await s.commit()
