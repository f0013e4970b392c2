"""``/readyz``: may this replica take customer traffic?

Checks, each with its own deadline (``CHECK_TIMEOUT_S``):

- ``database``: ``SELECT 1``;
- ``redis`` (when configured): ``PING``;
- ``index``: the index of every tenant's active knowledge-base version opens on this replica (a missing
  or unreadable copy is rebuilt from SQL first, which can take a while after a deploy; until then the
  replica is not ready, so no customer waits for it). Versions once opened are remembered, so later
  probes cost one query;
- ``trackers``: the start-up training of each tenant's KB-aware tracker is over, or
  ``SERVER__TRACKER_WARM_UP_S`` has passed (``app.chat.tenant_trackers.start_warm_up``): until then a
  customer would be read by the default tracker, and the first one after a restart would get other
  answers than the hundredth;
- ``llm``: the model server answers. Reported, but it does not make the replica unready: every replica
  shares the model server, and with it down the turn still answers (extractive fallback or handoff);
  taking every replica out of the load balancer would turn a degraded service into no service.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sqlalchemy import text

from app.container import Container
from app.db import crud_ops

logger = logging.getLogger(__name__)

CHECK_TIMEOUT_S = 3.0
INDEX_TIMEOUT_S = 10.0


@dataclass
class Readiness:
    ready: bool
    checks: dict[str, bool]
    detail: dict[str, str] = field(default_factory=dict)


class ReadinessChecker:
    def __init__(self) -> None:
        self._opened: set[tuple[str, str]] = set()

    async def check(self, container: Container) -> Readiness:
        checks: dict[str, bool] = {}
        detail: dict[str, str] = {}

        async def run(name: str, probe: Callable[[], Awaitable[bool]], limit_s: float) -> None:
            try:
                async with asyncio.timeout(limit_s):
                    checks[name] = bool(await probe())
            except Exception as exc:
                logger.warning("readiness: %s check failed: %s", name, type(exc).__name__)
                checks[name] = False
                detail[name] = type(exc).__name__

        async def database() -> bool:
            async with container.sessions() as session:
                await session.execute(text("SELECT 1"))
            return True

        await run("database", database, CHECK_TIMEOUT_S)
        if container.redis is not None:
            await run("redis", container.redis.ping, CHECK_TIMEOUT_S)
        if checks["database"]:
            await run("index", lambda: self._indexes(container), INDEX_TIMEOUT_S)
        else:
            checks["index"] = False
        trackers = getattr(container, "trackers", None)
        checks["trackers"] = trackers is None or trackers.warmed()
        await run("llm", container.llm.health, CHECK_TIMEOUT_S)
        ready = checks["database"] and checks.get("redis", True) and checks["index"] and checks["trackers"]
        return Readiness(ready=ready, checks=checks, detail=detail)

    async def _indexes(self, container: Container) -> bool:
        async with container.sessions() as session:
            wanted = await crud_ops.active_versions(session)
        for tenant_id, label in wanted:
            if (tenant_id, label) in self._opened:
                continue
            active = await container.knowledge.active(tenant_id)
            if active is None:
                continue
            self._opened.add((tenant_id, active.version))
        return True
