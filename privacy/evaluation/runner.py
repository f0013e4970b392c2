"""Running a detector over samples, the default-Presidio baseline, and latency measurement."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from privacy.evaluation.data import Sample, Span
from privacy.merge import Candidate, resolve_overlaps
from privacy.types import Finding

if TYPE_CHECKING:
    from presidio_analyzer import AnalyzerEngine

Analyze = Callable[[str, str | None], list[Finding]]


def predict(analyze: Analyze, samples: Sequence[Sample], *, use_lang: bool = True) -> list[list[Span]]:
    """Predicted spans per sample. ``use_lang`` False: let the detector detect the language."""
    return [
        [Span(f.start, f.end, f.entity_type) for f in analyze(s.text, (s.lang or None) if use_lang else None)]
        for s in samples
    ]


class DefaultPresidio:
    """Presidio's default English configuration on our spaCy model, restricted to ``entities`` and
    resolved into non-overlapping findings the same way as ours (what masking would replace)."""

    def __init__(self, data_dir: Path, *, en_model: str, entities: Sequence[str]) -> None:
        self._data_dir, self._model, self._entities = data_dir, en_model, set(entities)
        self._analyzer: AnalyzerEngine | None = None

    def warm_up(self) -> None:
        from privacy.engine import build_default_analyzer

        self._analyzer = build_default_analyzer(self._data_dir, en_model=self._model)
        self._analyzer.analyze("My name is John Smith, call 415-555-0100.", language="en")

    def analyze(self, text: str, lang: str | None = None) -> list[Finding]:
        assert self._analyzer is not None, "warm_up() first"
        results = self._analyzer.analyze(text, language="en")
        cands = [
            Candidate(r.entity_type, r.start, r.end, float(r.score))
            for r in results
            if r.entity_type in self._entities
        ]
        return [Finding(c.entity_type, c.start, c.end, c.score) for c in resolve_overlaps(cands)]

    def analyze_raw(self, text: str) -> None:
        """The analyzer call alone (for latency: no filtering, no overlap resolution)."""
        assert self._analyzer is not None, "warm_up() first"
        self._analyzer.analyze(text, language="en")


def percentiles(samples_ms: Sequence[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    q = statistics.quantiles(ordered, n=100, method="inclusive") if len(ordered) > 1 else ordered * 99
    return {
        "n": len(ordered),
        "p50_ms": round(q[49], 2),
        "p95_ms": round(q[94], 2),
        "mean_ms": round(statistics.fmean(ordered), 2),
    }


def time_calls(fn: Callable[[str], object], texts: Sequence[str], *, warm: int = 3) -> list[float]:
    """Milliseconds per call of ``fn(text)``, after ``warm`` untimed calls."""
    for t in texts[:warm]:
        fn(t)
    out = []
    for t in texts:
        started = time.perf_counter()
        fn(t)
        out.append((time.perf_counter() - started) * 1000)
    return out
