"""The million-chunk bench's own pieces, at a small size: synthetic vectors keep the real ones' statistics,
exact truth is exact, and each kind is measured against it."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from app.evals import million
from retrieval.index.dense import DenseSpec


def clustered(n: int, dim: int = 32, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(20, dim))
    x = centres[rng.integers(0, 20, n)] + 0.3 * rng.normal(size=(n, dim))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def test_synthetic_vectors_keep_the_real_ones_first_and_are_unit_norm() -> None:
    real = clustered(500)
    out = million.synthesize(real, 3000)
    assert out.shape == (3000, 32)
    assert np.array_equal(out[:500], real)
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    stats = {s.name: s for s in million.synthetic_check(real, out[500:], sample=400)}
    assert abs(stats["real"].pair_mean - stats["synthetic"].pair_mean) < 0.1


def test_exact_truth_matches_a_full_sort() -> None:
    x, q = clustered(2500), clustered(5, seed=1)
    want = np.argsort(-(q @ x.T), axis=1)[:, :10].tolist()
    assert million.exact_truth(x, q) == want


def test_each_kind_is_measured_against_the_truth(tmp_path: Path) -> None:
    x, q = clustered(3000), clustered(20, seed=2)
    truth = million.exact_truth(x, q)
    flat = million.build_and_measure(DenseSpec("flat"), x, q, truth, tmp_path / "i.faiss")
    assert flat[0].recall_at_10 == 1.0
    assert flat[0].index_mib > 0
    ivf = million.build_and_measure(DenseSpec("ivfpq", pq_m=8), x, q, truth, tmp_path / "i.faiss", batch=1000,
                                    sweep=[DenseSpec("ivfpq", nprobe=1, refine_factor=1)])  # fmt: skip
    assert [r.size for r in ivf] == [3000, 3000]
    assert ivf[0].recall_at_10 >= ivf[1].recall_at_10
    assert ivf[0].recall_at_10 > 0.8
