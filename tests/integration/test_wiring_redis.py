"""With REDIS_URL set, the composition root puts dialog state, live events and jobs on Redis, under the
deployment's namespace (the model-loading parts of the wiring are covered by the real-stack test)."""

from __future__ import annotations

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from app.runtime.jobs import ArqJobQueue, InProcessJobQueue
from app.settings import Settings
from app.wiring import _dialog_stores, _jobs, _redis
from dialog.channels.redis_channel import RedisEventChannel
from dialog.events import UserSaid
from dialog.stores.redis_store import RedisDialogStore

pytestmark = pytest.mark.integration


async def test_redis_backs_state_events_and_jobs(service_urls: tuple[str, str], redis_namespace: str) -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        environment="test",
        redis_url=service_urls[1],
        redis_namespace=redis_namespace,
    )
    client = await _redis(settings)
    try:
        store, channel = _dialog_stores(settings, client)
        assert isinstance(store, RedisDialogStore)
        assert isinstance(channel, RedisEventChannel)
        await store.append("c1", [UserSaid(text="hi")], 0)
        assert await client.exists(f"{redis_namespace}:dialog:c1:events") == 1
        jobs = await _jobs(settings, container=None, role="app")  # type: ignore[arg-type]
        assert isinstance(jobs, ArqJobQueue)
        await jobs.aclose()
        worker_side = await _jobs(settings, container=None, role="worker")  # type: ignore[arg-type]
        assert isinstance(worker_side, InProcessJobQueue)  # the worker runs jobs; it does not enqueue on arq
    finally:
        await client.aclose()


async def test_unreachable_redis_fails_at_start_up(service_urls: tuple[str, str]) -> None:
    settings = Settings(_env_file=None, environment="test", redis_url="redis://127.0.0.1:1/0")  # type: ignore[call-arg]
    with pytest.raises(RedisConnectionError):
        await _redis(settings)


async def test_embedded_default_needs_no_redis() -> None:
    settings = Settings(_env_file=None, environment="test", redis_url=None)  # type: ignore[call-arg]
    assert await _redis(settings) is None
    store, channel = _dialog_stores(settings, None)
    assert type(store).__name__ == "MemoryDialogStore"
    assert type(channel).__name__ == "MemoryEventChannel"
