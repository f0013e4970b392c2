"""The floor's two errors on one KB, at the default floor and at the KB's own calibrated floor.

``let_through``: the share of answerable queries the floor (or margin) lets through; the rest would be
refused. ``no_answer_recall``: the share of no-answer queries it refuses. The ranking (recall@k, MRR) does
not depend on the floor; it is reported once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from retrieval.calibration import FloorCalibration, bounds_for, calibrate_floor
from retrieval.evaluation.data import EvalQuery
from retrieval.evaluation.runner import evaluate_search
from retrieval.hybrid import HybridRetriever

RANKING = ("recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10")
FLOOR = ("let_through", "no_answer_recall", "no_answer_precision")


def _floor_metrics(metrics: dict[str, float | int], floor: float) -> dict[str, float | int]:
    return {
        "floor": round(floor, 4),
        "let_through": metrics["answered_rate"],
        "no_answer_recall": metrics["no_answer_recall"],
        "no_answer_precision": metrics["no_answer_precision"],
    }


def floor_comparison(
    retriever: HybridRetriever, queries: Sequence[EvalQuery], calibration: FloorCalibration | None = None
) -> dict[str, Any]:
    """Ranking metrics, and the floor's errors at ``retriever.floor`` and at the calibrated floor and
    margin (``calibration``, or ``calibrate_floor(retriever)``; None for an embedder without calibration
    bounds). Leaves the retriever's floor and margin as it found them."""
    default, default_margin = retriever.floor, retriever.margin
    before = evaluate_search(retriever, queries).metrics
    out: dict[str, Any] = {
        "n": before["n"],
        "n_no_answer": before["n_no_answer"],
        **{k: before[k] for k in RANKING},
        "default": {**_floor_metrics(before, default), "margin": default_margin},
        "calibrated": None,
        "calibration": None,
    }
    if calibration is None and bounds_for(retriever.embedder.name) is None:
        return out
    cal = calibration or calibrate_floor(retriever)
    try:
        retriever.use_floor(cal.floor, cal.margin)
        after = evaluate_search(retriever, queries).metrics
    finally:
        retriever.use_floor(default, default_margin)
    out["calibrated"] = {**_floor_metrics(after, cal.floor), "margin": round(cal.margin, 4)}
    out["calibration"] = cal.to_json()
    return out
