"""Turn latency benchmark: N customer turns through the real layers, per-stage p50/p95.

Conversations of ``per_conversation`` turns each (so history and the hot store are exercised), questions
cycled from a list. Timings are the ones the turn itself records (``TurnOutcome.timings_ms``), so the
benchmark measures exactly what production reports on ``/metrics``.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from app.auth.service import Principal
from app.chat.turn import ChatTurn
from app.container import Container
from app.conversations import customer_side
from app.runtime.metrics import STAGES


@dataclass
class StageStats:
    p50: float
    p95: float
    mean: float
    n: int


@dataclass
class TurnBench:
    turns: int
    wall_s: float
    stages: dict[str, StageStats] = field(default_factory=dict)
    decisions: dict[str, int] = field(default_factory=dict)
    with_citation: int = 0
    models: dict[str, int] = field(default_factory=dict)
    reasons: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        return {
            "turns": self.turns,
            "wall_s": round(self.wall_s, 1),
            "models": self.models,
            "decisions": self.decisions,
            "reasons": self.reasons,
            "with_citation": self.with_citation,
            "stages_ms": {
                k: {"p50": round(v.p50, 1), "p95": round(v.p95, 1), "mean": round(v.mean, 1), "n": v.n}
                for k, v in self.stages.items()
            },
        }


def summarise(samples: dict[str, list[float]]) -> dict[str, StageStats]:
    out = {}
    for name in (*STAGES, "first_token", "total"):
        values = samples.get(name)
        if values:
            arr = np.asarray(values, dtype=np.float64)
            out[name] = StageStats(
                float(np.percentile(arr, 50)), float(np.percentile(arr, 95)), float(arr.mean()), len(values)
            )
    return out


async def run(
    container: Container,
    *,
    tenant_id: str,
    questions: Sequence[str],
    turns: int,
    per_conversation: int = 4,
) -> TurnBench:
    if not questions:
        raise ValueError("no questions to ask")
    samples: dict[str, list[float]] = {}
    decisions: Counter[str] = Counter()
    cited = 0
    models: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    turn = ChatTurn(container)
    conversation_id = ""
    start = time.perf_counter()
    in_conversation = per_conversation
    for i in range(turns):
        if in_conversation >= per_conversation:
            in_conversation = 0
            async with container.sessions() as session:
                started = await customer_side.start(
                    container,
                    session,
                    widget_key=None,
                    principal=Principal(
                        tenant_id=tenant_id, role="agent", actor_type="api_key", actor_id="bench"
                    ),
                    lang="",
                )
            conversation_id = started.conversation.id
        t0 = time.perf_counter()
        outcome = await turn.run(
            tenant_id=tenant_id, conversation_id=conversation_id, text=questions[i % len(questions)]
        )
        total_ms = (time.perf_counter() - t0) * 1000.0
        for name, ms in outcome.timings_ms.items():
            samples.setdefault(name, []).append(ms)
        samples.setdefault("total", []).append(total_ms)
        decisions[outcome.decision] += 1
        cited += bool(outcome.citations)
        models[outcome.model or "none"] += 1
        reasons[outcome.reason or "none"] += 1
        in_conversation += 1
        if outcome.state.get("mode") != "bot":  # handed off: the bot would stay quiet from here on
            in_conversation = per_conversation
    return TurnBench(
        turns=turns,
        wall_s=time.perf_counter() - start,
        stages=summarise(samples),
        decisions=dict(decisions),
        with_citation=cited,
        models=dict(models),
        reasons=dict(reasons),
    )
