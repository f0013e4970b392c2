"""Aggregates keep counts only, and keep them: the admin analytics of a period read the same before and
after its conversations are erased (a data-subject request) and purged (retention, time moved forward);
what is kept holds no text, no conversation id, no customer. The seed is ``analytics_seed`` (hand-checked
figures); latency percentiles and the unanswered-question list are not kept (not summable / text)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from sqlalchemy import func, select

from app.analytics import report as analytics
from app.analytics.report import Period
from app.compliance import dsr
from app.compliance.purge import run_purge
from app.container import Container
from app.db.base import utcnow
from app.db.models import AnalyticsAggregate, Conversation
from app.kb.versions import SYSTEM
from app.schemas.analytics import AnalyticsPublic
from tests.unit.app import analytics_seed
from tests.unit.app.analytics_seed import WINDOW, at
from tests.unit.app.helpers import Tenant

NOT_KEPT = ("generated_at", "latency", "unanswered")
PERIODS = (
    Period(date(2026, 3, 1), date(2026, 3, 3), ZoneInfo("UTC")),
    Period(date(2026, 3, 1), date(2026, 3, 3), ZoneInfo("Asia/Shanghai")),
    Period(date(2026, 2, 28), date(2026, 2, 28), ZoneInfo("America/New_York")),
)


async def _reports(container: Container, tenant_id: str, now: Any) -> list[dict[str, Any]]:
    out = []
    async with container.sessions() as s:
        for period in PERIODS:
            r = await analytics.report(
                s, tenant_id=tenant_id, period=period, window=WINDOW, latency_sample=1000, now=now
            )
            body = AnalyticsPublic.model_validate(r, from_attributes=True).model_dump(mode="json")
            out.append({k: v for k, v in body.items() if k not in NOT_KEPT})
    return out


async def _conversations(container: Container, tenant_id: str) -> list[Conversation]:
    async with container.sessions() as s:
        stmt = (
            select(Conversation).where(Conversation.tenant_id == tenant_id).order_by(Conversation.created_at)
        )
        return list((await s.execute(stmt)).scalars().all())


async def test_figures_survive_erasure_and_purge_and_keep_no_text(
    container: Container, tenant: Tenant
) -> None:
    other = await analytics_seed.seed_with_other_bank(container, tenant)
    now = utcnow()  # every seeded conversation has settled by now
    before = await _reports(container, tenant.id, now)
    before_other = await _reports(container, other.id, now)
    assert before[0]["conversations"] == 8
    assert before[0]["handoffs"]["conversations"] == 2
    assert before[0]["dont_know"]["replies"] > 0
    assert before[0]["csat"]["responses"] > 0
    assert before[1]["conversations"] == 9  # C10 counts on 03-01 in Shanghai
    convs = await _conversations(container, tenant.id)
    ids = {c.id for c in convs}

    # Erase C3 (a hand-off, "don't know", an agent, closed resolved): the figures do not move.
    c3 = next(c for c in convs if c.created_at == at(1, 12))
    await dsr.erase(container, tenant_id=tenant.id, subject=dsr.Subject(conversation_id=c3.id), actor=SYSTEM)
    assert len(await _conversations(container, tenant.id)) == len(convs) - 1
    assert await _reports(container, tenant.id, now) == before

    # The retention purge, a year on, deletes every other conversation: still the same figures.
    with time_machine.travel(utcnow() + timedelta(days=400)):
        reports = await run_purge(container)
    assert {r.tenant_id: r.counts["conversations"] for r in reports}[tenant.id] == len(convs) - 1
    assert await _conversations(container, tenant.id) == []
    assert await _reports(container, tenant.id, now) == before
    assert await _reports(container, other.id, now) == before_other

    # Counts and sums only: metric names and short keys (statuses, reason codes, ratings), no ids.
    async with container.sessions() as s:
        rows = (await s.execute(select(AnalyticsAggregate))).scalars().all()
        n = await s.scalar(select(func.count()).select_from(AnalyticsAggregate))
    assert n == len(rows) > 0
    keys = {r.key for r in rows}
    assert not keys & (ids | {c.id for c in await _conversations(container, other.id)})
    assert {r.metric for r in rows} <= {
        "conversations", "empty", "status", "handed_off", "handling_n", "handling_s", "handoff_reason",
        "thumbs", "csat", "bot_replies", "dont_know", "action",
    }  # fmt: skip
    assert all(len(k) <= 32 and " " not in k for k in keys)
    assert all(r.hour.minute == 0 and r.hour.second == 0 for r in rows)


async def test_an_erased_pending_conversation_is_kept_as_assumed(
    container: Container, tenant: Tenant
) -> None:
    await analytics_seed.seed_with_other_bank(container, tenant)
    c7 = next(c for c in await _conversations(container, tenant.id) if c.created_at == at(3, 11, 30))
    # At the seed's "now" C7 is pending (answered 28 minutes before); erased then, nobody can write in it
    # any more, so it is kept as settled and assumed resolved.
    with time_machine.travel(analytics_seed.NOW, tick=False):
        await dsr.erase(
            container, tenant_id=tenant.id, subject=dsr.Subject(conversation_id=c7.id), actor=SYSTEM
        )
    after = (await _reports(container, tenant.id, analytics_seed.NOW))[0]["resolution"]
    assert (after["pending"], after["assumed"], after["settled"]) == (0, 2, 8)
