"""The background worker: arq on Redis (``kefu worker``; the compose ``worker`` service).

Why arq: it is asyncio-native like the app, so a job is the same ``async def`` whether arq runs it in the
worker or the app runs it in-process (the embedded default, ``app.runtime.jobs.InProcessJobQueue``); it keeps its
queue, retries and results in the Redis we already run; it is small and maintained. RQ and Celery run
sync functions in forked processes (our adapters are async), Dramatiq needs an extra broker or a
Redis-specific setup with sync actors.

The worker builds its own ``Container`` at start-up (database, Redis, embedder, index store; the LLM
is not loaded), sweeps for jobs abandoned by a dead process (``app.kb.job_recovery``) while it runs,
and closes it at shutdown. On SIGTERM it takes no new job and lets running ones finish for up to
``JOBS_SHUTDOWN_GRACE_S``, then cancels them (failed ``interrupted``). What arq does with the job of a
worker that died without a word (SIGKILL, OOM) is in docs/OPERATIONS.md ("Ingestion jobs").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from app.runtime.jobs import JobFunction

if TYPE_CHECKING:
    from app.settings import Settings


async def ingest_job(
    ctx: dict[str, Any], *, tenant_id: str, job_id: str, publish: bool = True
) -> dict[str, Any]:
    """Run one ingestion job (documents already stored by the caller) and, by default, publish the new
    knowledge-base version."""
    from app.kb.ingest import run_ingestion_job

    return await run_ingestion_job(ctx["container"], tenant_id=tenant_id, job_id=job_id, publish=publish)


async def source_sync_job(ctx: dict[str, Any], *, tenant_id: str, sync_id: str) -> dict[str, Any]:
    """Run one sync of a knowledge source (``app.connectors.sync``)."""
    from app.connectors.sync import run_sync

    out = await run_sync(ctx["container"], tenant_id=tenant_id, sync_id=sync_id)
    return {"status": out.status, "version": out.version, "published": out.published}


async def retention_purge_job(ctx: dict[str, Any]) -> dict[str, Any]:
    """The retention purge of every tenant (``app.compliance.purge``; an arq cron job, daily)."""
    from app.compliance.purge import run_purge

    reports = await run_purge(ctx["container"])
    return {r.tenant_id: r.counts for r in reports}


JOB_FUNCTIONS: Mapping[str, JobFunction] = {
    "ingest_job": ingest_job,
    "source_sync_job": source_sync_job,
    "retention_purge_job": retention_purge_job,
}


async def _startup(ctx: dict[str, Any]) -> None:
    from app.runtime.logs import configure_logging
    from app.settings import get_settings
    from app.wiring import build_container

    settings = get_settings()
    configure_logging(settings.log_level, json_lines=settings.log_json)
    ctx["container"] = await build_container(settings, role="worker")


async def _shutdown(ctx: dict[str, Any]) -> None:
    container = ctx.get("container")
    if container is not None:
        await container.aclose()


class WorkerSettings:
    """arq settings; ``redis_settings`` and ``queue_name`` are given by ``kefu worker`` from Settings."""

    functions = list(JOB_FUNCTIONS.values())
    on_startup = _startup
    on_shutdown = _shutdown
    max_jobs = 2  # ingestion is CPU-bound (embedding); more would only queue inside the process
    job_timeout = 3600
    keep_result = 24 * 3600


def worker_options(settings: Settings) -> dict[str, Any]:
    """arq ``Worker`` options that come from Settings (``kefu worker`` passes them with
    ``WorkerSettings``)."""
    from arq import cron
    from arq.connections import RedisSettings

    from app.runtime.jobs import queue_name

    assert settings.redis_url, "the worker needs REDIS_URL"
    return {
        "redis_settings": RedisSettings.from_dsn(settings.redis_url),
        "queue_name": queue_name(settings.redis_namespace),
        # SIGTERM: no new job; running ones get this long to finish, then they are cancelled
        "job_completion_wait": settings.jobs_shutdown_grace_s,
        # the retention purge, daily (COMPLIANCE__PURGE_HOUR / __PURGE_MINUTE, UTC)
        "cron_jobs": [
            cron(
                retention_purge_job,
                hour={settings.compliance.purge_hour},
                minute={settings.compliance.purge_minute},
                unique=True,
            )
        ],
    }
