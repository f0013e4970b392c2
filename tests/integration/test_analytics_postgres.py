"""Admin analytics on real PostgreSQL (inside a rolled-back transaction): the seeded conversations give the
same hand-computed figures as on SQLite, and a time zone moves a conversation into the period."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.analytics import report as analytics
from app.analytics.report import Period
from app.db import crud_tenancy
from app.schemas.analytics import AnalyticsPublic
from tests.unit.app import analytics_seed
from tests.unit.app.analytics_seed import EXPECTED, NOW, WINDOW, comparable

pytestmark = pytest.mark.integration


async def _report(s: AsyncSession, tenant_id: str, tz: str) -> dict:
    period = Period(date(2026, 3, 1), date(2026, 3, 3), ZoneInfo(tz))
    r = await analytics.report(
        s, tenant_id=tenant_id, period=period, window=WINDOW, latency_sample=1000, now=NOW
    )
    return AnalyticsPublic.model_validate(r, from_attributes=True).model_dump(mode="json")


async def test_analytics_figures_on_postgres(pg_sessions: async_sessionmaker[AsyncSession]) -> None:
    async with pg_sessions() as s:
        tenant = await crud_tenancy.create_tenant(s, slug="an-bank", name="An Bank")
        other = await crud_tenancy.create_tenant(s, slug="an-other", name="Other")
        await analytics_seed.seed(s, tenant.id, other.id)
        assert comparable(await _report(s, tenant.id, "UTC")) == EXPECTED
        shanghai = await _report(s, tenant.id, "Asia/Shanghai")
        assert shanghai["conversations"] == 9
        assert [d["conversations"] for d in shanghai["per_day"]] == [4, 4, 1]
        assert (await _report(s, other.id, "UTC"))["conversations"] == 1
