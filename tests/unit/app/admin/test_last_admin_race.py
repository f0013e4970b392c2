"""The last-admin rule under concurrency on the embedded SQLite database: two admins demoting each other at
the same moment never leave the tenant without an active admin (the PostgreSQL twin is in
``tests/integration/test_last_admin_race.py``)."""

from __future__ import annotations

import asyncio

from app.auth.service import Principal, update_user
from app.container import Container
from app.db import crud_tenancy
from app.errors import AppError
from tests.unit.app.helpers import Tenant


async def test_two_admins_demoting_each_other_leave_one(container: Container, tenant: Tenant) -> None:
    async with container.sessions() as s:
        users = {u.role: u.id for u in await crud_tenancy.list_users(s, tenant_id=tenant.id)}
    a, b = users["admin"], users["agent"]

    async def set_role(uid: str, role: str) -> None:
        async with container.sessions() as s:
            user = await crud_tenancy.get_user(s, tenant_id=tenant.id, user_id=uid)
            assert user is not None
            await crud_tenancy.update_user(s, user=user, role=role)
            await s.commit()

    async def demote(actor: str, target: str) -> str:
        async with container.sessions() as s:
            try:
                await update_user(
                    s, actor=Principal(tenant.id, "admin", "user", actor), user_id=target, role="agent"
                )
                return "ok"
            except AppError as exc:
                return exc.code.code

    for _ in range(5):
        await set_role(b, "admin")
        await set_role(a, "admin")
        results = await asyncio.gather(demote(a, b), demote(b, a))
        assert sorted(results) == ["conflict", "ok"]
        async with container.sessions() as s:
            assert await crud_tenancy.count_active_admins(s, tenant_id=tenant.id) == 1
