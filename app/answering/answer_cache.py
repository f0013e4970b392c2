"""The semantic answer cache in the turn (``llm_backend.semantic_cache``): frequent questions are answered
from an earlier model answer of the same tenant and knowledge-base version, without calling the model.

Looked up with the tracker's standalone (masked) question once the policy decided to answer; filled with
fresh model answers only — never fallbacks, "I don't know"s, or anything touching customer data (the
cache itself also refuses questions and answers holding placeholders).

Entries are keyed by KB version, so an answer is never served for another version; publishing or rolling
back a version also drops the tenant's entries at once (``forget``) on the replica that made the change,
rather than when the next answer is stored (other replicas: on their next store under the new version).

An erasure or the retention purge drops the entries first asked in the erased conversations
(``forget_conversations``) in its own process at once and, with Redis, for every process: it adds the
conversations to the tenant's *forgotten origins* (a sorted set ``{ns}:answer-cache:forgotten:{tenant}``
of SHA-256 digests of the conversation ids, scored by time, kept as long as a cache entry lives, ``LLM__CACHE__TTL_S``); a lookup whose hit came from
a forgotten origin drops that entry and answers as a miss. Another app replica, or the app when the arq
worker purged, thus never serves an erased conversation's answer, at one Redis round trip per hit that has
an origin (none per miss). Redis away at lookup: the hit is not served (a miss), the turn goes on.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time

from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.answering.generation import Generated
from llm_backend.prompt_text import cited_numbers
from llm_backend.semantic_cache import SemanticAnswerCache
from llm_backend.types import CachedAnswer, Lang

logger = logging.getLogger(__name__)


def forgotten_key(namespace: str, tenant_id: str) -> str:
    return f"{namespace}:answer-cache:forgotten:{tenant_id}"


def origin_digest(origin: str) -> str:
    """How a forgotten origin is named in Redis: a digest, so no erased conversation's id is kept."""
    return hashlib.sha256(origin.encode()).hexdigest()[:32]


async def lookup(
    cache: SemanticAnswerCache | None,
    *,
    tenant_id: str,
    kb_version: str,
    question: str,
    redis: Redis | None = None,
    namespace: str = "",
) -> Generated | None:
    """A cached answer, or None; with ``redis``, never one whose origin was forgotten by any process."""
    if cache is None or not kb_version or not question:
        return None
    hit = await cache.lookup(tenant=tenant_id, kb_version=kb_version, question=question)
    if hit is None:
        return None
    if hit.origin and redis is not None and await _forgotten(redis, namespace, tenant_id, hit.origin):
        cache.forget_origins(tenant_id, [hit.origin])
        return None
    text, refs = hit.answer.text, hit.answer.citations
    return Generated(
        masked=text,
        restored=text,
        cited=[(n, refs[n - 1]) for n in cited_numbers(text, len(refs))],
        refs=refs,
        model=f"answer-cache:{hit.kind}",
        reason="answer_cache",
    )


async def remember(
    cache: SemanticAnswerCache | None,
    *,
    tenant_id: str,
    kb_version: str,
    question: str,
    generated: Generated,
    lang: Lang,
    customer_data: bool,
    origin: str | None = None,
) -> None:
    """Cache a fresh model answer; ``origin`` (the conversation it was asked in) lets an erasure drop it."""
    fresh = generated.reason is None and not generated.no_answer and not generated.handoff and generated.cited
    if cache is None or not kb_version or not fresh:
        return
    await cache.store(
        tenant=tenant_id,
        kb_version=kb_version,
        question=question,
        answer=CachedAnswer(text=generated.masked, citations=generated.refs, lang=lang),
        uses_customer_data=customer_data,
        origin=origin,
    )


async def _forgotten(redis: Redis, namespace: str, tenant_id: str, origin: str) -> bool:
    try:
        return await redis.zscore(forgotten_key(namespace, tenant_id), origin_digest(origin)) is not None
    except (RedisError, OSError) as exc:
        logger.warning(
            "answer cache: forgotten origins unreadable (%s); not serving the hit", type(exc).__name__
        )
        return True


async def forget_conversations(
    cache: SemanticAnswerCache | None,
    *,
    tenant_id: str,
    conversation_ids: list[str],
    redis: Redis | None = None,
    namespace: str = "",
    keep_s: float = 24 * 3600.0,
) -> int:
    """Drop the cached answers first asked in these conversations (erasure, retention) here, and with
    ``redis`` in every process (forgotten origins, kept ``keep_s``: the cache's TTL). Returns how many
    were dropped here. Redis errors propagate (the caller then deletes nothing)."""
    dropped = 0 if cache is None else cache.forget_origins(tenant_id, conversation_ids)
    if redis is not None and conversation_ids:
        key, now = forgotten_key(namespace, tenant_id), time.time()
        async with redis.pipeline(transaction=True) as pipe:
            pipe.zadd(key, {origin_digest(cid): now for cid in conversation_ids})
            pipe.zremrangebyscore(key, 0, now - keep_s)
            pipe.expire(key, math.ceil(keep_s))
            await pipe.execute()
    return dropped


def forget(cache: SemanticAnswerCache | None, *, tenant_id: str) -> int:
    """Drop the tenant's cached answers (its active KB version changed); returns how many."""
    return 0 if cache is None else cache.invalidate(tenant_id)
