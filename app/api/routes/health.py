"""Liveness (``/healthz``), readiness (``/readyz``: database, Redis, model) and Prometheus ``/metrics``."""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text

from app.deps import ContainerDep

logger = logging.getLogger(__name__)
root_router = APIRouter(tags=["health"])


@root_router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up (no dependency is checked)."""
    return {"status": "ok"}


@root_router.get("/readyz")
async def readyz(container: ContainerDep) -> JSONResponse:
    """Ready to serve turns: the database answers, Redis answers (when configured), the model is usable.
    503 with the failing checks otherwise (a load balancer takes the replica out)."""
    checks: dict[str, bool] = {}
    try:
        async with container.sessions() as session:
            await asyncio.wait_for(session.execute(text("SELECT 1")), timeout=3)
        checks["database"] = True
    except Exception as exc:
        logger.warning("readiness: database check failed: %s", type(exc).__name__)
        checks["database"] = False
    if container.redis is not None:
        try:
            checks["redis"] = bool(await asyncio.wait_for(container.redis.ping(), timeout=3))
        except Exception as exc:
            logger.warning("readiness: redis check failed: %s", type(exc).__name__)
            checks["redis"] = False
    try:
        checks["llm"] = await asyncio.wait_for(container.llm.health(), timeout=3)
    except Exception as exc:
        logger.warning("readiness: llm check failed: %s", type(exc).__name__)
        checks["llm"] = False
    # The model being down degrades answers (extractive fallback) but does not make the replica unready.
    ready = checks["database"] and checks.get("redis", True)
    return JSONResponse(
        {"status": "ready" if ready else "unavailable", "checks": checks}, status_code=200 if ready else 503
    )


@root_router.get("/metrics")
async def metrics(container: ContainerDep) -> Response:
    return Response(container.metrics.render(), media_type=CONTENT_TYPE_LATEST)
