"""Operations: liveness and readiness (database, Redis, indexes; the model reported), per-stage latency
histograms on /metrics, JSON log lines that carry the request and conversation ids, security headers."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from app.chat.tenant_trackers import TenantTrackers, start_warm_up
from app.container import Container
from app.db import crud_kb
from app.edge.security_headers import SecurityHeadersMiddleware
from app.runtime.logs import configure_logging
from app.runtime.metrics import STAGES
from dialog.intents import IntentSet
from dialog.kb_profile import KBProfile
from dialog.protocols import Tracker
from dialog.testing import local_tracker
from retrieval.errors import IndexUnavailable
from tests.unit.app.fakes import StaticKnowledgeBases
from tests.unit.app.helpers import (
    METRICS_AUTH,
    Tenant,
    demo_trackers,
    publish_faq,
    send_message,
    start_conversation,
)


async def test_healthz_and_readyz(client: httpx.AsyncClient, tenant: Tenant) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok", "pid": os.getpid()}
    r = await client.get("/readyz")
    assert r.status_code == 200, r.text
    assert r.json() == {
        "status": "ready",
        "checks": {"database": True, "index": True, "trackers": True, "llm": True},
    }


async def _gated_kb_tenant(container: Container, tenant: Tenant) -> tuple[TenantTrackers, threading.Event]:
    """The tenant gets an active KB version (two FAQ pairs), and the real per-tenant trackers (local tracker,
    model-free embedding) whose training waits for the returned gate: a slow start-up training, held open
    for as long as the test needs."""
    await publish_faq(
        container, tenant, [("白金卡的年费是多少？", "1200元"), ("信用卡分期怎么申请？", "在App办理")]
    )
    gate = threading.Event()

    def build(intents: IntentSet, kb: KBProfile | None) -> Tracker:
        assert gate.wait(timeout=30)
        return local_tracker(intents, kb=kb)

    trackers = demo_trackers(container, build)
    container.trackers = trackers
    return trackers, gate


async def test_not_ready_until_the_tenant_trackers_are_warm(
    container: Container, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    """At start-up each tenant with an active KB gets its KB-aware tracker trained; until then the replica
    is not ready (the first customer after a restart would meet the default tracker), but a turn that
    arrives meanwhile is still answered at once. Then ready, and the tenant's turns use the trained one."""
    trackers, gate = await _gated_kb_tenant(container, tenant)
    try:
        container.settings.server.tracker_warm_up_s = 60
        start_warm_up(container)
        r = await client.get("/readyz")
        assert r.status_code == 503
        assert r.json()["checks"]["trackers"] is False
        # A turn during the warm-up is not held back: the default tracker reads it.
        cid, headers = await start_conversation(client, tenant)
        answered = await asyncio.wait_for(send_message(client, cid, headers, "hello"), timeout=20)
        assert answered.status_code == 200, answered.text
        assert (await trackers.get(tenant.id)) is container.tracker
        assert (await client.get("/readyz")).status_code == 503
    finally:
        gate.set()
    for _ in range(200):
        if trackers.warmed():
            break
        await asyncio.sleep(0.05)
    r = await client.get("/readyz")
    assert r.status_code == 200, r.text
    assert r.json()["checks"]["trackers"] is True
    warm = await trackers.get(tenant.id)
    assert warm is not container.tracker
    assert "白金卡的年费是多少？" in warm.kb.examples  # type: ignore[attr-defined]


async def test_a_warm_up_that_overruns_its_time_stops_gating(
    container: Container, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    """``SERVER__TRACKER_WARM_UP_S`` bounds the wait: a training that never ends does not keep the
    replica out of the load balancer forever."""
    trackers, gate = await _gated_kb_tenant(container, tenant)
    try:
        container.settings.server.tracker_warm_up_s = 0.3
        start_warm_up(container)
        assert not trackers.warmed()
        await asyncio.sleep(0.4)
        assert trackers.warmed()
        r = await client.get("/readyz")
        assert r.status_code == 200, r.text
    finally:
        gate.set()


class _Unloadable(StaticKnowledgeBases):
    async def active(self, tenant_id: str):  # type: ignore[no-untyped-def]
        raise IndexUnavailable(f"{tenant_id}/v1: files unreadable")


async def test_not_ready_while_an_active_index_cannot_load(container: Container, tenant: Tenant) -> None:
    async with container.sessions() as s:
        v = await crud_kb.create_version(s, tenant_id=tenant.id, document_ids=[], embedder="x", chunk_count=0)
        await crud_kb.activate_version(s, tenant_id=tenant.id, version_id=v.id)
        await s.commit()
    container.knowledge = _Unloadable()
    from tests.reliability.conftest import asgi_client

    async with asgi_client(container) as client:
        r = await client.get("/readyz")
        assert r.status_code == 503
        assert r.json()["checks"]["index"] is False
        container.knowledge = StaticKnowledgeBases()  # loaded now (the fake opens anything)
        assert (await client.get("/readyz")).status_code == 200


async def test_model_down_is_reported_but_does_not_take_the_replica_out(
    container: Container, client: httpx.AsyncClient
) -> None:
    async def down() -> bool:
        return False

    container.llm.health = down  # type: ignore[method-assign]
    r = await client.get("/readyz")
    assert r.status_code == 200
    assert r.json()["checks"]["llm"] is False


async def test_stage_histograms_on_metrics(client: httpx.AsyncClient, tenant: Tenant) -> None:
    cid, headers = await start_conversation(client, tenant)
    r = await send_message(client, cid, headers, "Opening hours?")
    assert r.status_code == 200
    text = (await client.get("/metrics", headers=METRICS_AUTH)).text
    for stage in STAGES:
        assert f'kefu_turn_stage_seconds_count{{stage="{stage}"}}' in text, stage
    assert "kefu_turn_stage_seconds_bucket" in text
    assert "kefu_rate_limited_total" in text or "kefu_rate_limited" in text


async def test_log_lines_carry_request_and_conversation_ids(
    client: httpx.AsyncClient, tenant: Tenant, capfd: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO", json_lines=True)
    try:
        cid, headers = await start_conversation(client, tenant)
        r = await client.post(
            f"/api/v1/chat/conversations/{cid}/messages",
            json={"text": "Opening hours?"},
            headers={**headers, "X-Request-ID": "proxy-req-42"},
        )
        assert r.headers["x-request-id"] == "proxy-req-42"
        other = await client.get("/healthz", headers={"X-Request-ID": "not a safe id\x01"})
        assert len(other.headers["x-request-id"]) == 32  # an unsafe id is replaced by a fresh one
    finally:
        configure_logging("WARNING", json_lines=False)
        logging.getLogger().setLevel(logging.WARNING)
    lines = [json.loads(line) for line in capfd.readouterr().err.splitlines() if line.startswith("{")]
    turn = [line for line in lines if line["msg"].startswith("turn conversation=")]
    assert turn, lines
    assert turn[0]["request_id"] == "proxy-req-42"
    assert turn[0]["conversation_id"] == cid
    assert {"ts", "level", "logger", "msg"} <= set(turn[0])


async def test_security_headers_on_api_and_pages(client: httpx.AsyncClient) -> None:
    r = await client.get("/healthz")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert "strict-transport-security" not in r.headers  # plain HTTP: HSTS comes with HTTPS only
    api = await client.get("/api/v1/auth/me")
    assert api.headers["cache-control"] == "no-store"
    page = await client.get("/console")
    assert page.headers["content-type"].startswith("text/html")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


async def test_every_html_page_of_the_app_has_a_strict_csp(
    container: Container, client: httpx.AsyncClient
) -> None:
    """Each GET route without path parameters that answers HTML (the consoles, the demo page) carries a
    CSP that forbids inline and foreign scripts and framing."""
    from app.main import create_app

    app = create_app(container.settings, container)
    pages = 0
    for route in app.routes:
        path = getattr(route, "path", "")
        if (
            "GET" not in (getattr(route, "methods", None) or ())
            or "{" in path
            or path.startswith(("/docs", "/redoc"))
        ):
            continue
        r = await client.get(path)
        if not r.headers.get("content-type", "").startswith("text/html"):
            continue
        pages += 1
        csp = r.headers["content-security-policy"]
        script_src = next(d for d in csp.split(";") if d.strip().startswith("script-src"))
        assert script_src.split() == ["script-src", "'self'"], (path, csp)
        assert "frame-ancestors 'none'" in csp
        assert "object-src 'none'" in csp

    # the middleware itself, on a page of its own
    async def page(_):  # type: ignore[no-untyped-def]
        return HTMLResponse("<h1>hi</h1>")

    probe = SecurityHeadersMiddleware(Starlette(routes=[Route("/p", page)]))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=probe), base_url="https://t") as c:
        r = await c.get("/p")
    assert "script-src 'self';" in r.headers["content-security-policy"]
    assert r.headers["strict-transport-security"].startswith("max-age=31536000")
