"""Fusion: a weak keyword list cannot drag a good dense ranking down; a confident one helps."""

from __future__ import annotations

import numpy as np

from retrieval.fusion import Candidates, FusionParams, fuse, gate


def cands(dense: list[int], bm25: list[int], coverage: float) -> Candidates:
    return Candidates(
        np.array(dense, np.int64),
        np.linspace(0.9, 0.8, len(dense)).astype(np.float32),
        np.array(bm25, np.int64),
        np.linspace(12.0, 3.0, len(bm25)).astype(np.float32),
        coverage,
    )


def test_plain_rrf_lets_noise_from_a_weak_keyword_list_overtake_dense_results() -> None:
    c = cands([1, 2, 3, 4, 5], [90, 91, 92, 93, 94], coverage=0.2)
    plain = fuse(c, FusionParams(method="rrf", dense_weight=1.0, bm25_weight=1.0))
    assert plain.ids[:5].tolist() == [1, 90, 2, 91, 3]  # relevant dense results pushed down


def test_gated_fusion_ignores_a_keyword_list_that_covers_little_of_the_query() -> None:
    c = cands([1, 2, 3, 4, 5], [90, 91, 92, 93, 94], coverage=0.2)
    gated = fuse(c, FusionParams(method="gated_rrf", bm25_weight=1.0, gate_low=0.3, gate_high=0.9))
    assert gated.ids[:5].tolist() == [1, 2, 3, 4, 5]
    assert gated.keyword_weight == 0.0


def test_gated_fusion_lets_a_confident_keyword_match_lift_its_document() -> None:
    c = cands([1, 2, 3, 4, 5], [4, 90], coverage=1.0)
    gated = fuse(c, FusionParams(method="gated_rrf", bm25_weight=1.0))
    assert gated.ids[0] == 4  # in both lists: rank 4 dense + rank 1 keyword beats rank 1 dense alone
    assert gated.keyword_weight == 1.0


def test_gate_is_linear_between_its_bounds() -> None:
    p = FusionParams(gate_low=0.2, gate_high=0.6)
    assert [round(gate(x, p), 6) for x in (0.0, 0.2, 0.4, 0.6, 1.0)] == [0.0, 0.0, 0.5, 1.0, 1.0]


def test_single_side_methods_return_that_side() -> None:
    c = cands([1, 2], [3, 4], coverage=1.0)
    assert fuse(c, FusionParams(method="dense")).ids.tolist() == [1, 2]
    assert fuse(c, FusionParams(method="bm25")).ids.tolist() == [3, 4]


def test_score_fusion_normalises_each_side() -> None:
    c = cands([1, 2, 3], [3, 2, 1], coverage=1.0)
    fused = fuse(c, FusionParams(method="score", dense_weight=1.0, bm25_weight=1.0))
    assert sorted(fused.ids.tolist()) == [1, 2, 3]
    assert np.all(np.diff(fused.scores) <= 0)
