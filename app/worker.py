"""The background worker: arq on Redis (``kefu worker``; the compose ``worker`` service).

Why arq: it is asyncio-native like the app, so a job is the same ``async def`` whether arq runs it in the
worker or the app runs it in-process (the embedded default, ``app.jobs.InProcessJobQueue``); it keeps its
queue, retries and results in the Redis we already run; it is small and maintained. RQ and Celery run
sync functions in forked processes (our adapters are async), Dramatiq needs an extra broker or a
Redis-specific setup with sync actors.

The worker builds its own ``Container`` at start-up (database, Redis, embedder, index store; the LLM
is not loaded) and closes it at shutdown.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.jobs import JobFunction


async def ingest_job(
    ctx: dict[str, Any], *, tenant_id: str, job_id: str, publish: bool = True
) -> dict[str, Any]:
    """Run one ingestion job (documents already stored by the caller) and, by default, publish the new
    knowledge-base version."""
    from app.services.kb_ingest import run_ingestion_job

    return await run_ingestion_job(ctx["container"], tenant_id=tenant_id, job_id=job_id, publish=publish)


JOB_FUNCTIONS: Mapping[str, JobFunction] = {"ingest_job": ingest_job}


async def _startup(ctx: dict[str, Any]) -> None:
    from app.logs import configure_logging
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
