"""Search the tenant's active knowledge base outside a chat turn: the agent console's KB panel and the
suggested reply use the same retriever (and the same ``top_k``) the turn uses."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from app.container import Container
from app.errors import AppError, ErrorCode
from retrieval.types import SearchFilters, SearchResult

MAX_QUERY_CHARS = 500


@dataclass(frozen=True, slots=True)
class KbSearch:
    result: SearchResult
    version: str  # "" when the tenant has no published knowledge base


async def search_active(
    container: Container,
    *,
    tenant_id: str,
    query: str,
    k: int | None = None,
    filters: SearchFilters | None = None,
) -> KbSearch:
    """Ranked hits of ``query`` (masked text) in the tenant's active version; no hits when it has none.

    With ``filters`` that leave nothing good enough, the search is repeated without them (like the turn).
    Raises 422 ``validation_error`` for an empty or over-long query.
    """
    query = query.strip()
    if not query:
        raise AppError(ErrorCode.VALIDATION_ERROR, "the search query is empty")
    if len(query) > MAX_QUERY_CHARS:
        raise AppError(ErrorCode.VALIDATION_ERROR, f"the search query is over {MAX_QUERY_CHARS} characters")
    kb = await container.knowledge.active(tenant_id)
    if kb is None:
        return KbSearch(SearchResult(hits=[], good_enough=False), "")
    top = k or container.settings.retrieval.top_k
    result = await asyncio.to_thread(kb.retriever.search, query, k=top, filters=filters)
    if filters is not None and not result.good_enough:
        result = await asyncio.to_thread(kb.retriever.search, query, k=top)
    return KbSearch(result, kb.version)
