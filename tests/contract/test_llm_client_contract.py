"""The ``LLMClient`` contract, written once; every implementation's test class inherits it.

Subclasses provide a ``client`` fixture (warmed up). Assertions are about structure and behaviour a
caller relies on, never about content: the same contract runs against a random-weights MoE on vLLM.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from llm_backend.errors import LLMContextTooLong
from llm_backend.protocols import LLMClient
from llm_backend.types import ChatMessage

QUESTION = [
    ChatMessage("system", "You are a bank assistant. Answer briefly."),
    ChatMessage("user", "What is the annual fee of the credit card?"),
]
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "intent": {"type": "string", "enum": ["fee", "card_lost", "other"]},
        "confidence": {"type": "integer", "minimum": 0, "maximum": 9},
        "summary": {"type": "string", "maxLength": 24},
    },
    "required": ["intent", "confidence", "summary"],
    "additionalProperties": False,
}
MAX_TOKENS = 12


class LLMClientContract:
    """Inherit and provide ``client``. Keep ``max_tokens`` small: real models run these on a shared CPU."""

    @pytest.fixture
    def client(self) -> LLMClient:
        raise NotImplementedError

    async def test_is_an_llm_client_with_a_window(self, client: LLMClient) -> None:
        assert isinstance(client, LLMClient)
        assert client.model_name
        assert client.context_tokens >= 256
        assert await client.health()

    async def test_complete_returns_text(self, client: LLMClient) -> None:
        out = await client.complete(QUESTION, max_tokens=MAX_TOKENS)
        assert out.text.strip()
        assert out.model

    async def test_stream_yields_nonempty_deltas_in_order(self, client: LLMClient) -> None:
        deltas = [d async for d in client.stream(QUESTION, max_tokens=MAX_TOKENS)]
        assert deltas
        assert all(deltas)
        assert "".join(deltas).strip()

    async def test_closing_a_stream_early_leaves_the_client_usable(self, client: LLMClient) -> None:
        stream = client.stream(QUESTION, max_tokens=200)
        first = await anext(stream)
        assert first
        await stream.aclose()
        out = await asyncio.wait_for(client.complete(QUESTION, max_tokens=4), timeout=120)
        assert out.text.strip()

    async def test_structured_returns_an_object_valid_for_the_schema(self, client: LLMClient) -> None:
        value = await client.structured(
            [*QUESTION, ChatMessage("user", "Classify the question as JSON.")], SCHEMA, max_tokens=64
        )
        assert set(value) == {"intent", "confidence", "summary"}
        assert value["intent"] in ("fee", "card_lost", "other")
        assert 0 <= value["confidence"] <= 9
        assert len(value["summary"]) <= 24

    async def test_count_tokens_grows_with_the_prompt(self, client: LLMClient) -> None:
        short = await client.count_tokens(QUESTION)
        longer = await client.count_tokens([*QUESTION, ChatMessage("user", "And the late payment fee?")])
        assert 0 < short < longer

    async def test_prompt_over_the_window_is_refused_before_sending(self, client: LLMClient) -> None:
        flood = [ChatMessage("system", "rules"), ChatMessage("user", "fee " * (client.context_tokens + 50))]
        with pytest.raises(LLMContextTooLong):
            await client.complete(flood, max_tokens=MAX_TOKENS)
