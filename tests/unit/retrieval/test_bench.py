"""The retrieval speed benchmark's building blocks (what they report, not how fast: figures come from
``kefu bench retrieval`` runs, docs/BENCHMARKS.md)."""

from __future__ import annotations

import numpy as np

from retrieval.config import RetrievalConfig
from retrieval.evaluation.bench import ann_vs_exact, grow, query_latency
from retrieval.testing import HashEmbedder
from tests.unit.retrieval import corpus, models


def test_query_latency_reports_wall_and_cpu_time_per_stage() -> None:
    emb = HashEmbedder()
    texts = [f"{q} {a}" for *_, q, a in corpus.FAQ]
    real = emb.embed_passages(texts)
    vectors = grow(real, 40)
    assert vectors.shape == (40, emb.dim)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(vectors[: len(real)], real), "real vectors come first, unchanged"
    queries = [q for *_, q, _a in corpus.FAQ] * 3
    lat = query_latency(
        texts, vectors, len(real), queries, emb, models.analyzer(), RetrievalConfig(), warmup=5
    )
    assert (lat.chunks, lat.real_vectors, lat.index_kind) == (40, len(real), "flat")
    assert 0 < lat.p50_ms <= lat.p95_ms
    assert 0 < lat.cpu_p50_ms <= lat.cpu_p95_ms
    assert lat.cpu_embed_p50_ms >= 0
    assert lat.cpu_search_p50_ms > 0


def test_ann_against_exact_search_on_the_same_vectors() -> None:
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(500, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    res = ann_vs_exact(vectors, vectors[:20], RetrievalConfig())
    assert (res.size, res.queries) == (500, 20)
    assert 0.9 <= res.recall_at_10 <= 1.0  # HNSW at efSearch 128 on 500 points is near exact
    assert res.speedup > 0
