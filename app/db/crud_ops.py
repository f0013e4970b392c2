"""SQL of the operational checks: readiness (which indexes must be loadable) and start-up recovery of
ingestion jobs whose process died. Keyword-only functions, session first."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.base import utcnow
from app.db.models import Document, IngestionJob, KbVersion

IN_FLIGHT_DOCUMENT = ("queued", "parsing", "embedding")


async def active_versions(session: AsyncSession, *, limit: int = 1000) -> list[tuple[str, str]]:
    """(tenant id, version label) of every tenant's active knowledge-base version."""
    stmt = (
        select(KbVersion).where(KbVersion.is_active.is_(True)).order_by(KbVersion.tenant_id).limit(limit)
    )
    return [(v.tenant_id, v.label) for v in (await session.execute(stmt)).scalars()]


async def stale_jobs(
    session: AsyncSession, *, statuses: Sequence[str], not_updated_since: datetime
) -> Sequence[IngestionJob]:
    """Jobs in ``statuses`` whose row has not moved since ``not_updated_since`` (every tenant)."""
    stmt = select(IngestionJob).where(
        IngestionJob.status.in_(list(statuses)), IngestionJob.updated_at <= not_updated_since
    )
    return (await session.execute(stmt)).scalars().all()


async def fail_interrupted_job(session: AsyncSession, *, job: IngestionJob, code: str, detail: str) -> int:
    """Mark ``job`` failed and its documents still in flight failed too (same code); returns how many
    documents. The documents already indexed into a built version keep their status."""
    now = utcnow()
    await session.execute(
        update(IngestionJob)
        .where(IngestionJob.id == job.id, IngestionJob.tenant_id == job.tenant_id)
        .values(
            status="failed",
            stage="failed",
            error_code=code,
            error_detail=detail,
            updated_at=now,
            finished_at=now,
        )  # fmt: skip
    )
    result = await session.execute(
        update(Document)
        .where(
            Document.job_id == job.id,
            Document.tenant_id == job.tenant_id,
            Document.status.in_(IN_FLIGHT_DOCUMENT),
        )
        .values(status="failed", error_code=code, error_detail=detail, updated_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)
