"""Background jobs on real Redis with arq: what the app enqueues, the worker runs (the same job function
runs in-process in the embedded default)."""

from __future__ import annotations

from typing import Any

import pytest
from arq.connections import RedisSettings
from arq.worker import Worker

from app.runtime.jobs import ArqJobQueue, queue_name

pytestmark = pytest.mark.integration

RAN: list[tuple[str, int]] = []


async def record_job(ctx: dict[str, Any], *, label: str, n: int) -> str:
    RAN.append((label, n))
    return f"{label}:{n * 2}"


async def test_arq_queue_and_worker_run_the_job(service_urls: tuple[str, str], redis_namespace: str) -> None:
    RAN.clear()
    qname = queue_name(redis_namespace)
    queue = await ArqJobQueue.create(service_urls[1], qname, {"record_job": record_job})
    try:
        job_id = await queue.enqueue("record_job", label="a", n=21)
        with pytest.raises(KeyError):
            await queue.enqueue("no_such_job")
    finally:
        await queue.aclose()
    worker = Worker(
        functions=[record_job],
        redis_settings=RedisSettings.from_dsn(service_urls[1]),
        queue_name=qname,
        burst=True,
        poll_delay=0.05,
        handle_signals=False,
    )
    try:
        await worker.main()
    finally:
        await worker.close()
    assert RAN == [("a", 21)]
    assert worker.jobs_complete == 1
    assert job_id
