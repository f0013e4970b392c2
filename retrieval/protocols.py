"""The seams of the retrieval layer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from retrieval.types import Hit, SearchFilters, SearchResult

Vectors = npt.NDArray[np.float32]


@runtime_checkable
class Embedder(Protocol):
    """Turns text into L2-normalised float32 vectors of a fixed dimension.

    ``warm_up()`` loads the model; it is called once from the app lifespan, never at import. Calling an
    embed method before ``warm_up()`` raises ``RuntimeError``. Output shape is ``(len(texts), dim)``, row i
    for text i, in input order; an empty input gives shape ``(0, dim)``.
    """

    name: str
    dim: int

    def warm_up(self) -> None: ...

    def embed_queries(self, texts: Sequence[str]) -> Vectors: ...

    def embed_passages(self, texts: Sequence[str]) -> Vectors: ...


@runtime_checkable
class Retriever(Protocol):
    """Searches one tenant knowledge-base version.

    ``search`` returns at most ``k`` hits, best first, every hit matching ``filters``; never another
    tenant's chunks (one retriever serves one tenant KB version). Sync and CPU-bound: callers in async
    code run it in a worker thread.
    """

    def search(self, query: str, *, k: int = 5, filters: SearchFilters | None = None) -> SearchResult: ...


@runtime_checkable
class Reranker(Protocol):
    """Reorders hits for a query. Returns a permutation of (a prefix of) ``hits``, best first."""

    def rerank(self, query: str, hits: Sequence[Hit]) -> list[Hit]: ...
