"""Typed errors of the LLM backend. Callers degrade on ``LLMError``; they never see HTTP details."""

from __future__ import annotations


class LLMError(Exception):
    code = "llm_error"


class LLMTimeout(LLMError):
    code = "llm_timeout"


class LLMUnavailable(LLMError):
    """Cannot connect, server 5xx after retries, or the circuit breaker is open."""

    code = "llm_unavailable"


class LLMBadResponse(LLMError):
    """Malformed response, invalid JSON for a structured call (after one retry), empty completion."""

    code = "llm_bad_response"


class LLMContextTooLong(LLMError):
    """The prompt cannot fit the model's context window even after trimming."""

    code = "llm_context_too_long"
