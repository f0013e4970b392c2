"""Rate limits (429 + Retry-After per IP, widget key, conversation, login) and request-size limits, through
the real ASGI app; the GCRA arithmetic on a fake clock."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from app.container import Container
from app.edge.config import RateLimit
from app.edge.ratelimit import MemoryLimiter
from tests.reliability.conftest import asgi_client, make_settings
from tests.unit.app.helpers import ORIGIN, PASSWORD, Tenant, seed_tenant, send_message, start_conversation


def limited(container: Container, tmp_path: Path, **limits: dict[str, float]) -> httpx.AsyncClient:
    rate = container.settings.rate_limit.model_copy(
        update={k: RateLimit(**v) for k, v in limits.items()}  # type: ignore[arg-type]
    )
    settings = make_settings(tmp_path, rate_limit=rate)
    container.settings = settings
    return asgi_client(container, settings)


def assert_429(r: httpx.Response, scope: str) -> int:
    assert r.status_code == 429, r.text
    assert r.json()["error_code"] == "rate_limited"
    assert scope in r.json()["detail"]
    retry = int(r.headers["retry-after"])
    assert retry >= 1
    return retry


async def test_gcra_allows_a_burst_then_one_per_interval() -> None:
    now = [100.0]
    limiter = MemoryLimiter(clock=lambda: now[0])
    limit = RateLimit(count=3, period_s=3.0)  # one per second, burst of 3
    assert [(await limiter.hit("k", limit)).allowed for _ in range(3)] == [True, True, True]
    refused = await limiter.hit("k", limit)
    assert not refused.allowed
    assert refused.retry_after_s == pytest.approx(1.0)
    assert not (await limiter.hit("k", limit)).allowed  # refusals do not push the key further out
    now[0] += 1.0
    assert (await limiter.hit("k", limit)).allowed
    assert not (await limiter.hit("k", limit)).allowed
    assert (await limiter.hit("other", limit)).allowed  # keys are independent


async def test_memory_limiter_stays_bounded_under_many_addresses() -> None:
    limiter = MemoryLimiter(max_keys=100)
    for i in range(1000):
        await limiter.hit(f"ip:10.0.{i // 250}.{i % 250}", RateLimit(count=1, period_s=60))
    assert len(limiter) == 100


async def test_turns_per_conversation(container: Container, tenant: Tenant, tmp_path: Path) -> None:
    async with limited(container, tmp_path, conversation={"count": 2, "period_s": 2.0}) as client:
        cid, headers = await start_conversation(client, tenant)
        other, other_headers = await start_conversation(client, tenant)
        url = f"/api/v1/chat/conversations/{cid}/messages"
        for _ in range(2):
            assert (
                await client.post(url, json={"text": "Opening hours?"}, headers=headers)
            ).status_code == 200
        r = await client.post(url + "/stream", json={"text": "Opening hours?"}, headers=headers)
        retry = assert_429(r, "conversation")
        assert r.headers["access-control-allow-origin"] == ORIGIN  # the widget can read why
        assert "Retry-After" in r.headers["access-control-expose-headers"]
        # another conversation is not affected; reading the transcript is not a turn
        ok = await send_message(client, other, other_headers, "hi")
        assert ok.status_code == 200
        assert (await client.get(url, headers=headers)).status_code == 200
        await asyncio.sleep(retry)
        assert (await client.post(url, json={"text": "Opening hours?"}, headers=headers)).status_code == 200
        rows = (await client.get(url, headers=headers)).json()["messages"]
        assert sum(m["role"] == "user" for m in rows) == 3  # the refused message was never stored


async def test_per_ip(container: Container, tenant: Tenant, tmp_path: Path) -> None:
    async with limited(container, tmp_path, ip={"count": 4, "period_s": 60}) as client:
        cid, headers = await start_conversation(client, tenant)
        for _ in range(3):
            assert (
                await client.get(f"/api/v1/chat/conversations/{cid}/messages", headers=headers)
            ).status_code == 200
        assert_429(await client.get(f"/api/v1/chat/conversations/{cid}/messages", headers=headers), "ip")
        # admin routes are not under the chat limit
        assert (await client.get("/healthz")).status_code == 200


async def test_per_widget_key(container: Container, tenant: Tenant, tmp_path: Path) -> None:
    other = await seed_tenant(container, "other")
    async with limited(container, tmp_path, widget_key={"count": 2, "period_s": 60}) as client:
        await start_conversation(client, tenant)
        r = await client.post(
            "/api/v1/chat/conversations",
            json={},
            headers={"Origin": ORIGIN, "X-Widget-Key": tenant.widget_key},
        )
        assert r.status_code == 201
        r = await client.post(
            "/api/v1/chat/conversations", json={"widget_key": tenant.widget_key}, headers={"Origin": ORIGIN}
        )
        assert_429(r, "widget_key")
        await start_conversation(client, other)  # another key has its own budget


async def test_login_attempts_per_ip(container: Container, tenant: Tenant, tmp_path: Path) -> None:
    async with limited(container, tmp_path, login={"count": 3, "period_s": 60}) as client:
        for _ in range(3):
            r = await client.post(
                "/api/v1/auth/login", json={"email": tenant.admin_email, "password": "wrong-password!"}
            )
            assert r.status_code == 401
        r = await client.post("/api/v1/auth/login", json={"email": tenant.admin_email, "password": PASSWORD})
        assert_429(r, "login")  # even the right password waits: guessing is what is being slowed


async def test_disabled_limits_let_everything_through(
    container: Container, tenant: Tenant, tmp_path: Path
) -> None:
    rate = container.settings.rate_limit.model_copy(
        update={"enabled": False, "ip": RateLimit(count=1, period_s=60)}
    )
    settings = make_settings(tmp_path, rate_limit=rate)
    container.settings = settings
    async with asgi_client(container, settings) as client:
        for _ in range(3):
            await start_conversation(client, tenant)


async def test_oversized_bodies_are_refused_before_parsing(client: httpx.AsyncClient, tenant: Tenant) -> None:
    big = b'{"email": "a@b.c", "password": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    r = await client.post("/api/v1/auth/login", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert r.json()["error_code"] == "payload_too_large"

    async def chunks():  # no Content-Length: cut off at the limit while streaming
        for _ in range(40):
            yield b"x" * 65536

    r = await client.post(
        "/api/v1/auth/login", content=chunks(), headers={"content-type": "application/json"}
    )
    assert r.status_code == 413
    assert r.json()["error_code"] == "payload_too_large"
    # a chat message body is capped tighter (MAX_CHAT_BODY_BYTES, 64 KiB)
    cid, headers = await start_conversation(client, tenant)
    r = await client.post(
        f"/api/v1/chat/conversations/{cid}/messages",
        content=b'{"text": "' + b"a" * 70000 + b'"}',
        headers={**headers, "content-type": "application/json"},
    )
    assert r.status_code == 413
    # and a normal request still works afterwards
    ok = await client.post("/api/v1/auth/login", json={"email": tenant.admin_email, "password": PASSWORD})
    assert ok.status_code == 200
