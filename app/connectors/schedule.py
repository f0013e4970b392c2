"""Syncs of sources whose schedule is due: every ``CONNECTORS__SCHEDULE_CHECK_S``, in the process that
runs jobs (the arq worker; with in-process jobs, the app). Several such processes may look at once: a
source's second open run is refused by the database (``sync_in_progress``), so a due source syncs once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy.exc import SQLAlchemyError

from app.connectors.sync import start_sync
from app.container import Container
from app.db import crud_sources
from app.db.base import utcnow
from app.errors import AppError
from app.kb.versions import SYSTEM
from app.runtime.jobs import InProcessJobQueue

logger = logging.getLogger(__name__)


async def start_due(container: Container) -> list[str]:
    """Start a sync of every due source; returns the sync ids started."""
    try:
        async with container.sessions() as session:
            due = await crud_sources.due_sources(session, now=utcnow())
    except SQLAlchemyError as exc:  # no schema yet, or the database is away: the next round
        logger.warning("scheduled syncs: cannot read the sources (%s)", type(exc).__name__)
        return []
    started = []
    for source in due:
        try:
            started.append(
                await start_sync(
                    container,
                    tenant_id=source.tenant_id,
                    source_id=source.id,
                    actor=SYSTEM,
                    trigger="schedule",
                )
            )
        except AppError as exc:
            logger.info("scheduled sync of source %s not started: %s", source.id, exc.detail)
        except SQLAlchemyError as exc:
            logger.warning("scheduled sync of source %s not started: %s", source.id, type(exc).__name__)
    return started


async def schedule_forever(container: Container) -> None:
    interval = container.settings.connectors.schedule_check_s
    while interval > 0:
        await asyncio.sleep(interval)
        await start_due(container)


def start_scheduler(container: Container, *, role: str) -> None:
    """Run ``schedule_forever`` for the container's life in the process that runs the jobs."""
    runs_jobs = role == "worker" or (role == "app" and isinstance(container.jobs, InProcessJobQueue))
    if not runs_jobs or container.settings.connectors.schedule_check_s <= 0:
        return
    task = asyncio.create_task(schedule_forever(container), name="source-schedule")

    async def stop() -> None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    container.closers.append(stop)
