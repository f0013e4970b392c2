"""Deterministic fakes of the retrieval seams, for tests of the *other* layers (never of retrieval)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

from retrieval.protocols import Vectors
from retrieval.types import ChunkRecord, Hit, SearchFilters, SearchResult

_TOKEN = re.compile(r"[a-z0-9]+|[\u4e00-\u9fff]", re.IGNORECASE)


def _tokens(text: str) -> list[str]:
    return [t.lower() for t in _TOKEN.findall(text)]


class HashEmbedder:
    """Bag-of-tokens hashed into ``dim`` buckets, L2-normalised. Same text, same vector; no model."""

    name = "hash-fake"

    def __init__(self, dim: int = 64) -> None:
        self.dim = dim

    def warm_up(self) -> None:
        return None

    def _embed(self, texts: Sequence[str]) -> Vectors:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for tok in _tokens(text):
                h = int.from_bytes(hashlib.blake2b(tok.encode(), digest_size=4).digest(), "little")
                out[i, h % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        normed: Vectors = (out / norms).astype(np.float32)
        return normed

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        return self._embed(texts)

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        return self._embed(texts)


class KeywordRetriever:
    """Token-overlap search over a fixed list of chunks; ``floor`` is the good-enough threshold."""

    def __init__(self, chunks: Sequence[ChunkRecord], floor: float = 0.2, version: str = "fake") -> None:
        self._chunks = list(chunks)
        self._floor = floor
        self._version = version

    def search(self, query: str, *, k: int = 5, filters: SearchFilters | None = None) -> SearchResult:
        q = set(_tokens(query))
        hits: list[Hit] = []
        for c in self._chunks:
            if filters is not None and not filters.matches(c):
                continue
            toks = set(_tokens(c.embed_text + " " + c.text))
            score = len(q & toks) / max(1, len(q))
            if score > 0:
                hits.append(Hit(chunk=c, score=score, dense_score=None, bm25_score=score))
        hits.sort(key=lambda h: h.score, reverse=True)
        hits = hits[:k]
        good = bool(hits) and hits[0].score >= self._floor
        return SearchResult(hits=hits, good_enough=good, version=self._version)
