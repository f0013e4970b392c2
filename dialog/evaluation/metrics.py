"""Classification metrics without extra dependencies."""

from __future__ import annotations

import math
from collections.abc import Sequence


def accuracy(gold: Sequence[str], predicted: Sequence[str]) -> float:
    if len(gold) != len(predicted):
        raise ValueError("gold and predicted differ in length")
    return sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold) if gold else 0.0


def macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> float:
    """Mean F1 over the gold labels (a label never in gold but predicted counts against precision only)."""
    labels = sorted(set(gold))
    if not labels:
        return 0.0
    scores = []
    for label in labels:
        tp = sum(g == label and p == label for g, p in zip(gold, predicted, strict=True))
        fp = sum(g != label and p == label for g, p in zip(gold, predicted, strict=True))
        fn = sum(g == label and p != label for g, p in zip(gold, predicted, strict=True))
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        scores.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return sum(scores) / len(scores)


def precision_recall(gold: Sequence[bool], predicted: Sequence[bool]) -> tuple[float, float]:
    """Precision and recall of the positive class (1.0 when there is nothing to find / nothing claimed)."""
    tp = sum(g and p for g, p in zip(gold, predicted, strict=True))
    claimed = sum(predicted)
    relevant = sum(gold)
    return (tp / claimed if claimed else 1.0, tp / relevant if relevant else 1.0)


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(q / 100.0 * len(ordered))))
    return ordered[rank - 1]
