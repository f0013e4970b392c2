"""The app's Redis clients, with every limit from settings (``Settings.redis``; env ``REDIS__*``).

Two clients, because their reads differ:

- ``commands``: the dialog store, the vault, the rate limiter, locks, readiness. Every call has a connect
  and a read deadline (``connect_timeout_s``, ``socket_timeout_s``) and is retried on a connection error
  or timeout with jittered exponential backoff (``retries``, ``retry_backoff_s`` .. ``retry_backoff_max_s``),
  so a Redis restart is ridden out for a moment and an outage fails fast and loud
  (``StoreUnavailable`` -> 503 ``store_unavailable``) instead of hanging a turn.
- ``events``: pub/sub. A subscription blocks on its read until an event comes, which may be minutes, so
  this client has no read deadline (a read deadline would end every quiet subscription); dead peers are
  found by TCP keepalive and the periodic health check. Publishing on it is bounded by
  ``BoundedRedisEventChannel`` (``publish_timeout_s``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from dialog.channels.redis_channel import RedisEventChannel
from dialog.errors import ChannelUnavailable

if TYPE_CHECKING:
    from redis.asyncio import Redis


class RedisClientConfig(BaseModel):
    """Timeouts and retries of every call to Redis (env ``REDIS__*``)."""

    connect_timeout_s: float = Field(default=2.0, gt=0)
    socket_timeout_s: float = Field(default=2.0, gt=0)
    # Retries after the first attempt, on connection errors and timeouts only.
    retries: int = Field(default=2, ge=0, le=10)
    retry_backoff_s: float = Field(default=0.05, ge=0)
    retry_backoff_max_s: float = Field(default=0.5, ge=0)
    health_check_interval_s: int = Field(default=15, ge=0)
    max_connections: int = Field(default=200, ge=4)
    # Bound on one live-event publish (``BoundedRedisEventChannel``); a stalled Redis must not stall a turn.
    publish_timeout_s: float = Field(default=1.0, gt=0)

    def worst_case_s(self) -> float:
        """Longest one command can take before it fails (attempts x deadline + backoffs)."""
        attempts = self.retries + 1
        deadline = max(self.connect_timeout_s, self.socket_timeout_s)
        return attempts * deadline + self.retries * self.retry_backoff_max_s


def command_client(url: str, config: RedisClientConfig) -> Redis:
    from redis.asyncio import Redis
    from redis.asyncio.retry import Retry
    from redis.backoff import EqualJitterBackoff
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    retry = Retry(
        EqualJitterBackoff(cap=config.retry_backoff_max_s, base=config.retry_backoff_s), config.retries
    )
    client: Redis = Redis.from_url(
        url,
        socket_connect_timeout=config.connect_timeout_s,
        socket_timeout=config.socket_timeout_s,
        socket_keepalive=True,
        retry=retry,
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
        health_check_interval=config.health_check_interval_s,
        max_connections=config.max_connections,
    )
    return client


def events_client(url: str, config: RedisClientConfig) -> Redis:
    from redis.asyncio import Redis

    client: Redis = Redis.from_url(
        url,
        socket_connect_timeout=config.connect_timeout_s,
        socket_keepalive=True,
        health_check_interval=config.health_check_interval_s,
        max_connections=config.max_connections,
    )
    return client


class BoundedRedisEventChannel(RedisEventChannel):
    """Redis pub/sub whose ``publish`` gives up after ``publish_timeout_s`` with ``ChannelUnavailable``
    (which the live-event publisher logs and drops: live events are best effort, the database is the
    record). Subscriptions are unchanged."""

    def __init__(self, client: Redis, *, prefix: str, publish_timeout_s: float) -> None:
        super().__init__(client, prefix=prefix)
        self._publish_timeout_s = publish_timeout_s

    async def publish(self, topic: str, payload: Mapping[str, Any]) -> None:
        try:
            async with asyncio.timeout(self._publish_timeout_s):
                await super().publish(topic, payload)
        except TimeoutError:
            raise ChannelUnavailable(
                f"event channel: publish to {topic} took over {self._publish_timeout_s:g} s"
            ) from None
