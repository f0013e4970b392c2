"""The embedded default runs background jobs as asyncio tasks in the app process."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from app.runtime.jobs import InProcessJobQueue


async def test_in_process_queue_runs_jobs_with_the_context() -> None:
    seen: list[tuple[object, int]] = []

    async def job(ctx: dict[str, Any], *, n: int) -> None:
        seen.append((ctx["container"], n))

    queue = InProcessJobQueue({"job": job}, {"container": "C"})
    ids = {await queue.enqueue("job", n=1), await queue.enqueue("job", n=2)}
    await queue.wait_idle()
    assert len(ids) == 2
    assert sorted(seen, key=lambda x: x[1]) == [("C", 1), ("C", 2)]
    with pytest.raises(KeyError):
        await queue.enqueue("unknown")


async def test_a_failing_job_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    async def boom(ctx: dict[str, Any]) -> None:
        raise ValueError("bad file")

    queue = InProcessJobQueue({"boom": boom}, {})
    await queue.enqueue("boom")
    await queue.wait_idle()
    assert "failed" in caplog.text


async def test_close_cancels_jobs_after_the_grace_period() -> None:
    started = asyncio.Event()

    async def slow(ctx: dict[str, Any]) -> None:
        started.set()
        await asyncio.sleep(60)

    queue = InProcessJobQueue({"slow": slow}, {}, grace_s=0.05)
    await queue.enqueue("slow")
    await started.wait()
    await asyncio.wait_for(queue.aclose(), 2)
