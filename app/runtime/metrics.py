"""Prometheus metrics of one app instance, on their own registry (built by the container, never global),
exported on ``/metrics``.

Several worker processes (``kefu serve --workers N``): prometheus_client's multiprocess mode. The serving
supervisor sets ``PROMETHEUS_MULTIPROC_DIR`` before it starts the workers, so each worker's values are
kept in files there, and ``/metrics`` on any worker renders the sum over all of them (counters and
histograms added up; the breaker gauge the worst state among the live workers: a worker that died, and the
pid it had, leave no series behind).
"""

from __future__ import annotations

import os
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

# The stages of a chat turn, in order (``app.chat.turn``).
STAGES = (
    "load_state",
    "mask",
    "track",
    "persist_user",
    "retrieve",
    "policy",
    "generate",
    "check_output",
    "persist",
)
# ``kefu_llm_breaker_state``: the LLM client's circuit breaker (``llm_backend.resilience``). The breaker
# stays "open" (2) until the first call after ``LLM__BREAKER_RESET_S`` takes the probe ("half_open", 1).
BREAKER_STATES = {"closed": 0, "half_open": 1, "open": 2}
_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    def __init__(self, *, multiprocess_dir: Path | None = None) -> None:
        """``multiprocess_dir``: render every worker's values kept there (the library must be in
        multiprocess mode already: ``PROMETHEUS_MULTIPROC_DIR`` set before any process imported it)."""
        if multiprocess_dir is not None:
            from prometheus_client import values

            if values.ValueClass is values.MutexValue:
                raise ValueError(
                    "PROMETHEUS_MULTIPROC_DIR must be set in the environment before the process starts "
                    "(kefu serve --workers N sets it for its workers); a .env file is read too late"
                )
        self._multiprocess_dir = multiprocess_dir
        self.registry = CollectorRegistry()
        self.stage_seconds = Histogram(
            "kefu_turn_stage_seconds",
            "Time spent in each stage of a chat turn",
            ["stage"],
            buckets=_BUCKETS,
            registry=self.registry,
        )
        self.turn_seconds = Histogram(
            "kefu_turn_seconds",
            "Whole chat turn, request to final event",
            buckets=_BUCKETS,
            registry=self.registry,
        )
        self.turns = Counter(
            "kefu_turns", "Chat turns by policy decision", ["decision"], registry=self.registry
        )
        self.handoffs = Counter("kefu_handoffs", "Handoffs by reason", ["reason"], registry=self.registry)
        # Bank calls of actions done for customers, by action and result (ok | not_found | rejected |
        # unavailable); the turns' outcomes are in the event log (ActionFinished / ActionCancelled).
        self.actions = Counter(
            "kefu_action_calls", "Bank calls of actions", ["action", "outcome"], registry=self.registry
        )
        self.pii_masked = Counter(
            "kefu_pii_masked", "PII entities masked in customer messages", ["entity"], registry=self.registry
        )
        self.llm_failures = Counter(
            "kefu_llm_failures", "LLM calls that failed, by error code", ["code"], registry=self.registry
        )
        self.llm_breaker = Gauge(
            "kefu_llm_breaker_state",
            "LLM client circuit breaker: 0 closed, 1 half-open (one probe call), 2 open (calls fail fast)",
            registry=self.registry,
            multiprocess_mode="livemax",  # several workers: the worst live one; dead pids are forgotten
        )
        self.answer_cache = Counter(
            "kefu_answer_cache_lookups",
            "Semantic answer cache lookups by outcome (hit_exact, hit_semantic, miss, skip_private)",
            ["outcome"],
            registry=self.registry,
        )
        self.version_conflicts = Counter(
            "kefu_dialog_version_conflicts",
            "Concurrent writers detected on a conversation",
            registry=self.registry,
        )

        self.rate_limited = Counter(
            "kefu_rate_limited",
            "Requests refused with 429, by limit (ip, widget_key, conversation, login)",
            ["scope"],
            registry=self.registry,
        )
        self.rate_limit_errors = Counter(
            "kefu_rate_limit_store_errors",
            "Rate-limit checks that could not reach Redis (the request was let through)",
            registry=self.registry,
        )
        self.jobs_interrupted = Counter(
            "kefu_jobs_interrupted",
            "Ingestion jobs found abandoned at start-up (their process died) and marked failed",
            registry=self.registry,
        )

    def set_breaker(self, state: str) -> None:
        """``on_breaker_change`` hook of ``llm_backend.build_llm_client``."""
        self.llm_breaker.set(BREAKER_STATES[state])

    def render(self) -> bytes:
        if self._multiprocess_dir is None:
            return generate_latest(self.registry)
        from prometheus_client import multiprocess

        _forget_dead_workers(self._multiprocess_dir)
        everyone = CollectorRegistry()
        multiprocess.MultiProcessCollector(everyone, path=str(self._multiprocess_dir))  # type: ignore[no-untyped-call]
        return generate_latest(everyone)


def _forget_dead_workers(folder: Path) -> None:
    """Drop the live-gauge files of worker processes that no longer run (the supervisor replaced them),
    so their last value (say, an open breaker) and their pid stop being reported."""
    from prometheus_client import multiprocess

    for path in folder.glob("gauge_live*_*.db"):
        pid_text = path.stem.rsplit("_", 1)[-1]
        if pid_text.isdigit() and not _running(int(pid_text)):
            multiprocess.mark_process_dead(int(pid_text), str(folder))  # type: ignore[no-untyped-call]


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True
