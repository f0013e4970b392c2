"""The semantic answer cache in the turn (``llm_backend.semantic_cache``): frequent questions are answered
from an earlier model answer of the same tenant and knowledge-base version, without calling the model.

Looked up with the tracker's standalone (masked) question once the policy decided to answer; filled with
fresh model answers only — never fallbacks, "I don't know"s, or anything touching customer data (the
cache itself also refuses questions and answers holding placeholders).

Entries are keyed by KB version, so an answer is never served for another version; publishing or rolling
back a version also drops the tenant's entries at once (``forget``) on the replica that made the change,
rather than when the next answer is stored (other replicas: on their next store under the new version).
"""

from __future__ import annotations

from app.answering.generation import Generated
from llm_backend.prompt_text import cited_numbers
from llm_backend.semantic_cache import SemanticAnswerCache
from llm_backend.types import CachedAnswer, Lang


async def lookup(
    cache: SemanticAnswerCache | None, *, tenant_id: str, kb_version: str, question: str
) -> Generated | None:
    if cache is None or not kb_version or not question:
        return None
    hit = await cache.lookup(tenant=tenant_id, kb_version=kb_version, question=question)
    if hit is None:
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


def forget_conversations(
    cache: SemanticAnswerCache | None, *, tenant_id: str, conversation_ids: list[str]
) -> int:
    """Drop the cached answers first asked in these conversations (erasure, retention); returns how many."""
    return 0 if cache is None else cache.forget_origins(tenant_id, conversation_ids)


def forget(cache: SemanticAnswerCache | None, *, tenant_id: str) -> int:
    """Drop the tenant's cached answers (its active KB version changed); returns how many."""
    return 0 if cache is None else cache.invalidate(tenant_id)
