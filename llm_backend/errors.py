"""Typed errors of the LLM backend. Callers degrade on ``LLMError``; they never see HTTP details.

Each error has a stable ``code`` (never renamed; the app maps them onto its own error codes). Subclasses
refine a parent, so ``except LLMUnavailable`` also catches a connect failure or an open circuit.
"""

from __future__ import annotations


class LLMError(Exception):
    code = "llm_error"


class LLMTimeout(LLMError):
    """No first token, no next token, or no complete answer within the configured time."""

    code = "llm_timeout"


class LLMUnavailable(LLMError):
    """Cannot connect, server 5xx after retries, or the circuit breaker is open."""

    code = "llm_unavailable"


class LLMConnectError(LLMUnavailable):
    """The request never reached the model (refused, reset before any output, DNS). Safe to retry."""

    code = "llm_connect_failed"


class LLMCircuitOpen(LLMUnavailable):
    """Too many recent failures: calls fail fast until the breaker's reset time has passed.

    ``slow``: the breaker opened on slow calls (deadlines missed), not on errors — the model is there but
    busy; callers should degrade quietly, not announce an outage."""

    code = "llm_circuit_open"

    def __init__(self, message: str = "", *, slow: bool = False) -> None:
        super().__init__(message)
        self.slow = slow


class LLMModelFileError(LLMUnavailable):
    """The local model file is missing, incomplete or fails its checksum."""

    code = "llm_model_file"


class LLMBadResponse(LLMError):
    """Malformed response, invalid JSON for a structured call (after one retry), empty completion."""

    code = "llm_bad_response"


class LLMContextTooLong(LLMError):
    """The prompt cannot fit the model's context window even after trimming."""

    code = "llm_context_too_long"
