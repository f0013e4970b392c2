"""The part every ``ChatBackend`` without a generative model shares (``extractive``, ``composer``).

A subclass says how it answers a built prompt (``answer``); this base streams that answer line by line,
counts tokens with the estimating counter, is always healthy, and refuses structured calls with
``LLMUnavailable``: there is no model to fill a schema.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from llm_backend.errors import LLMUnavailable
from llm_backend.tokens import EstimatingCounter, TokenCounter, count_messages
from llm_backend.types import ChatMessage, Completion


class ModelFreeBackend(ABC):
    """A ``ChatBackend`` whose answer is computed from the prompt; ``model_name`` is its ``LLM__BACKEND``."""

    def __init__(self, model_name: str, *, context_tokens: int) -> None:
        self.model_name = model_name
        self.context_tokens = context_tokens
        self.counter: TokenCounter = EstimatingCounter()

    @abstractmethod
    def answer(self, messages: Sequence[ChatMessage]) -> str:
        """The whole answer to a prompt built by ``build_rag_prompt``."""

    async def warm_up(self) -> None:
        return None

    async def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int,
        temperature: float,
        json_schema: Mapping[str, Any] | None = None,
    ) -> Completion:
        if json_schema is not None:
            raise LLMUnavailable(f"no generative model is configured (LLM__BACKEND={self.model_name})")
        return Completion(text=self.answer(messages), model=self.model_name, finish_reason="stop")

    async def stream(
        self, messages: Sequence[ChatMessage], *, max_tokens: int, temperature: float
    ) -> AsyncIterator[str]:
        for line in self.answer(messages).splitlines(keepends=True):
            yield line

    async def count_tokens(self, messages: Sequence[ChatMessage]) -> int:
        return count_messages(self.counter, messages)

    async def health(self) -> bool:
        return True

    async def aclose(self) -> None:
        return None
