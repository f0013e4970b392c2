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


VIEWS = 2  # dense vector id = chunk id * VIEWS + view


def view_texts(chunk: ChunkRecord, config: RetrievalConfig) -> list[str]:
    """What is embedded for a chunk: ``embed_text`` (view 0) and, for an FAQ pair when
    ``config.faq_answer_view``, the cited question + answer under the document's context (view 1): the
    answer's wording and the product/place it names are evidence the bare question lacks."""
    views = [chunk.embed_text]
    if config.faq_answer_view and chunk.metadata.get("kind") == "faq" and chunk.text != chunk.embed_text:
        context = chunk.metadata.get("context", "")
        views.append(f"{context}\n\n{chunk.text}" if context else chunk.text)
    return views


def embed_chunks(
    chunks: Sequence[ChunkRecord],
    embedder: Embedder,
    config: RetrievalConfig,
    *,
    chunk_ids: npt.NDArray[np.int64] | None = None,
    on_batch: Callable[[int], None] | None = None,
    batch: int = EMBED_BATCH,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """(vector ids, passage vectors) of every view of every chunk; ``chunk_ids`` default to positions.
    ``on_batch(chunks_done)`` after each batch (an estimate from the share of texts embedded; the last
    call gives every chunk).

    Texts are embedded shortest first, so each batch holds texts of similar length: in chunk order a
    batch mixed FAQ questions with long answers and was padded to the longest (ingestion ran at 0.26x the
    raw encoder for MiniLM; docs/BENCHMARKS.md, "Ingestion"). The vectors go back to chunk order."""
    cids = np.arange(len(chunks), dtype=np.int64) if chunk_ids is None else chunk_ids
    ids: list[int] = []
    texts: list[str] = []
    for cid, chunk in zip(cids.tolist(), chunks, strict=True):
        for view, text in enumerate(view_texts(chunk, config)):
            ids.append(cid * VIEWS + view)
            texts.append(text)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = np.zeros((len(texts), embedder.dim), dtype=np.float32)
    for start in range(0, len(texts), batch):
        rows = order[start : start + batch]
        vecs = embedder.embed_passages([texts[i] for i in rows])
        if vecs.shape != (len(rows), embedder.dim):
            raise DimensionMismatch(f"{embedder.name} returned {vecs.shape} for {len(rows)} texts")
        out[rows] = vecs
        if on_batch is not None:
            done = start + len(rows)
            on_batch(len(chunks) if done == len(texts) else len(chunks) * done // len(texts))
    return np.asarray(ids, dtype=np.int64), out


def build_dense(
    vectors: npt.NDArray[np.float32],
    config: RetrievalConfig,
    ids: npt.NDArray[np.int64] | None = None,
    *,
    index_kind: str | None = None,
) -> DenseIndex:
    """A dense index of ``vectors`` of the kind ``choose_index_kind`` picks for their number
    (``index_kind``: the tenant's setting, ``auto`` / None: by size)."""
    from retrieval.index.choice import choose_index_kind, dense_spec

    choice = choose_index_kind(len(vectors), config, index_kind)
    dense = DenseIndex.create(vectors.shape[1], len(vectors), spec=dense_spec(choice.kind, config))
    if len(vectors):
        dense.add(np.arange(len(vectors), dtype=np.int64) if ids is None else ids, vectors)
    return dense


def build_keyword(
    chunks: Sequence[ChunkRecord], analyzer: KeywordAnalyzer, config: RetrievalConfig
) -> KeywordIndex:
    from retrieval.hybrid import keyword_text

    return KeywordIndex.build(analyzer, [analyzer.analyze(keyword_text(c, config)) for c in chunks])
