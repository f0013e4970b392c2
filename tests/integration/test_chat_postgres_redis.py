"""The widget's API on real PostgreSQL and Redis: the durable log, the Redis hot copy, replicas sharing
state and live events, concurrent turns. Models are fakes here (the real ones are tested in their areas)."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.container import Container
from app.db.engine import session_factory
from app.db.models import Conversation, DialogEventRow, Message, Tenant
from app.main import create_app
from app.settings import Settings
from tests.integration.stack import redis_container
from tests.unit.app.fakes import StaticKnowledgeBases
from tests.unit.app.helpers import seed_tenant, send_message, start_conversation

pytestmark = pytest.mark.integration


def _client(container: Container) -> httpx.AsyncClient:
    app = create_app(container.settings, container)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://t"
    )


async def test_turns_are_durable_in_postgres_and_hot_in_redis(
    stack_settings: Settings, pg_engine: AsyncEngine, pg_sessions, redis_client: Redis, redis_namespace: str
) -> None:
    kb = StaticKnowledgeBases()
    c = redis_container(stack_settings, pg_engine, pg_sessions, redis_client, kb)
    tenant = await seed_tenant(c, "pgtenant", kb)
    async with _client(c) as client:
        cid, headers = await start_conversation(client, tenant)
        r = await send_message(client, cid, headers, "如何申请信用卡分期？")
        assert r.status_code == 200, r.text
        assert r.json()["citations"][0]["chunk_id"] == "faq-1"
        key = f"{redis_namespace}:dialog:{cid}:events"
        async with pg_sessions() as s:
            conv = await s.get(Conversation, cid)
            assert conv is not None
            assert await redis_client.llen(key) == conv.event_version > 0
            assert await redis_client.pttl(key) > 0

        # The hot copy is lost (eviction, a Redis restart): the next turn rebuilds it from PostgreSQL.
        await redis_client.delete(key)
        r = await send_message(client, cid, headers, "How do I report a lost card?")
        assert r.status_code == 200
        async with pg_sessions() as s:
            conv = await s.get(Conversation, cid)
            rows = (
                (await s.execute(select(DialogEventRow.seq).where(DialogEventRow.conversation_id == cid)))
                .scalars()
                .all()
            )
        assert sorted(rows) == list(range(1, conv.event_version + 1))
        assert await redis_client.llen(key) == conv.event_version
        assert r.json()["state"]["version"] == conv.event_version

        transcript = (await client.get(f"/api/v1/chat/conversations/{cid}/messages", headers=headers)).json()
        assert [m["role"] for m in transcript["messages"]] == ["user", "bot", "user", "bot"]


async def test_replicas_share_live_events(
    stack_settings: Settings, pg_engine: AsyncEngine, pg_sessions, redis_client: Redis
) -> None:
    kb = StaticKnowledgeBases()
    replica_a = redis_container(stack_settings, pg_engine, pg_sessions, redis_client, kb)
    replica_b = redis_container(stack_settings, pg_engine, pg_sessions, redis_client, kb)
    tenant = await seed_tenant(replica_a, "livetenant", kb)
    async with _client(replica_a) as client:
        cid, headers = await start_conversation(client, tenant)
        watch = replica_b.events.subscribe(f"conv:{cid}")
        queue = replica_b.events.subscribe(f"tenant:{tenant.id}:queue")
        async with watch, queue:
            await asyncio.sleep(0.05)
            r = await send_message(client, cid, headers, "转人工")
            assert r.json()["decision"] == "handoff"
            user_event = await asyncio.wait_for(watch.__anext__(), 5)
            handoff = await asyncio.wait_for(queue.__anext__(), 5)
    assert user_event == {
        "type": "message",
        "role": "user",
        "message_id": r.json()["user_message_id"],
        "text": "转人工",
    }
    assert handoff["conversation_id"] == cid
    assert handoff["reason"] == "explicit_request"


async def test_concurrent_turns_on_one_conversation_lose_nothing(
    stack_settings: Settings, pg_engine: AsyncEngine, redis_client: Redis
) -> None:
    """Two replicas take a message each for the same conversation at the same moment (a double-click, two
    tabs). Both turns complete; the event log stays gap-free and every message is kept. This test commits
    for real (concurrent transactions cannot share one rolled-back connection) and deletes its tenant."""
    kb = StaticKnowledgeBases()
    sessions = session_factory(pg_engine)
    a = redis_container(stack_settings, pg_engine, sessions, redis_client, kb)
    b = redis_container(stack_settings, pg_engine, sessions, redis_client, kb)
    tenant = await seed_tenant(a, "conc" + uuid.uuid4().hex[:8], kb)
    try:
        async with _client(a) as ca, _client(b) as cb:
            cid, headers = await start_conversation(ca, tenant)
            questions = ["opening hours", "branch hours on weekdays", "信用卡分期", "如何申请信用卡分期？"]
            results = await asyncio.gather(
                *(
                    (ca if i % 2 == 0 else cb).post(
                        f"/api/v1/chat/conversations/{cid}/messages", json={"text": q}, headers=headers
                    )
                    for i, q in enumerate(questions)
                )
            )
        assert [r.status_code for r in results] == [200] * len(questions), [r.text for r in results]
        async with sessions() as s:
            conv = await s.get(Conversation, cid)
            seqs = (
                (await s.execute(select(DialogEventRow.seq).where(DialogEventRow.conversation_id == cid)))
                .scalars()
                .all()
            )
            msgs = (
                await s.execute(select(Message.role, Message.text).where(Message.conversation_id == cid))
            ).all()
        assert sorted(seqs) == list(range(1, conv.event_version + 1))
        assert sorted(t for role, t in msgs if role == "user") == sorted(questions)
        assert sum(1 for role, _ in msgs if role == "bot") == len(questions)
        assert a.metrics.version_conflicts._value.get() + b.metrics.version_conflicts._value.get() >= 1
    finally:
        async with sessions() as s:
            await s.execute(delete(Tenant).where(Tenant.id == tenant.id))
            await s.commit()
