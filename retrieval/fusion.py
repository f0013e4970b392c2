"""Fusion of the dense and keyword candidate lists into one ranking.

Plain reciprocal-rank fusion gives both lists equal say. When one side is weak (BM25 on paraphrased or
spoken questions, where the customer's words are not the KB's) that drags good dense results down: a
quick run here lost 20 points of recall@5 against dense alone. Two defences, both measured in
docs/BENCHMARKS.md:

- **weights**: the keyword list counts ``bm25_weight`` against the dense list's ``dense_weight``;
- **a gate**: the keyword weight is scaled by the coverage of BM25's best hit (the share of the query's
  IDF mass it contains, 0..1). A keyword list whose best document contains hardly any of the query's
  informative terms is noise and is nearly ignored; one whose best hit contains all of them counts fully.

``fuse`` is a pure function of the candidates, so the evaluation can compare methods on one retrieval.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Method = str  # "gated_rrf" | "rrf" | "dense" | "bm25" | "gated_score" | "score"


@dataclass(frozen=True, slots=True)
class Candidates:
    """Both candidate lists of one query, best first (ids are positions in the version's chunk list)."""

    dense_ids: npt.NDArray[np.int64]
    dense_scores: npt.NDArray[np.float32]
    bm25_ids: npt.NDArray[np.int64]
    bm25_scores: npt.NDArray[np.float32]
    coverage: float


@dataclass(frozen=True, slots=True)
class FusionParams:
    method: Method = "score"
    dense_weight: float = 1.0
    bm25_weight: float = 0.8
    rrf_k: int = 60
    gate_low: float = 0.3  # coverage at or below this: keyword weight 0
    gate_high: float = 0.9  # coverage at or above this: full keyword weight


@dataclass(frozen=True, slots=True)
class Fused:
    ids: npt.NDArray[np.int64]
    scores: npt.NDArray[np.float64]
    keyword_weight: float  # the effective keyword weight after gating (for hit-testing)


def gate(coverage: float, params: FusionParams) -> float:
    if params.gate_high <= params.gate_low:
        return 1.0 if coverage > params.gate_low else 0.0
    return float(np.clip((coverage - params.gate_low) / (params.gate_high - params.gate_low), 0.0, 1.0))


def fuse(c: Candidates, params: FusionParams) -> Fused:
    """Fused ranking over the union of both lists, best first; ties keep dense order first."""
    m = params.method
    if m == "dense":
        return Fused(c.dense_ids, c.dense_scores.astype(np.float64), 0.0)
    if m == "bm25":
        return Fused(c.bm25_ids, c.bm25_scores.astype(np.float64), 1.0)
    wb = params.bm25_weight * (gate(c.coverage, params) if m.startswith("gated") else 1.0)
    wd = params.dense_weight
    if m.endswith("rrf"):
        d_part = wd / (params.rrf_k + 1 + np.arange(len(c.dense_ids)))
        b_part = wb / (params.rrf_k + 1 + np.arange(len(c.bm25_ids)))
    elif m.endswith("score"):
        d_part = wd * _minmax(c.dense_scores)
        b_part = wb * _maxnorm(c.bm25_scores)
    else:
        raise ValueError(f"unknown fusion method {m!r}")
    total: dict[int, float] = {}
    for i, s in zip(c.dense_ids.tolist(), d_part.tolist(), strict=True):
        total[i] = total.get(i, 0.0) + s
    for i, s in zip(c.bm25_ids.tolist(), b_part.tolist(), strict=True):
        total[i] = total.get(i, 0.0) + s
    ids = np.fromiter(total.keys(), np.int64, len(total))
    scores = np.fromiter(total.values(), np.float64, len(total))
    order = np.argsort(-scores, kind="stable")
    return Fused(ids[order], scores[order], wb)


def _minmax(x: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
    if len(x) == 0:
        return np.zeros(0)
    lo, hi = float(x.min()), float(x.max())
    return (x.astype(np.float64) - lo) / (hi - lo) if hi > lo else np.ones(len(x))


def _maxnorm(x: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
    if len(x) == 0:
        return np.zeros(0)
    hi = float(x.max())
    return x.astype(np.float64) / hi if hi > 0 else np.zeros(len(x))
