"""Live updates between the faces go through the Redis-backed event channel: two app replicas, each served
by its own uvicorn on 127.0.0.1, share one PostgreSQL and one Redis, and nothing else. The customer's widget
talks to replica B only (its turns and its live SSE stream); the agent works on replica A only. The agent's
message reaches the widget's open SSE stream on B, with the customer's own value restored from the vault
that B reads from Redis; the agent's "return to bot" reaches it too.

The wiring's own Redis parts are used (``_redis``, the events client, ``_dialog_stores``, the Redis vault);
the models are fakes (the real ones are tested in their areas). Real HTTP, because an SSE response never
ends: the ASGI test transport would wait for it forever. The test commits for real (two servers cannot
share one rolled-back connection) and deletes its tenant afterwards.
"""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine

from app.container import Container
from app.db.engine import session_factory
from app.db.models import Tenant
from app.main import create_app
from app.runtime.redis_client import events_client
from app.settings import Settings
from app.wiring import _dialog_stores, _redis
from privacy.factory import build_vault_store
from tests.integration.sse import EventFeed
from tests.unit.app.fakes import StaticKnowledgeBases
from tests.unit.app.helpers import fake_container, login, seed_tenant, send_message, start_conversation

pytestmark = pytest.mark.integration

API = "/api/v1"
PHONE = "13812345678"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def replica(settings: Settings, engine: AsyncEngine, kb: StaticKnowledgeBases) -> AsyncIterator[Any]:
    """One app replica with its own Redis clients, served on a free port; yields (container, base URL)."""
    redis = await _redis(settings)
    assert settings.redis_url is not None
    redis_events = events_client(settings.redis_url, settings.redis)
    store, channel = _dialog_stores(settings, redis, redis_events)
    privacy = settings.privacy.model_copy(update={"vault_key_prefix": f"{settings.redis_namespace}:vault:"})
    vaults = build_vault_store(privacy, settings.vault_key.get_secret_value(), redis=redis)
    container: Container = fake_container(
        settings,
        engine,
        session_factory(engine),
        knowledge=kb,
        dialog_store=store,
        events=channel,
        vaults=vaults,
    )
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, container),
            host="127.0.0.1",
            port=port,
            lifespan="off",
            log_level="warning",
            access_log=False,
        )
    )
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()  # raises why it did not start
            await asyncio.sleep(0.02)
        yield container, f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)
        await redis_events.aclose()
        await redis.aclose()


async def test_agent_on_replica_a_reaches_the_widget_stream_on_replica_b(
    stack_settings: Settings, pg_engine: AsyncEngine
) -> None:
    kb = StaticKnowledgeBases()
    async with (
        replica(stack_settings, pg_engine, kb) as (a, url_a),
        replica(stack_settings, pg_engine, kb) as (b, url_b),
    ):
        assert a.events is not b.events  # nothing shared but the servers
        assert a.vaults is not b.vaults
        tenant = await seed_tenant(a, "live" + uuid.uuid4().hex[:8], kb)
        try:
            async with (
                httpx.AsyncClient(base_url=url_a, timeout=10) as on_a,
                httpx.AsyncClient(base_url=url_b, timeout=httpx.Timeout(10, read=15)) as on_b,
            ):
                cid, headers = await start_conversation(on_b, tenant)
                r = await send_message(on_b, cid, headers, f"我的手机 {PHONE}，转人工")
                assert r.json()["decision"] == "handoff", r.text
                agent = await login(on_a, tenant.agent_email)

                async with on_b.stream(
                    "GET", f"{API}/chat/conversations/{cid}/events", headers=headers
                ) as stream:
                    assert stream.status_code == 200
                    feed = EventFeed(stream, timeout_s=10)

                    assert (await feed.next())[0] == "ready"  # subscribed on B: nothing can be missed now
                    sent = await on_a.post(
                        f"{API}/agent/conversations/{cid}/messages",
                        json={"text": f"您好，我们会致电 {PHONE} 核实。"},
                        headers=agent,
                    )
                    assert sent.status_code == 201, sent.text
                    assert sent.json()["text"] == "您好，我们会致电 <PHONE_NUMBER_1> 核实。"
                    assert (await feed.next())[0] == "agent_joined"
                    kind, message = await feed.next()
                    back = await on_a.post(f"{API}/agent/conversations/{cid}/return", headers=agent)
                    assert back.status_code == 200, back.text
                    resumed = await feed.next()
        finally:
            async with session_factory(pg_engine)() as s:
                await s.execute(delete(Tenant).where(Tenant.id == tenant.id))
                await s.commit()

    assert kind == "message"
    # B restored the customer's own number from the vault on Redis; no agent id reaches the customer
    assert message["text"] == f"您好，我们会致电 {PHONE} 核实。"
    assert message["role"] == "agent"
    assert message["message_id"] == sent.json()["message_id"]
    assert "agent_id" not in message
    assert resumed[0] == "bot_resumed"
    assert [e for e, _ in feed.received] == ["ready", "agent_joined", "message", "bot_resumed"]
