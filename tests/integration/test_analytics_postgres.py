"""Admin analytics on real PostgreSQL (inside a rolled-back transaction): the seeded conversations give the
same hand-computed figures as on SQLite, and a time zone moves a conversation into the period; figures
folded into the kept aggregates (in two batches, so rows grow by upsert) read the same once the
conversations are deleted."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.analytics import report as analytics
from app.analytics.aggregates import fold
from app.analytics.report import Period
from app.db import crud_compliance, crud_tenancy
from app.db.base import utcnow
from app.db.models import Conversation
from app.schemas.analytics import AnalyticsPublic
from tests.unit.app import analytics_seed
from tests.unit.app.analytics_seed import EXPECTED, NOW, WINDOW, comparable

pytestmark = pytest.mark.integration


async def _report(s: AsyncSession, tenant_id: str, tz: str, now: datetime = NOW) -> dict:
    period = Period(date(2026, 3, 1), date(2026, 3, 3), ZoneInfo(tz))
    r = await analytics.report(
        s, tenant_id=tenant_id, period=period, window=WINDOW, latency_sample=1000, now=now
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


async def test_kept_aggregates_on_postgres(pg_sessions: async_sessionmaker[AsyncSession]) -> None:
    kept = ("generated_at", "latency", "unanswered")
    async with pg_sessions() as s:
        tenant = await crud_tenancy.create_tenant(s, slug="ag-bank", name="Ag Bank")
        other = await crud_tenancy.create_tenant(s, slug="ag-other", name="Other")
        await analytics_seed.seed(s, tenant.id, other.id)
        now = utcnow()

        async def figures() -> list[dict]:
            out = []
            for tz in ("UTC", "Asia/Shanghai"):
                r = await _report(s, tenant.id, tz, now)
                out.append({k: v for k, v in r.items() if k not in kept})
            return out

        before = await figures()
        ids = list(
            (await s.execute(select(Conversation.id).where(Conversation.tenant_id == tenant.id))).scalars()
        )
        for chunk in (ids[::2], ids[1::2]):
            await fold(s, tenant_id=tenant.id, conversation_ids=chunk, window=WINDOW, now=now)
            await crud_compliance.delete_conversations(s, tenant_id=tenant.id, conversation_ids=chunk)
        assert (await _report(s, tenant.id, "UTC", now))["latency"] == []
        assert await figures() == before
        assert before[0]["conversations"] == 8
