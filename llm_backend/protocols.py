"""The seam of the LLM backend."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from llm_backend.types import ChatMessage, Completion


@runtime_checkable
class LLMClient(Protocol):
    """A chat model. Every method raises only ``LLMError`` subclasses.

    - ``complete``: the whole answer. Retries connect errors with backoff (settings), never after output
      began; raises ``LLMTimeout`` / ``LLMUnavailable`` / ``LLMBadResponse`` (also for an empty answer) /
      ``LLMContextTooLong``.
    - ``stream``: yields text deltas in order; closing the iterator (customer disconnected) cancels the
      request on the server. A stream that breaks after the first delta raises ``LLMUnavailable`` or
      ``LLMTimeout`` from the iterator; it is never silently truncated.
    - ``structured``: returns a JSON object valid against ``schema`` (retries once on invalid JSON, then
      ``LLMBadResponse``).
    - ``warm_up``: loads a local model or reads the served model's context length; ``aclose`` frees it.
    """

    model_name: str
    context_tokens: int

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

    async def health(self) -> bool: ...

    async def aclose(self) -> None: ...
