"""Admin analytics: one report per request for a period (days in a time zone). Admins only; tenant-scoped.
What each figure means: ``app.analytics.report``."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from app.analytics import report as analytics
from app.db.base import utcnow
from app.deps import AdminDep, SessionDep, SettingsDep
from app.schemas.analytics import AnalyticsPublic

router = APIRouter(prefix="/admin/analytics", tags=["admin: analytics"])


@router.get("", response_model=AnalyticsPublic)
async def analytics_report(
    admin: AdminDep,
    session: SessionDep,
    settings: SettingsDep,
    start: date | None = None,
    end: date | None = None,
    tz: Annotated[str, Query(min_length=1, max_length=64)] = "UTC",
    window_minutes: Annotated[int | None, Query(ge=1, le=7 * 24 * 60)] = None,
    top: Annotated[int, Query(ge=1, le=50)] = 10,
) -> AnalyticsPublic:
    """``start``/``end`` are days (inclusive) in ``tz`` (IANA name); default: the last 30 days.
    ``window_minutes`` overrides ``ADMIN__RESOLUTION_WINDOW_MINUTES`` for the assumed-resolution rule."""
    now = utcnow()
    period = analytics.make_period(start, end, tz, now)
    window = timedelta(minutes=window_minutes or settings.admin.resolution_window_minutes)
    report = await analytics.report(
        session,
        tenant_id=admin.tenant_id,
        period=period,
        window=window,
        latency_sample=settings.admin.latency_sample,
        now=now,
        top=top,
    )
    return AnalyticsPublic.model_validate(report, from_attributes=True)
