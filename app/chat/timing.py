"""Per-stage wall-clock timing of a chat turn: stored on the message, exported as Prometheus histograms."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from app.runtime.metrics import Metrics


class StageClock:
    """``with clock.stage("mask"): ...`` adds the elapsed milliseconds to that stage (a stage entered twice,
    e.g. on a retry, accumulates). ``observe`` exports the totals once, at the end of the turn."""

    def __init__(self) -> None:
        self.ms: dict[str, float] = {}
        self._t0 = time.perf_counter()

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.add(name, (time.perf_counter() - start) * 1000.0)

    def add(self, name: str, elapsed_ms: float) -> None:
        self.ms[name] = self.ms.get(name, 0.0) + elapsed_ms

    def mark(self, name: str) -> None:
        """Record the time since the turn started (e.g. ``first_token``) without making it a stage."""
        self.ms[name] = (time.perf_counter() - self._t0) * 1000.0

    def total_ms(self) -> float:
        return (time.perf_counter() - self._t0) * 1000.0

    def rounded(self) -> dict[str, float]:
        return {k: round(v, 2) for k, v in self.ms.items()}

    def observe(self, metrics: Metrics, stages: tuple[str, ...]) -> None:
        for name in stages:
            if name in self.ms:
                metrics.stage_seconds.labels(stage=name).observe(self.ms[name] / 1000.0)
        metrics.turn_seconds.observe(self.total_ms() / 1000.0)
