"""Span metrics for PII detection and masking coverage.

Per entity type, two matchings of predicted spans to gold spans:

- ``overlap`` (the headline ``precision`` / ``recall``): a prediction is correct if it overlaps a gold
  span of the same type; a gold span is found if a prediction of its type overlaps it. Public datasets
  disagree on boundaries (an address is one span in one sample and four in the next), and for masking
  what matters is that the value is hit; ``coverage`` then says whether all of it was.
- ``exact``: same type and identical offsets.

``coverage``: the share of gold spans whose every non-space character ends up inside some prediction,
whatever type it was given - the share of values that would be fully masked. ``negatives_untouched``: the
share of negative samples (no gold span, nothing ignored) with no prediction at all.

Predictions overlapping an ``ignore`` span (a gold entity of a type we do not claim) are left out of
precision, and gold ``ignore`` spans are left out of recall and coverage.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from privacy.evaluation.data import Sample, Span


@dataclass(slots=True)
class _Counts:
    gold: int = 0
    pred: int = 0
    pred_ok: int = 0  # overlap-correct predictions
    gold_found: int = 0  # overlap-found gold spans
    exact: int = 0  # exact (type + offsets) matches


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def f_beta(p: float | None, r: float | None, beta: float = 2.0) -> float | None:
    if p is None or r is None:
        return None
    if p == 0 and r == 0:
        return 0.0
    b2 = beta * beta
    return round((1 + b2) * p * r / (b2 * p + r), 4)


@dataclass(frozen=True, slots=True)
class TypeScore:
    gold: int
    predicted: int
    precision: float | None
    recall: float | None
    f2: float | None
    exact_precision: float | None
    exact_recall: float | None

    def as_dict(self) -> dict[str, object]:
        return {
            "precision": self.precision,
            "recall": self.recall,
            "f2": self.f2,
            "exact_precision": self.exact_precision,
            "exact_recall": self.exact_recall,
            "gold": self.gold,
            "predicted": self.predicted,
        }


@dataclass(frozen=True, slots=True)
class Report:
    samples: int
    per_type: dict[str, TypeScore]
    overall: TypeScore
    coverage: float | None
    negatives: int
    negatives_untouched: float | None
    extra: dict[str, object] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "samples": self.samples,
            "precision": self.overall.precision,
            "recall": self.overall.recall,
            "f2": self.overall.f2,
            "exact_precision": self.overall.exact_precision,
            "exact_recall": self.overall.exact_recall,
            "coverage": self.coverage,
            "negatives": self.negatives,
            "negatives_untouched": self.negatives_untouched,
            "per_type": {t: s.as_dict() for t, s in sorted(self.per_type.items())},
            **self.extra,
        }


def _overlaps(a: Span, b: Span) -> bool:
    return a.start < b.end and b.start < a.end


def _covered(gold: Span, preds: Sequence[Span], text: str) -> bool:
    for i in range(gold.start, gold.end):
        if text[i].isspace():
            continue
        if not any(p.start <= i < p.end for p in preds):
            return False
    return True


def _score(c: _Counts) -> TypeScore:
    p, r = _ratio(c.pred_ok, c.pred), _ratio(c.gold_found, c.gold)
    return TypeScore(c.gold, c.pred, p, r, f_beta(p, r), _ratio(c.exact, c.pred), _ratio(c.exact, c.gold))


def evaluate(
    samples: Sequence[Sample], predictions: Sequence[Sequence[Span]], *, types: Sequence[str] | None = None
) -> Report:
    """Score ``predictions[i]`` against ``samples[i]``. ``types``: restrict to these entity types (the
    ones the system claims); predictions of other types are dropped first."""
    if len(samples) != len(predictions):
        raise ValueError("one prediction list per sample")
    keep = set(types) if types is not None else None
    counts: dict[str, _Counts] = {}
    total = _Counts()
    covered = gold_total = negatives = untouched = 0
    for sample, raw in zip(samples, predictions, strict=True):
        preds = [p for p in raw if keep is None or p.type in keep]
        gold = [g for g in sample.spans if keep is None or g.type in keep]
        ignored = list(sample.ignore) + [g for g in sample.spans if keep is not None and g.type not in keep]
        scored = [p for p in preds if not any(_overlaps(p, i) for i in ignored)]
        for g in gold:
            found = any(p.type == g.type and _overlaps(p, g) for p in preds)
            for c in (counts.setdefault(g.type, _Counts()), total):  # the type's counts and the overall ones
                c.gold += 1
                c.gold_found += found
            gold_total += 1
            covered += _covered(g, preds, sample.text)
        for p in scored:
            ok = any(g.type == p.type and _overlaps(p, g) for g in gold)
            exact = any(g.type == p.type and g.start == p.start and g.end == p.end for g in gold)
            for c in (counts.setdefault(p.type, _Counts()), total):
                c.pred += 1
                c.pred_ok += ok
                c.exact += exact
        if sample.negative:
            negatives += 1
            untouched += not preds
    return Report(
        samples=len(samples),
        per_type={t: _score(c) for t, c in counts.items()},
        overall=_score(total),
        coverage=_ratio(covered, gold_total),
        negatives=negatives,
        negatives_untouched=_ratio(untouched, negatives),
    )
