"""Circuit breaker and retry backoff for calls to a model (no I/O here; the clock is injectable)."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import Literal

from llm_backend.errors import LLMCircuitOpen

BreakerState = Literal["closed", "open", "half_open"]


Cause = Literal["errors", "slow"]


class CircuitBreaker:
    """Opens after ``failures`` consecutive failures; fails fast for ``reset_s``; then lets one probe through.

    Slow calls (a deadline missed: the model is there but busy) are counted apart from errors (refused,
    broken, 5xx): ``slow_calls`` consecutive slow calls open it too, and ``opened_by`` then says "slow" (the
    ``LLMCircuitOpen`` it raises carries ``slow=True``), so callers can degrade without announcing an outage.
    A slow call does not add to the error count, nor an error to the slow count; a success resets both.

    - closed: every call allowed; a success resets the failure count.
    - open: ``check()`` raises ``LLMCircuitOpen`` until ``reset_s`` has passed since it opened.
    - half-open: exactly one caller is let through (the probe); its success closes the breaker, its
      failure opens it for another ``reset_s``. Other callers meanwhile get ``LLMCircuitOpen``.
    ``on_change(state)`` is called on every transition (for a metric or a log line).
    """

    def __init__(
        self,
        *,
        failures: int,
        reset_s: float,
        slow_calls: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        on_change: Callable[[BreakerState], None] | None = None,
    ) -> None:
        if failures < 1 or reset_s <= 0 or (slow_calls is not None and slow_calls < 1):
            raise ValueError("CircuitBreaker needs failures >= 1, slow_calls >= 1 and reset_s > 0")
        self._threshold = failures
        self._slow_threshold = slow_calls if slow_calls is not None else failures
        self._slow_count = 0
        self._opened_by: Cause = "errors"
        self._reset_s = reset_s
        self._clock = clock
        self._on_change = on_change
        self._lock = threading.Lock()
        self._state: BreakerState = "closed"
        self._count = 0
        self._opened_at = 0.0
        self._probing = False

    @property
    def state(self) -> BreakerState:
        with self._lock:
            if self._state == "open" and self._clock() - self._opened_at >= self._reset_s:
                return "half_open"
            return self._state

    @property
    def opened_by(self) -> Cause:
        """Why it last opened: "errors" or "slow" (meaningful while not closed)."""
        with self._lock:
            return self._opened_by

    def _set(self, state: BreakerState) -> None:
        if state != self._state:
            self._state = state
            if self._on_change is not None:
                self._on_change(state)

    def check(self) -> None:
        """Raise ``LLMCircuitOpen`` unless a call may go ahead now (claims the probe when half-open)."""
        with self._lock:
            if self._state == "closed":
                return
            if self._state == "open":
                waited = self._clock() - self._opened_at
                if waited < self._reset_s:
                    why = "slow answers" if self._opened_by == "slow" else "failures"
                    raise LLMCircuitOpen(
                        f"model calls are paused for {self._reset_s - waited:.1f} s after repeated {why}",
                        slow=self._opened_by == "slow",
                    )
                self._set("half_open")
            if self._probing:
                raise LLMCircuitOpen(
                    "a probe call is checking whether the model is back", slow=self._opened_by == "slow"
                )
            self._probing = True

    def success(self) -> None:
        with self._lock:
            self._count = 0
            self._slow_count = 0
            self._probing = False
            self._set("closed")

    def failure(self) -> None:
        """An error: refused, broken, a server error."""
        with self._lock:
            self._count += 1
            if self._state == "half_open" or self._count >= self._threshold:
                self._open("errors")

    def slow(self) -> None:
        """A deadline missed: no first token, a stalled stream, no complete answer in time."""
        with self._lock:
            self._slow_count += 1
            if self._state == "half_open" or self._slow_count >= self._slow_threshold:
                self._open("slow")

    def _open(self, cause: Cause) -> None:
        self._opened_at = self._clock()
        self._opened_by = cause
        self._probing = False
        self._set("open")

    def release(self) -> None:
        """Neither success nor failure (the caller gave up, a bad request): free the probe slot."""
        with self._lock:
            self._probing = False


def backoff_delay(
    attempt: int, *, base_s: float, max_s: float, rand: Callable[[], float] = random.random
) -> float:
    """Delay before retry ``attempt`` (0-based): ``base * 2**attempt`` capped at ``max_s``, 50-100 % jitter."""
    ceiling: float = min(max_s, base_s * 2.0**attempt)
    return ceiling * (0.5 + 0.5 * rand())
