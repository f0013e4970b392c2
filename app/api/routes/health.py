"""Liveness (``/healthz``), readiness (``/readyz``: database, Redis, indexes; model reported) and Prometheus
``/metrics`` (open with ``ENVIRONMENT=local``; elsewhere ``Authorization: Bearer <METRICS_TOKEN>``, and
404 while no token is set)."""

from __future__ import annotations

import hmac
import logging
import os

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST

from app.deps import ContainerDep
from app.errors import AppError, ErrorCode
from app.runtime.readiness import ReadinessChecker

logger = logging.getLogger(__name__)
root_router = APIRouter(tags=["health"])


@root_router.get("/healthz")
async def healthz() -> dict[str, str | int]:
    """The process is up (no dependency is checked). ``pid``: the worker process that answered (with
    ``kefu serve --workers N`` each connection is served by one of N; the same pid is on its log lines)."""
    return {"status": "ok", "pid": os.getpid()}


@root_router.get("/readyz")
async def readyz(request: Request, container: ContainerDep) -> JSONResponse:
    """Ready to serve turns: the database and Redis (when configured) answer and the active knowledge-base
    indexes are loaded; the model server is reported but does not gate (``app.runtime.readiness``). 503 with the
    failing checks otherwise (a load balancer takes the replica out)."""
    checker = getattr(request.app.state, "readiness", None)
    if checker is None:
        checker = request.app.state.readiness = ReadinessChecker()
    result = await checker.check(container)
    body = {"status": "ready" if result.ready else "unavailable", "checks": result.checks}
    return JSONResponse(body, status_code=200 if result.ready else 503)


@root_router.get("/metrics")
async def metrics(request: Request, container: ContainerDep) -> Response:
    settings = container.settings
    if settings.environment != "local":
        expected = settings.metrics_token.get_secret_value() if settings.metrics_token else ""
        if not expected:
            raise AppError(ErrorCode.NOT_FOUND, "/metrics is off: set METRICS_TOKEN to scrape it")
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected.encode()):
            raise AppError(
                ErrorCode.UNAUTHENTICATED,
                "send Authorization: Bearer <METRICS_TOKEN>",
                headers={"WWW-Authenticate": "Bearer"},
            )
    return Response(container.metrics.render(), media_type=CONTENT_TYPE_LATEST)
