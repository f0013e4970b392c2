"""Rerankers behind the ``Reranker`` seam. No packaged cross-encoder exists offline, so the ones here
re-score with what is installed; whether they pay is measured in docs/BENCHMARKS.md (Retrieval).

- ``EmbeddingReranker``: cosine of the query with the *cited* text (for an FAQ: question and answer),
  blended with the fused order. The first stage embeds only questions; the answer's wording is new
  evidence. It embeds up to ``depth`` passages per query (cached by text when the embedder caches).
- ``ScoreFnReranker``: any ``score(query, passage) -> float`` (e.g. an LLM judging relevance, wired by the
  app, which owns the LLM client), blended the same way.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from retrieval.protocols import Embedder
from retrieval.types import Hit


def _blend(hits: Sequence[Hit], new: Sequence[float], weight: float) -> list[Hit]:
    """New order by ``(1 - weight) * fused-rank score + weight * min-max(new)``; ties keep the fused order."""
    n = len(hits)
    if n == 0:
        return []
    rank_score = np.linspace(1.0, 0.0, n) if n > 1 else np.ones(1)
    x = np.asarray(new, dtype=np.float64)
    span = float(x.max() - x.min())
    norm = (x - x.min()) / span if span > 0 else np.zeros(n)
    blended = (1 - weight) * rank_score + weight * norm
    order = np.argsort(-blended, kind="stable")
    return [replace(hits[i], score=float(blended[i])) for i in order]


class _HeadReranker(ABC):
    """Re-scores the top ``depth`` hits (``_scores`` of their cited text) and blends that into the fused
    order (``_blend``, ``weight`` in [0, 1]: 0 keeps the fused order); the hits below ``depth`` stay put."""

    def __init__(self, *, weight: float, depth: int) -> None:
        if not 0.0 <= weight <= 1.0 or depth < 1:
            raise ValueError("weight must be in [0, 1] and depth >= 1")
        self.weight = weight
        self.depth = depth

    def rerank(self, query: str, hits: Sequence[Hit]) -> list[Hit]:
        head, tail = list(hits[: self.depth]), list(hits[self.depth :])
        if len(head) < 2:
            return list(hits)
        return _blend(head, self._scores(query, [h.chunk.text for h in head]), self.weight) + tail

    @abstractmethod
    def _scores(self, query: str, texts: list[str]) -> Sequence[float]:
        """One relevance score per text, any scale (``_blend`` min-max normalizes them)."""


class EmbeddingReranker(_HeadReranker):
    """Reranks by query/cited-text similarity."""

    def __init__(self, embedder: Embedder, *, weight: float = 0.5, depth: int = 20) -> None:
        super().__init__(weight=weight, depth=depth)
        self.embedder = embedder

    def _scores(self, query: str, texts: list[str]) -> Sequence[float]:
        q = self.embedder.embed_queries([query])[0]
        similarities: list[float] = (self.embedder.embed_passages(texts) @ q).tolist()
        return similarities


class ScoreFnReranker(_HeadReranker):
    """Reranks by an arbitrary relevance function of (query, cited text)."""

    def __init__(self, score: Callable[[str, str], float], *, weight: float = 0.5, depth: int = 10) -> None:
        super().__init__(weight=weight, depth=depth)
        self.score = score

    def _scores(self, query: str, texts: list[str]) -> Sequence[float]:
        return [self.score(query, t) for t in texts]
