"""Intent evaluation: train on labelled examples, score accuracy and macro-F1; out-of-scope figures."""

from __future__ import annotations

import csv
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from dialog.classifier import IntentClassifier
from dialog.evaluation.metrics import accuracy, macro_f1
from dialog.intents import OUT_OF_SCOPE


def read_labelled_csv(path: Path) -> tuple[list[str], list[str]]:
    """``text,category`` CSV (BANKING77's format); raises ``ValueError`` naming what is missing."""
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        fields = set(reader.fieldnames or ())
        if not {"text", "category"} <= fields:
            raise ValueError(f"{path}: needs columns text,category; has {sorted(fields)}")
        rows = [(r["text"].strip(), r["category"].strip()) for r in reader if r["text"] and r["text"].strip()]
    if not rows:
        raise ValueError(f"{path}: no rows")
    return [t for t, _ in rows], [c for _, c in rows]


@dataclass(frozen=True, slots=True)
class IntentReport:
    accuracy: float
    macro_f1: float
    n: int
    n_train: int
    n_labels: int
    train_seconds: float
    predict_ms_per_text: float

    def as_dict(self) -> dict[str, float | int]:
        return {
            "accuracy": round(self.accuracy, 4),
            "macro_f1": round(self.macro_f1, 4),
            "n": self.n,
            "n_train": self.n_train,
            "n_labels": self.n_labels,
            "train_seconds": round(self.train_seconds, 1),
            "predict_ms_per_text": round(self.predict_ms_per_text, 3),
        }


def evaluate_intents(
    classifier: IntentClassifier,
    train: tuple[Sequence[str], Sequence[str]],
    test: tuple[Sequence[str], Sequence[str]],
    *,
    train_vectors: npt.NDArray[np.float32] | None = None,
    test_vectors: npt.NDArray[np.float32] | None = None,
) -> IntentReport:
    """Closed-set figures: the best label, no out-of-scope threshold (every test label is in scope)."""
    classifier.fit(train[0], train[1], vectors=train_vectors)
    start = time.perf_counter()
    predicted = [p.best for p in classifier.predict(test[0], vectors=test_vectors)]
    per_text = (time.perf_counter() - start) * 1000 / max(1, len(test[0]))
    return IntentReport(
        accuracy=accuracy(test[1], predicted),
        macro_f1=macro_f1(test[1], predicted),
        n=len(test[0]),
        n_train=len(train[0]),
        n_labels=len(set(train[1])),
        train_seconds=classifier.train_seconds,
        predict_ms_per_text=per_text,
    )


THRESHOLD_GRID: tuple[float, ...] = tuple(round(0.05 * i, 2) for i in range(1, 20))


@dataclass(frozen=True, slots=True)
class OosPoint:
    threshold: float
    in_scope_accuracy: float  # in-scope queries given their right intent (rejecting one is an error)
    oos_recall: float  # out-of-scope queries rejected
    oos_precision: float

    def as_dict(self) -> dict[str, float]:
        return {k: round(getattr(self, k), 4) for k in self.__slots__}


def oos_point(
    classifier: IntentClassifier, probs: npt.NDArray[np.float64], gold: Sequence[str], threshold: float
) -> OosPoint:
    """Figures at ``threshold``; ``gold`` uses ``out_of_scope`` for out-of-scope queries."""
    predicted = [p.intent for p in classifier.decide(probs, threshold)]
    inside = [(g, p) for g, p in zip(gold, predicted, strict=True) if g != OUT_OF_SCOPE]
    outside = [p for g, p in zip(gold, predicted, strict=True) if g == OUT_OF_SCOPE]
    rejected = sum(p == OUT_OF_SCOPE for p in predicted)
    true_rejections = sum(p == OUT_OF_SCOPE for p in outside)
    return OosPoint(
        threshold=threshold,
        in_scope_accuracy=sum(g == p for g, p in inside) / len(inside) if inside else 0.0,
        oos_recall=true_rejections / len(outside) if outside else 0.0,
        oos_precision=true_rejections / rejected if rejected else 1.0,
    )


def choose_threshold(
    classifier: IntentClassifier,
    probs: npt.NDArray[np.float64],
    gold: Sequence[str],
    *,
    target_recall: float = 0.8,
    grid: Sequence[float] = THRESHOLD_GRID,
) -> OosPoint:
    """On validation data: the lowest threshold reaching ``target_recall`` (the least in-scope accuracy
    given up); if none does, the one with the best in-scope accuracy + recall."""
    points = [oos_point(classifier, probs, gold, t) for t in grid]
    reaching = [p for p in points if p.oos_recall >= target_recall]
    if reaching:
        return min(reaching, key=lambda p: p.threshold)
    return max(points, key=lambda p: p.in_scope_accuracy + p.oos_recall)
