"""SQL of the operational checks: readiness (which indexes must be loadable), the claim and heartbeat of a
running ingestion job, and the recovery of jobs whose process died. Keyword-only functions, session
first."""

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
    stmt = select(KbVersion).where(KbVersion.is_active.is_(True)).order_by(KbVersion.tenant_id).limit(limit)
    return [(v.tenant_id, v.label) for v in (await session.execute(stmt)).scalars()]


async def claim_job(session: AsyncSession, *, tenant_id: str, job_id: str) -> bool:
    """Move a ``queued`` job to ``running`` (compare-and-set): True for the one caller that wins. False
    when the job already ran, runs elsewhere or was marked failed: a second delivery of the same job (arq
    re-runs a job whose worker died once its in-progress key expires) must not run it again."""
    now = utcnow()
    result = await session.execute(
        update(IngestionJob)
        .where(
            IngestionJob.id == job_id, IngestionJob.tenant_id == tenant_id, IngestionJob.status == "queued"
        )
        .values(status="running", updated_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0) == 1


async def touch_job(session: AsyncSession, *, tenant_id: str, job_id: str) -> bool:
    """The heartbeat of a running job: move its ``updated_at``. False when the job is no longer
    ``running`` (finished, or marked failed by recovery)."""
    result = await session.execute(
        update(IngestionJob)
        .where(
            IngestionJob.id == job_id, IngestionJob.tenant_id == tenant_id, IngestionJob.status == "running"
        )
        .values(updated_at=utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0) == 1


async def stale_jobs(
    session: AsyncSession, *, statuses: Sequence[str], not_updated_since: datetime
) -> Sequence[IngestionJob]:
    """Jobs in ``statuses`` whose row has not moved since ``not_updated_since`` (every tenant)."""
    stmt = select(IngestionJob).where(
        IngestionJob.status.in_(list(statuses)), IngestionJob.updated_at <= not_updated_since
    )
    return (await session.execute(stmt)).scalars().all()


async def fail_interrupted_job(
    session: AsyncSession,
    *,
    job: IngestionJob,
    code: str,
    detail: str,
    statuses: Sequence[str],
    not_updated_since: datetime,
) -> int | None:
    """Mark ``job`` failed and its documents still in flight failed too (same code); returns how many
    documents, or None when the job moved meanwhile (a heartbeat, or another process recovered it first:
    the update is a compare-and-set on status and ``updated_at``). The documents already indexed into a
    built version keep their status."""
    now = utcnow()
    moved = await session.execute(
        update(IngestionJob)
        .where(
            IngestionJob.id == job.id,
            IngestionJob.tenant_id == job.tenant_id,
            IngestionJob.status.in_(list(statuses)),
            IngestionJob.updated_at <= not_updated_since,
        )
        .values(
            status="failed",
            stage="failed",
            error_code=code,
            error_detail=detail,
            updated_at=now,
            finished_at=now,
        )  # fmt: skip
    )
    if int(getattr(moved, "rowcount", 0) or 0) != 1:
        return None
    return await fail_job_documents(session, tenant_id=job.tenant_id, job_id=job.id, code=code, detail=detail)


async def fail_job_documents(
    session: AsyncSession, *, tenant_id: str, job_id: str, code: str, detail: str
) -> int:
    """The job's documents still in flight (queued, parsing, embedding) marked failed; returns how many."""
    result = await session.execute(
        update(Document)
        .where(
            Document.job_id == job_id,
            Document.tenant_id == tenant_id,
            Document.status.in_(IN_FLIGHT_DOCUMENT),
        )
        .values(status="failed", error_code=code, error_detail=detail[:500], updated_at=utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def tenants_with_unbuilt_drafts(session: AsyncSession, *, created_before: datetime) -> list[str]:
    """Tenants with a draft whose index was never finished, created before ``created_before``. A build
    sets ``chunk_count`` (> 0: a version holds at least one document, a document at least one chunk) only
    once its index is complete, so a draft still at 0 is being built now or was left by a process that
    died mid-build; ``unbuilt_drafts`` under the tenant's KB lock tells the two apart."""
    stmt = (
        select(KbVersion.tenant_id)
        .where(
            KbVersion.status == "draft", KbVersion.chunk_count == 0, KbVersion.created_at <= created_before
        )
        .distinct()
    )
    return [str(t) for t in (await session.execute(stmt)).scalars()]


async def unbuilt_drafts(session: AsyncSession, *, tenant_id: str) -> Sequence[KbVersion]:
    """The tenant's drafts still without an index (see ``tenants_with_unbuilt_drafts``). Call it holding
    the tenant's KB lock: a build holds the lock while its draft is at 0 chunks."""
    stmt = select(KbVersion).where(
        KbVersion.tenant_id == tenant_id, KbVersion.status == "draft", KbVersion.chunk_count == 0
    )
    return (await session.execute(stmt)).scalars().all()
