"""The copies of a conversation outside SQL: its hot dialog state (Redis or in-process), its vault (the
customer's clear values), its rate-limit key, and the semantic answer cache entries its questions
became (with Redis, in every process: ``answer_cache.forget_conversations``). Dropped by the retention purge and by an erasure, always before the SQL rows, so an interrupted
run leaves nothing a rerun would not find again."""

from __future__ import annotations

from collections.abc import Sequence

from app.answering import answer_cache
from app.container import Container


async def forget_hot(
    container: Container, *, tenant_id: str, conversation_ids: Sequence[str]
) -> dict[str, int]:
    """Delete every hot copy of these conversations; returns what was dropped (counts only). Raises the
    stores' own ``StoreUnavailable`` / ``VaultUnavailable`` when Redis is away (nothing is then deleted
    from SQL by the caller)."""
    ids = list(conversation_ids)
    if not ids:
        return {}
    for conversation_id in ids:
        await container.dialog_store.delete(conversation_id)
        await container.vaults.delete(conversation_id)
    if container.redis is not None:
        ns = container.settings.redis_namespace
        await container.redis.delete(*[f"{ns}:ratelimit:conv:{cid}" for cid in ids])
    cached = await answer_cache.forget_conversations(
        container.answer_cache,
        tenant_id=tenant_id,
        conversation_ids=ids,
        redis=container.redis,
        namespace=container.settings.redis_namespace,
        keep_s=container.settings.llm.cache.ttl_s,
    )
    return {"hot_states": len(ids), "vaults": len(ids), "answer_cache": cached}
