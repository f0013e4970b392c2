"""The answer cache's cross-process forget, without a Redis: no ``redis`` keeps the in-process behaviour
(only this process forgets); a Redis that does not answer (a closed loopback port) makes a hit with an
origin a miss, never an error in the turn, and makes a forget fail loudly (the caller deletes nothing)."""

from __future__ import annotations

import socket

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from app.answering import answer_cache
from llm_backend.config import SemanticCacheConfig
from llm_backend.semantic_cache import SemanticAnswerCache
from llm_backend.types import CachedAnswer
from retrieval.testing import HashEmbedder

Q = "How do I raise my card limit?"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _cache(origin: str | None) -> SemanticAnswerCache:
    cache = SemanticAnswerCache(HashEmbedder().embed_queries, SemanticCacheConfig())
    answer = CachedAnswer(text="Use the app [1]", citations=["Card guide"], lang="en")
    assert await cache.store(tenant="t", kb_version="v1", question=Q, answer=answer, origin=origin)
    return cache


async def test_without_redis_only_this_process_forgets() -> None:
    cache = await _cache("conv-1")
    assert await answer_cache.lookup(cache, tenant_id="t", kb_version="v1", question=Q) is not None
    n = await answer_cache.forget_conversations(cache, tenant_id="t", conversation_ids=["conv-1"])
    assert n == 1
    assert await answer_cache.lookup(cache, tenant_id="t", kb_version="v1", question=Q) is None


async def test_an_unreachable_redis_turns_an_origin_hit_into_a_miss_and_fails_a_forget() -> None:
    dead = Redis(host="127.0.0.1", port=_closed_port(), socket_connect_timeout=0.5)
    try:
        with_origin, without = await _cache("conv-1"), await _cache(None)
        kw = {"tenant_id": "t", "kb_version": "v1", "question": Q, "redis": dead, "namespace": "ns"}
        assert await answer_cache.lookup(with_origin, **kw) is None  # type: ignore[arg-type]
        assert await answer_cache.lookup(without, **kw) is not None  # type: ignore[arg-type]
        with pytest.raises(RedisConnectionError):
            await answer_cache.forget_conversations(
                without, tenant_id="t", conversation_ids=["conv-2"], redis=dead, namespace="ns"
            )
    finally:
        await dead.aclose()
