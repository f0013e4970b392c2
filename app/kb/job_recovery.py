"""Liveness and recovery of ingestion jobs whose process died (killed, OOM, power loss) mid-way.

A job runs in one process (the arq worker, or the app with the in-process runner) while the app and other
workers may start, stop and sweep beside it, so "abandoned" is decided by a heartbeat, never by a guess:

- ``heartbeat``: while a job runs, its process moves the job row's ``updated_at`` every
  ``JOBS_HEARTBEAT_S``, whatever the job is doing (waiting for the tenant's KB lock, one long embedding
  batch, the publish gate).
- ``recover_interrupted_jobs``: a job still ``running`` whose row has not moved for
  ``JOBS_STALE_AFTER_S`` (at least 3 heartbeats) has no live process: it is marked failed with the code
  ``interrupted``, and so are its documents still in flight, so the admin console shows what happened and
  the files can be uploaded again. ``queued`` jobs are abandoned only with the in-process job runner
  (nobody else will pick them up); on arq they wait in Redis for a worker. The update is a compare-and-set,
  so a heartbeat that lands meanwhile wins, and two sweeping processes never both count one job.
- ``sweep_forever``: every process that runs jobs or serves the admin console (app and worker, not the
  CLI) runs the recovery at start-up and then every ``JOBS_SWEEP_INTERVAL_S``, so a dead worker's job is
  failed within ``JOBS_STALE_AFTER_S + JOBS_SWEEP_INTERVAL_S`` even when nothing restarts.

A process that was only presumed dead (its database link was down for longer than the stale time) finds
its job no longer ``running`` at its next progress write and stops there, before it publishes
(``JobAbandoned``).

What a dead job can never leave behind: a half-built index (versions are built in a hidden folder and
renamed into place whole), a changed active version (only a completed publish changes it), a draft without
an index (recovery archives it, under the tenant's KB lock, so never while a live build holds the lock),
or a held knowledge-base lock (a ``flock`` dies with its process; the Redis lock is a short lease that only
a live holder renews).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from app.container import Container
from app.db import crud_kb_admin, crud_ops
from app.db.base import utcnow
from app.errors import AppError
from app.kb.lock import kb_write_lock

logger = logging.getLogger(__name__)

INTERRUPTED = "interrupted"
DETAIL = "the process running this job stopped at stage {stage} before it finished; upload the files again"


class JobAbandoned(Exception):
    """The job's row is no longer ``running``: recovery marked it failed while this process was out of
    touch. The job stops without writing anything else."""

    code = INTERRUPTED


@contextlib.asynccontextmanager
async def heartbeat(container: Container, *, tenant_id: str, job_id: str) -> AsyncIterator[None]:
    """Move the running job's row every ``JOBS_HEARTBEAT_S`` for the ``async with`` body. A failed beat
    (database hiccup) is logged and retried at the next one."""

    async def touch(session: AsyncSession) -> bool:
        return await crud_ops.touch_job(session, tenant_id=tenant_id, job_id=job_id)

    async with beating(container, touch, what=f"job {job_id}", task_name=f"job-heartbeat:{job_id}"):
        yield


@contextlib.asynccontextmanager
async def beating(
    container: Container,
    touch: Callable[[AsyncSession], Awaitable[bool]],
    *,
    what: str,
    task_name: str,
) -> AsyncIterator[None]:
    """Run ``touch`` in its own session (then commit) every ``JOBS_HEARTBEAT_S`` for the ``async with``
    body: the heartbeat of a running job or sync row. A failed beat (database hiccup) is logged and retried
    at the next one; a beat whose ``touch`` returns False (the row is no longer running) is logged."""
    interval = container.settings.jobs_heartbeat_s

    async def beat() -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                async with container.sessions() as session:
                    alive = await touch(session)
                    await session.commit()
            except SQLAlchemyError as exc:
                logger.warning("heartbeat of %s failed: %s", what, type(exc).__name__)
                continue
            if not alive:
                logger.warning("%s is no longer running (recovered as abandoned?)", what)

    task = asyncio.create_task(beat(), name=task_name)
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def recover_interrupted_jobs(container: Container, *, in_process_queue: bool) -> list[str]:
    """Mark abandoned jobs failed and archive the drafts their builds left without an index; returns the
    jobs' ids. Never raises for a missing schema (before ``kefu migrate``) or a database or Redis hiccup:
    recovery then waits for the next sweep."""
    settings = container.settings
    statuses = ["running", "queued"] if in_process_queue else ["running"]
    cutoff = utcnow() - timedelta(seconds=settings.jobs_stale_after_s)
    recovered: list[str] = []
    try:
        async with container.sessions() as session:
            for job in await crud_ops.stale_jobs(session, statuses=statuses, not_updated_since=cutoff):
                stage = job.stage
                docs = await crud_ops.fail_interrupted_job(
                    session,
                    job=job,
                    code=INTERRUPTED,
                    detail=DETAIL.format(stage=stage),
                    statuses=statuses,
                    not_updated_since=cutoff,
                )
                if docs is None:  # it moved meanwhile: alive, or recovered by another process
                    continue
                recovered.append(job.id)
                logger.warning(
                    "ingestion job %s (tenant %s) was abandoned at stage %s: marked failed (%d documents)",
                    job.id,
                    job.tenant_id,
                    stage,
                    docs,
                )
            await session.commit()
        async with container.sessions() as session:
            tenants = await crud_ops.tenants_with_unbuilt_drafts(session, created_before=cutoff)
        for tenant_id in tenants:
            await archive_unbuilt_drafts(container, tenant_id)
    except SQLAlchemyError as exc:
        logger.warning("job recovery skipped: %s", type(exc).__name__)
    except Exception as exc:  # Redis (the KB lock) unreachable: the next sweep tries again
        logger.warning("job recovery incomplete: %s", type(exc).__name__)
    if recovered:
        container.metrics.jobs_interrupted.inc(len(recovered))
    return recovered


async def archive_unbuilt_drafts(container: Container, tenant_id: str) -> int:
    """Archive the tenant's drafts whose build died (no index, ``chunk_count`` 0), so no later change
    builds on them and no admin publishes them. Only when the tenant's KB lock is free now: a build that
    holds it is alive (and a dead holder's lease expires within ``KB_LOCK_LEASE_S``; the next sweep comes
    back). Returns how many."""
    s = container.settings
    lock = kb_write_lock(
        redis=container.redis,
        namespace=s.redis_namespace,
        data_dir=s.data_dir,
        tenant_id=tenant_id,
        wait_s=0,
        lease_s=s.kb_lock_lease_s,
    )
    try:
        async with lock, container.sessions() as session:
            drafts = await crud_ops.unbuilt_drafts(session, tenant_id=tenant_id)
            for draft in drafts:
                await crud_kb_admin.archive_version(
                    session,
                    tenant_id=tenant_id,
                    version_id=draft.id,
                    notes="build interrupted: the process building it stopped",
                )
            await session.commit()
    except AppError:  # the lock is held: a build is running (or a dead holder's lease has not expired)
        return 0
    for draft in drafts:
        logger.warning("draft %s of tenant %s was left half-built: archived", draft.label, tenant_id)
    return len(drafts)


async def sweep_forever(container: Container, *, in_process_queue: bool) -> None:
    """Recovery every ``JOBS_SWEEP_INTERVAL_S`` until cancelled (the first one is the caller's, at
    start-up)."""
    interval = container.settings.jobs_sweep_interval_s
    while interval > 0:
        await asyncio.sleep(interval)
        await recover_interrupted_jobs(container, in_process_queue=in_process_queue)
