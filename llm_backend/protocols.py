"""The seams of the LLM backend: ``LLMClient`` (what the app calls) and ``ChatBackend`` (a transport).

``LLMClient`` is implemented once, by ``ResilientLLMClient``, on top of any ``ChatBackend`` (llama.cpp
in-process, an OpenAI-compatible server, the extractive stand-in). Timeouts, retries, the circuit breaker,
context-window checks and JSON-schema validation therefore behave the same for every backend.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from llm_backend.tokens import TokenCounter
from llm_backend.types import ChatMessage, Completion


@runtime_checkable
class LLMClient(Protocol):
    """A chat model. Every method raises only ``LLMError`` subclasses.

    - ``complete``: the whole answer. Retries connect errors with backoff (settings), never after output
      began; raises ``LLMTimeout`` / ``LLMUnavailable`` (``LLMConnectError``, ``LLMCircuitOpen``) /
      ``LLMBadResponse`` (also for an empty answer) / ``LLMContextTooLong``.
    - ``stream``: yields non-empty text deltas in order; closing the iterator (``aclose()``, or the
      consuming task being cancelled: the customer disconnected) cancels the generation on the server.
      A stream that breaks after the first delta raises ``LLMUnavailable`` or ``LLMTimeout`` from the
      iterator; it is never silently truncated. A stream with no text at all raises ``LLMBadResponse``.
    - ``structured``: returns a JSON object valid against ``schema`` (retries once on invalid JSON, then
      ``LLMBadResponse``). Bound the schema (``maxLength``, ``enum``, integer ranges, ``maxItems``).
    - ``count_tokens``: prompt tokens of ``messages`` as this model counts them (chat template included,
      exact or a safe over-estimate). Before sending, a prompt that leaves less than ``max_tokens`` free
      gets a smaller answer budget, down to a quarter of ``max_tokens`` (at least 16 tokens); below that
      the call raises ``LLMContextTooLong`` and nothing is sent.
    - ``token_counter``: the sync counter to budget prompts with (``build_rag_prompt(counter=...)``): a
      cautious over-estimate (the exact count, ``count_tokens``, may need the model or the server).
    - ``warm_up``: loads a local model or reads the served model's context length; ``aclose`` frees it.
    - ``health``: True when a call would be attempted now (model loaded / server answering, breaker shut).
    """

    model_name: str
    context_tokens: int
    token_counter: TokenCounter

    async def warm_up(self) -> None: ...

    async def complete(
        self, messages: Sequence[ChatMessage], *, max_tokens: int | None = None, temperature: float = 0.0
    ) -> Completion: ...

    def stream(
        self, messages: Sequence[ChatMessage], *, max_tokens: int | None = None, temperature: float = 0.0
    ) -> AsyncIterator[str]: ...

    async def structured(
        self, messages: Sequence[ChatMessage], schema: Mapping[str, Any], *, max_tokens: int | None = None
    ) -> dict[str, Any]: ...

    async def count_tokens(self, messages: Sequence[ChatMessage]) -> int: ...

    async def health(self) -> bool: ...

    async def aclose(self) -> None: ...


@runtime_checkable
class ChatBackend(Protocol):
    """One way to reach a model, with no policy of its own (no retries, no breaker, no validation).

    Raises only ``LLMError`` subclasses, mapped precisely: ``LLMConnectError`` when the request did not
    reach the model (the wrapper may retry it), ``LLMTimeout``, ``LLMUnavailable`` (server error or a
    stream broken mid-way), ``LLMContextTooLong`` (the server refused the length), ``LLMBadResponse``.
    ``stream`` yields text deltas (possibly empty strings) and stops generating when closed.
    ``json_schema`` asks for output constrained to that schema (grammar / structured outputs).
    ``context_tokens`` is final after ``warm_up``. ``counter`` is the sync counter to budget prompts with
    on the event loop (safe to call any time; never below the model's count for common text).
    """

    model_name: str
    context_tokens: int
    counter: TokenCounter

    async def warm_up(self) -> None: ...

    async def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int,
        temperature: float,
        json_schema: Mapping[str, Any] | None = None,
    ) -> Completion: ...

    def stream(
        self, messages: Sequence[ChatMessage], *, max_tokens: int, temperature: float
    ) -> AsyncIterator[str]: ...

    async def count_tokens(self, messages: Sequence[ChatMessage]) -> int: ...

    async def health(self) -> bool: ...

    async def aclose(self) -> None: ...
