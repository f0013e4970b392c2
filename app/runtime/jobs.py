"""Background jobs (knowledge-base ingestion, ...): one set of job functions, two ways to run them.

- ``ArqJobQueue``: enqueue on Redis with arq; the ``worker`` service (``kefu worker``) runs them. arq is
  asyncio-native like the app, so a job function is the same ``async def`` in both modes.
- ``InProcessJobQueue``: the embedded default (no Redis): the job runs as an asyncio task in the app.

A job function has the signature ``async def job(ctx: dict[str, Any], **kwargs) -> object`` where
``ctx["container"]`` is the process's ``Container``. The registry is ``JOB_FUNCTIONS`` in ``app.worker``.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

logger = logging.getLogger(__name__)

JobFunction = Callable[..., Awaitable[object]]


class JobQueue(Protocol):
    """``enqueue`` returns a job id once the job is durably queued (arq) or scheduled (in-process).
    Unknown job names raise ``KeyError``. ``aclose`` stops accepting jobs and, in-process, waits for
    running ones up to a grace period, then cancels them."""

    async def enqueue(self, name: str, **kwargs: Any) -> str: ...

    async def aclose(self) -> None: ...


class InProcessJobQueue:
    def __init__(self, functions: Mapping[str, JobFunction], ctx: dict[str, Any], *, grace_s: float = 10.0):
        self._functions = dict(functions)
        self._ctx = ctx
        self._grace_s = grace_s
        self._tasks: set[asyncio.Task[object]] = set()

    async def enqueue(self, name: str, **kwargs: Any) -> str:
        fn = self._functions[name]
        job_id = uuid.uuid4().hex
        task = asyncio.create_task(self._run(job_id, name, fn, kwargs), name=f"job:{name}:{job_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return job_id

    async def _run(self, job_id: str, name: str, fn: JobFunction, kwargs: dict[str, Any]) -> object:
        try:
            return await fn(self._ctx, **kwargs)
        except asyncio.CancelledError:
            logger.warning("job %s (%s) cancelled", job_id, name)
            raise
        except Exception:
            logger.exception("job %s (%s) failed", job_id, name)
            return None

    async def wait_idle(self) -> None:
        """Wait until every job enqueued so far has finished (tests, the CLI)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def aclose(self) -> None:
        if not self._tasks:
            return
        _, pending = await asyncio.wait(list(self._tasks), timeout=self._grace_s)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


class ArqJobQueue:
    """Enqueue on Redis with arq (the pool is created by ``create``; the worker consumes ``queue_name``)."""

    def __init__(self, pool: Any, queue_name: str, known: Mapping[str, JobFunction]) -> None:
        self._pool = pool
        self._queue_name = queue_name
        self._known = set(known)

    @classmethod
    async def create(cls, redis_url: str, queue_name: str, known: Mapping[str, JobFunction]) -> ArqJobQueue:
        from arq import create_pool
        from arq.connections import RedisSettings

        pool = await create_pool(RedisSettings.from_dsn(redis_url), default_queue_name=queue_name)
        return cls(pool, queue_name, known)

    async def enqueue(self, name: str, **kwargs: Any) -> str:
        if name not in self._known:
            raise KeyError(name)
        job = await self._pool.enqueue_job(name, _queue_name=self._queue_name, **kwargs)
        if job is None:  # only when a _job_id is reused; we never pass one
            raise RuntimeError(f"arq refused job {name}")
        return str(job.job_id)

    async def aclose(self) -> None:
        await self._pool.aclose()


def queue_name(namespace: str) -> str:
    return f"{namespace}:jobs"
