"""A programmable ChatBackend for testing the client policy (this package's own tests only)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from llm_backend.errors import LLMError
from llm_backend.tokens import EstimatingCounter, TokenCounter
from llm_backend.types import ChatMessage, Completion


@dataclass
class Step:
    """What one call does: raise ``error`` (after ``after`` deltas when streaming), or answer ``text``."""

    text: str = "hello world"
    error: LLMError | None = None
    after: int = 0
    delay_s: float = 0.0
    stall_after: int | None = None  # stream: hang forever after this many deltas


@dataclass
class FakeBackend:
    steps: list[Step] = field(default_factory=list)
    model_name: str = "fake"
    context_tokens: int = 1000
    tokens_per_message: int = 10
    calls: int = 0
    closed_streams: int = 0
    last_max_tokens: int | None = None
    last_schema: Mapping[str, Any] | None = None
    counter: TokenCounter = field(default_factory=EstimatingCounter)

    def _next(self) -> Step:
        self.calls += 1
        return self.steps.pop(0) if self.steps else Step()

    async def warm_up(self) -> None:
        return None

    async def count_tokens(self, messages: Sequence[ChatMessage]) -> int:
        return self.tokens_per_message * len(messages)

    async def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int,
        temperature: float,
        json_schema: Mapping[str, Any] | None = None,
    ) -> Completion:
        step = self._next()
        self.last_max_tokens = max_tokens
        self.last_schema = json_schema
        await asyncio.sleep(step.delay_s)
        if step.error is not None:
            raise step.error
        return Completion(text=step.text, model=self.model_name)

    async def stream(
        self, messages: Sequence[ChatMessage], *, max_tokens: int, temperature: float
    ) -> AsyncIterator[str]:
        step = self._next()
        self.last_max_tokens = max_tokens
        try:
            await asyncio.sleep(step.delay_s)
            for i, word in enumerate(step.text.split(" ")):
                if step.error is not None and i >= step.after:
                    raise step.error
                if step.stall_after is not None and i >= step.stall_after:
                    await asyncio.sleep(3600)
                yield word if i == 0 else " " + word
            if step.error is not None:
                raise step.error
        finally:
            self.closed_streams += 1

    async def health(self) -> bool:
        return True

    async def aclose(self) -> None:
        return None
