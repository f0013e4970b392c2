"""An erasure in one process drops the erased conversation's cached answers in every process sharing the
Redis: two containers on one PostgreSQL and one Redis namespace, each with its own in-process answer
cache holding the same answers. The "worker" (no answer cache of its own, as ``kefu worker``) erases a
conversation; the "replica" then no longer serves the answer first asked there (and drops its entry),
while the answer another conversation asked keeps being served."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from app.answering import answer_cache
from app.compliance import dsr
from app.container import Container
from app.db import crud_conversations
from app.db.engine import session_factory
from app.kb.versions import SYSTEM
from app.settings import Settings
from llm_backend.config import SemanticCacheConfig
from llm_backend.semantic_cache import SemanticAnswerCache
from llm_backend.types import CachedAnswer
from retrieval.testing import HashEmbedder
from tests.unit.app.helpers import fake_container, seed_tenant

pytestmark = pytest.mark.integration

ERASED_Q = "How do I raise my card limit?"
KEPT_Q = "What are the branch opening hours?"


def _process(settings: Settings, engine: AsyncEngine, redis: Redis, *, cache: bool) -> Container:
    c = fake_container(settings, engine, session_factory(engine))
    c.redis = redis
    if cache:
        c.answer_cache = SemanticAnswerCache(HashEmbedder().embed_queries, SemanticCacheConfig())
    return c


async def _served(c: Container, tenant_id: str, question: str) -> bool:
    got = await answer_cache.lookup(
        c.answer_cache,
        tenant_id=tenant_id,
        kb_version="v1",
        question=question,
        redis=c.redis,
        namespace=c.settings.redis_namespace,
    )
    return got is not None


async def test_an_erasure_in_the_worker_drops_the_answer_in_every_replica(
    stack_settings: Settings, pg_engine: AsyncEngine, redis_client: Redis
) -> None:
    replica = _process(stack_settings, pg_engine, redis_client, cache=True)
    other = _process(stack_settings, pg_engine, redis_client, cache=True)
    worker = _process(stack_settings, pg_engine, redis_client, cache=False)
    tenant = await seed_tenant(replica, "cache-forget-it")
    async with replica.sessions() as s:
        erased = await crud_conversations.create_conversation(s, tenant_id=tenant.id, widget_key_id=None)
        kept = await crud_conversations.create_conversation(s, tenant_id=tenant.id, widget_key_id=None)
        await s.commit()
    for c in (replica, other):
        assert c.answer_cache is not None
        for question, origin in ((ERASED_Q, erased.id), (KEPT_Q, kept.id)):
            answer = CachedAnswer(text=f"Answer to {question} [1]", citations=["Card guide"], lang="en")
            await c.answer_cache.store(
                tenant=tenant.id, kb_version="v1", question=question, answer=answer, origin=origin
            )
        assert await _served(c, tenant.id, ERASED_Q)

    await dsr.erase(worker, tenant_id=tenant.id, subject=dsr.Subject(conversation_id=erased.id), actor=SYSTEM)

    for c in (replica, other):
        assert c.answer_cache is not None
        assert erased.id in c.answer_cache.origins(tenant.id)  # nobody told this process directly
        assert not await _served(c, tenant.id, ERASED_Q)
        assert erased.id not in c.answer_cache.origins(tenant.id)  # dropped at the lookup
        assert not await _served(c, tenant.id, ERASED_Q)
        assert await _served(c, tenant.id, KEPT_Q)
    key = answer_cache.forgotten_key(stack_settings.redis_namespace, tenant.id)
    assert await redis_client.zrange(key, 0, -1) == [answer_cache.origin_digest(erased.id).encode()]
    assert 0 < await redis_client.ttl(key) <= int(stack_settings.llm.cache.ttl_s)
