"""When the retention purge runs on its own.

- With Redis and arq: a daily arq cron job in ``kefu worker`` (``COMPLIANCE__PURGE_HOUR`` and
  ``__PURGE_MINUTE``, UTC; ``app.worker.worker_options``). arq gives each cron run one job id, so of
  several workers one runs it.
- Embedded (in-process jobs): a task in the app, every ``COMPLIANCE__PURGE_INTERVAL_S`` (first run one
  interval after start-up; 0 turns it off). ``kefu purge`` runs it by hand either way.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy.exc import SQLAlchemyError

from app.compliance.purge import run_purge
from app.container import Container
from app.runtime.jobs import InProcessJobQueue

logger = logging.getLogger(__name__)


async def purge_forever(container: Container, interval_s: float) -> None:
    while True:
        await asyncio.sleep(interval_s)
        try:
            await run_purge(container)
        except (SQLAlchemyError, OSError) as exc:  # the database or Redis away: the next round
            logger.warning("retention purge failed (%s); next try in %.0f s", type(exc).__name__, interval_s)
        except Exception:
            logger.exception("retention purge failed; next try in %.0f s", interval_s)


def start_purge_scheduler(container: Container, *, role: str) -> None:
    """Run ``purge_forever`` for the container's life in an app that runs its jobs in-process."""
    interval = container.settings.compliance.purge_interval_s
    if role != "app" or not isinstance(container.jobs, InProcessJobQueue) or interval <= 0:
        return
    task = asyncio.create_task(purge_forever(container, interval), name="retention-purge")

    async def stop() -> None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    container.closers.append(stop)
