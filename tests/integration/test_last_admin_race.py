"""The last-admin rule under concurrency on real PostgreSQL: two admins demoting (or deactivating) each
other at the same moment must not leave the tenant without an active admin — one change wins, the other
gets 409 ``conflict``. Committed transactions on their own connections (cleaned up by deleting the tenant)."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.auth.service import Principal, update_user
from app.db import crud_tenancy
from app.db.engine import session_factory
from app.errors import AppError

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("change", [{"role": "agent"}, {"is_active": False}])
async def test_two_admins_removing_each_other_leave_one(pg_engine: AsyncEngine, change: dict) -> None:
    sessions = session_factory(pg_engine)
    slug = f"race-{uuid.uuid4().hex[:8]}"
    async with sessions() as s:
        tenant = await crud_tenancy.create_tenant(s, slug=slug, name="Race")
        a = await crud_tenancy.create_user(
            s, tenant_id=tenant.id, email=f"a@{slug}.example", password_hash="x", role="admin"
        )
        b = await crud_tenancy.create_user(
            s, tenant_id=tenant.id, email=f"b@{slug}.example", password_hash="x", role="admin"
        )
        await s.commit()
        ids = (tenant.id, a.id, b.id)
    try:
        for _ in range(5):

            async def remove(actor: str, target: str) -> str:
                async with sessions() as s:
                    try:
                        await update_user(
                            s, actor=Principal(ids[0], "admin", "user", actor), user_id=target, **change
                        )
                        return "ok"
                    except AppError as exc:
                        return exc.code.code

            results = await asyncio.gather(remove(ids[1], ids[2]), remove(ids[2], ids[1]))
            assert sorted(results) == ["conflict", "ok"]
            async with sessions() as s:
                assert await crud_tenancy.count_active_admins(s, tenant_id=ids[0]) == 1
                for uid in ids[1:]:  # both admins again for the next round
                    user = await crud_tenancy.get_user(s, tenant_id=ids[0], user_id=uid)
                    assert user is not None
                    await crud_tenancy.update_user(s, user=user, role="admin", is_active=True)
                await s.commit()
    finally:
        async with sessions() as s:
            tenant_row = await crud_tenancy.get_tenant(s, tenant_id=ids[0])
            await s.delete(tenant_row)
            await s.commit()
