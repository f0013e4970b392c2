"""The turn's search: the tracker's filters (a product the question names) are a preference, not a fence.

A filter on ``metadata`` keeps only chunks that carry the pair, so a question that names "credit card"
used to see only the FAQ rows labelled ``product=credit_card``: the guides and help pages (no label) that
hold the card's activation steps, the applicant's age or the cash-advance limit were never among the
passages. Here a filtered key drops only the chunks labelled with *another* value of it (a debit-card FAQ
for a credit-card question); unlabelled ones compete on their scores as usual.
"""

from __future__ import annotations

from collections.abc import Mapping

from retrieval.protocols import Retriever
from retrieval.types import Hit, SearchResult

# Candidates searched per passage kept when some may be dropped for naming another product.
WIDEN = 2


def compatible(hit: Hit, prefer: Mapping[str, str]) -> bool:
    """The hit's chunk names no other value of a preferred key (the same value, or none, is fine)."""
    meta = hit.chunk.metadata
    return all(not meta.get(key) or meta.get(key) == value for key, value in prefer.items())


def search_for_turn(
    retriever: Retriever, query: str, *, k: int, prefer: Mapping[str, str] | None = None
) -> SearchResult:
    """At most ``k`` hits for ``query``, best first, none labelled with another value of a ``prefer`` key.

    ``good_enough`` is the retriever's verdict on the query (its floor reads the configured top-k, not
    ``k``), and False when every hit was dropped."""
    if not prefer:
        return retriever.search(query, k=k)
    result = retriever.search(query, k=k * WIDEN)
    kept = [h for h in result.hits if compatible(h, prefer)][:k]
    return SearchResult(hits=kept, good_enough=result.good_enough and bool(kept), version=result.version)
