"""Start-up recovery of ingestion jobs whose process died (killed, OOM, power loss) mid-way.

A live job moves its row at least every few seconds (progress is written every 0.5 s while it parses and
embeds), so a job still ``running`` whose row has not moved for ``JOBS_STALE_AFTER_S`` was abandoned. It is
marked ``failed`` with the code ``interrupted``, and so are its documents still in flight, so the admin
console shows what happened and the files can be uploaded again. ``queued`` jobs are abandoned only with
the in-process job runner (nobody else will pick them up); on arq they wait in Redis for the worker.

What a dead job can never leave behind: a half-built index (versions are built in a hidden folder and
renamed into place whole), a changed active version (only a completed publish changes it), or a held
knowledge-base lock (a ``flock`` dies with its process; the Redis lock expires).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy.exc import SQLAlchemyError

from app.container import Container
from app.db import crud_ops
from app.db.base import utcnow

logger = logging.getLogger(__name__)

INTERRUPTED = "interrupted"


async def recover_interrupted_jobs(container: Container, *, in_process_queue: bool) -> list[str]:
    """Mark abandoned jobs failed; returns their ids. Never raises for a missing schema (before
    ``kefu migrate``) or a database hiccup: recovery then waits for the next start."""
    settings = container.settings
    statuses = ["running", "queued"] if in_process_queue else ["running"]
    cutoff = utcnow() - timedelta(seconds=settings.jobs_stale_after_s)
    detail = "the process running this job stopped before it finished; upload the files again"
    recovered: list[str] = []
    try:
        async with container.sessions() as session:
            for job in await crud_ops.stale_jobs(session, statuses=statuses, not_updated_since=cutoff):
                docs = await crud_ops.fail_interrupted_job(session, job=job, code=INTERRUPTED, detail=detail)
                recovered.append(job.id)
                logger.warning(
                    "ingestion job %s (tenant %s) was abandoned at stage %s: marked failed (%d documents)",
                    job.id,
                    job.tenant_id,
                    job.stage,
                    docs,
                )
            await session.commit()
    except SQLAlchemyError as exc:
        logger.warning("job recovery skipped: %s", type(exc).__name__)
        return []
    if recovered:
        container.metrics.jobs_interrupted.inc(len(recovered))
    return recovered
