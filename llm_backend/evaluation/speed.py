"""Time to first token and decode speed of a streamed answer, for a typical RAG prompt."""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass

from llm_backend.protocols import LLMClient
from llm_backend.tokens import MESSAGE_OVERHEAD, REPLY_OVERHEAD
from llm_backend.types import ChatMessage


@dataclass(frozen=True, slots=True)
class StreamTiming:
    prompt_tokens: int
    ttft_s: float
    answer_tokens: int
    decode_tokens_per_s: float
    total_s: float
    text: str


async def time_stream(client: LLMClient, messages: Sequence[ChatMessage], *, max_tokens: int) -> StreamTiming:
    """Stream one answer; its tokens are counted by the client (exact for llama.cpp and vLLM near the window)."""
    prompt_tokens = await client.count_tokens(messages)
    start = time.perf_counter()
    first: float | None = None
    parts: list[str] = []
    async for delta in client.stream(messages, max_tokens=max_tokens, temperature=0.0):
        if first is None:
            first = time.perf_counter()
        parts.append(delta)
    end = time.perf_counter()
    text = "".join(parts)
    tokens = await client.count_tokens([ChatMessage("assistant", text)]) - MESSAGE_OVERHEAD - REPLY_OVERHEAD
    first = first or end
    decode = (tokens - 1) / (end - first) if tokens > 1 and end > first else 0.0
    return StreamTiming(prompt_tokens, first - start, tokens, decode, end - start, text)


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")
