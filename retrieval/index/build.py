"""Building the indexes of a set of chunks (in memory; ``IndexStore`` persists them)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from retrieval.config import RetrievalConfig
from retrieval.errors import DimensionMismatch
from retrieval.index.dense import DenseIndex
from retrieval.index.keyword import KeywordIndex
from retrieval.protocols import Embedder
from retrieval.text import KeywordAnalyzer
from retrieval.types import ChunkRecord

EMBED_BATCH = 64


def embed_chunks(
    chunks: Sequence[ChunkRecord],
    embedder: Embedder,
    *,
    on_batch: Callable[[int], None] | None = None,
    batch: int = EMBED_BATCH,
) -> npt.NDArray[np.float32]:
    """Passage vectors of ``embed_text``, in chunk order; ``on_batch(done)`` after each batch."""
    out = np.zeros((len(chunks), embedder.dim), dtype=np.float32)
    for start in range(0, len(chunks), batch):
        part = chunks[start : start + batch]
        vecs = embedder.embed_passages([c.embed_text for c in part])
        if vecs.shape != (len(part), embedder.dim):
            raise DimensionMismatch(f"{embedder.name} returned {vecs.shape} for {len(part)} texts")
        out[start : start + len(part)] = vecs
        if on_batch is not None:
            on_batch(start + len(part))
    return out


def build_dense(vectors: npt.NDArray[np.float32], config: RetrievalConfig) -> DenseIndex:
    dense = DenseIndex.create(
        vectors.shape[1],
        len(vectors),
        ann_threshold=config.ann_threshold,
        m=config.hnsw_m,
        ef_construction=config.hnsw_ef_construction,
        ef_search=config.hnsw_ef_search,
    )
    if len(vectors):
        dense.add(np.arange(len(vectors), dtype=np.int64), vectors)
    return dense


def build_keyword(
    chunks: Sequence[ChunkRecord], analyzer: KeywordAnalyzer, config: RetrievalConfig
) -> KeywordIndex:
    from retrieval.hybrid import keyword_text

    return KeywordIndex.build(analyzer, [analyzer.analyze(keyword_text(c, config)) for c in chunks])
