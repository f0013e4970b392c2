"""Erasure and the retention purge on the deployed stack: PostgreSQL rows and every Redis key of the
namespace (hot dialog state, vaults, rate-limit keys) are searched for anything of the erased or expired
customers; held and other customers' data is intact. The purge runs as arq's cron job function."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
import time_machine
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from app.container import Container
from app.db.base import utcnow
from app.db.engine import session_factory
from app.main import create_app
from app.settings import Settings
from app.worker import retention_purge_job
from dialog.stores.redis_store import RedisDialogStore
from llm_backend.config import SemanticCacheConfig
from llm_backend.semantic_cache import SemanticAnswerCache
from privacy.config import PrivacyConfig
from privacy.factory import build_vault_store
from retrieval.testing import HashEmbedder
from tests.unit.app.compliance.world import Customer, hits, scan_sql, seed_world
from tests.unit.app.fakes import StaticKnowledgeBases
from tests.unit.app.helpers import fake_container, login, seed_tenant

pytestmark = pytest.mark.integration


async def redis_dump(redis: Redis, ns: str) -> dict[str, str]:
    """Every key of the namespace with what it holds."""
    out: dict[str, str] = {}
    async for key in redis.scan_iter(match=f"{ns}:*", count=500):
        kind = (await redis.type(key)).decode()
        if kind == "list":
            value = await redis.lrange(key, 0, -1)  # type: ignore[misc]
        elif kind == "hash":
            value = await redis.hgetall(key)  # type: ignore[misc]
        elif kind == "zset":
            value = await redis.zrange(key, 0, -1)
        else:
            value = await redis.get(key)
        out[key.decode()] = repr(value)
    return out


def keys_of(dump: dict[str, str], person: Customer) -> list[str]:
    return [k for k in dump if any(cid in k for cid in person.conversations)]


async def test_erasure_and_purge_on_postgres_and_redis(
    stack_settings: Settings, pg_engine: AsyncEngine, redis_client: Redis, redis_namespace: str
) -> None:
    # Real transactions (not the rolled-back ``pg_sessions``: a request's session rolling back its outer
    # savepoint would undo the erasure's own commits there); this session's database is dropped at the end.
    pg_sessions = session_factory(pg_engine)
    ns = redis_namespace
    kb = StaticKnowledgeBases()
    c: Container = fake_container(
        stack_settings,
        pg_engine,
        pg_sessions,
        knowledge=kb,
        dialog_store=RedisDialogStore(redis_client, ttl_s=3600, prefix=f"{ns}:dialog:"),
        vaults=build_vault_store(
            PrivacyConfig(vault_key_prefix=f"{ns}:vault:"),
            "it-vault-key-0123456789abcdef",
            redis=redis_client,
        ),
    )
    c.redis = redis_client  # the rate limiter's per-conversation keys live in Redis too
    c.answer_cache = SemanticAnswerCache(HashEmbedder().embed_queries, SemanticCacheConfig())
    tenant = await seed_tenant(c, "compliance-it", kb)
    app = create_app(c.settings, c)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        people = await seed_world(client, c, tenant, seed=11, customers=3)
        a, b = people[0], people[1]
        expiring = people[2:]
        before = await redis_dump(redis_client, ns)
        for person in people:  # hot state, vault and rate-limit key of every conversation
            assert len(keys_of(before, person)) == 3 * len(person.conversations)
        admin = await login(client, tenant.admin_email)
        r = await client.post(
            "/api/v1/admin/compliance/holds",
            json={"customer_id": b.customer_id, "reason": "litigation"},
            headers=admin,
        )
        assert r.status_code == 201

        r = await client.post(
            "/api/v1/admin/compliance/dsr/erase", json={"customer_id": a.customer_id}, headers=admin
        )
        assert r.status_code == 200, r.text
        dump, sql = await redis_dump(redis_client, ns), await scan_sql(c)
        assert hits(sql, a.secrets) == []
        assert hits(dump, a.secrets) == []
        assert keys_of(dump, a) == []
        assert not c.answer_cache.origins(tenant.id) & set(a.conversations)
        for person in people[1:]:
            assert len(keys_of(dump, person)) == 3 * len(person.conversations)
            assert hits(sql, [person.customer_id or person.tags[0], *person.conversations])

        r = await client.post(
            "/api/v1/admin/compliance/dsr/erase", json={"customer_id": b.customer_id}, headers=admin
        )
        assert r.status_code == 409
        assert r.json()["error_code"] == "legal_hold_active"
        assert "litigation" in r.json()["detail"]

    with time_machine.travel(utcnow() + timedelta(days=200), tick=True):
        out = await retention_purge_job({"container": c})
    assert out[tenant.id]["conversations"] == sum(len(p.conversations) for p in expiring)
    dump, sql = await redis_dump(redis_client, ns), await scan_sql(c)
    sql.pop("audit_events")  # audit events are kept 5 years: ids and counts, never values or text
    for person in expiring:
        assert hits(sql, person.secrets) == []
        assert keys_of(dump, person) == []
    # held: every row and every hot copy as it was
    assert len(keys_of(dump, b)) == 3 * len(b.conversations)
    assert {what for _, what in hits(sql, b.secrets)} >= {b.customer_id, *b.tags, *b.conversations}
    for cid in b.conversations:
        vault = await c.vaults.load(cid)
        assert set(vault.by_placeholder.values()) == set(b.values.values())
