"""Rate limits with ``429`` and ``Retry-After``: per client IP, per widget key, per conversation, per IP on
login.

The algorithm is GCRA (a smoothed token bucket): each key stores one time, its "theoretical arrival
time"; a request is allowed when that time is no more than ``count * interval`` ahead of now. One key per
limited thing, expiring on its own. Two stores, one contract:

- ``RedisLimiter``: a Lua script (atomic, Redis's own clock), so every replica shares the counters.
  When Redis fails, the request is let through (fail open) and the failure is logged and counted: a
  limiter outage must not take the chat down with it (the turn itself reports a Redis outage loudly).
- ``MemoryLimiter``: the embedded default (one process); at most ``max_keys`` keys are kept.
"""

from __future__ import annotations

import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from app.edge.config import RateLimit

if TYPE_CHECKING:
    from redis.asyncio import Redis

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    retry_after_s: float = 0.0  # when refused: how long until one request would be allowed

    @property
    def retry_after_header(self) -> str:
        return str(max(1, math.ceil(self.retry_after_s)))


class Limiter(Protocol):
    """``hit(key, limit)`` counts one request for ``key`` and says whether it is allowed. Never raises
    for a store failure (it allows, and logs)."""

    async def hit(self, key: str, limit: RateLimit) -> Verdict: ...


def gcra(tat: float | None, now: float, limit: RateLimit) -> tuple[Verdict, float]:
    """One GCRA step: (verdict, the key's new arrival time). Times in seconds."""
    interval = limit.interval_s
    tolerance = interval * limit.count
    new_tat = max(tat if tat is not None else now, now) + interval
    if new_tat - now > tolerance:
        return Verdict(False, new_tat - tolerance - now), max(tat or now, now)
    return Verdict(True), new_tat


class MemoryLimiter:
    def __init__(self, *, max_keys: int = 100_000, clock: Callable[[], float] = time.monotonic) -> None:
        self._tat: OrderedDict[str, float] = OrderedDict()
        self._max_keys = max_keys
        self._clock = clock

    async def hit(self, key: str, limit: RateLimit) -> Verdict:
        now = self._clock()
        verdict, tat = gcra(self._tat.get(key), now, limit)
        self._tat[key] = tat
        self._tat.move_to_end(key)
        while len(self._tat) > self._max_keys:
            self._tat.popitem(last=False)
        return verdict

    def __len__(self) -> int:
        return len(self._tat)


# KEYS[1] = the key; ARGV[1] = interval (microseconds), ARGV[2] = count.
# Returns {1, 0} when allowed, {0, retry_after_us} when refused.
_GCRA_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = interval * tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + interval
if new_tat - now > tolerance then
  return {0, new_tat - tolerance - now}
end
redis.call('SET', KEYS[1], new_tat, 'PX', math.ceil((new_tat - now) / 1000) + 1)
return {1, 0}
"""


class RedisLimiter:
    def __init__(self, client: Redis, *, prefix: str, on_error: Callable[[], None] | None = None) -> None:
        self._client = client
        self._prefix = prefix
        self._script: Any = client.register_script(_GCRA_LUA)
        self._on_error = on_error

    async def hit(self, key: str, limit: RateLimit) -> Verdict:
        from redis.exceptions import RedisError

        interval_us = max(1, round(limit.interval_s * 1_000_000))
        try:
            ok, retry_us = await self._script(keys=[self._prefix + key], args=[interval_us, limit.count])
        except RedisError as exc:
            logger.warning("rate limiter: Redis failed (%s); request allowed", type(exc).__name__)
            if self._on_error is not None:
                self._on_error()
            return Verdict(True)
        if int(ok) == 1:
            return Verdict(True)
        return Verdict(False, int(retry_us) / 1_000_000)
