"""LLM__BACKEND=extractive: a full LLMClient that quotes the top passage of a built prompt."""

from __future__ import annotations

from pathlib import Path

import pytest

from llm_backend.config import LLMConfig, PromptConfig
from llm_backend.errors import LLMUnavailable
from llm_backend.factory import build_llm_client
from llm_backend.prompts import build_rag_prompt
from llm_backend.tokens import EstimatingCounter
from llm_backend.types import Passage


def prompt(question: str, passages: list[Passage]):  # type: ignore[no-untyped-def]
    return build_rag_prompt(
        question,
        passages,
        counter=EstimatingCounter(),
        config=PromptConfig(),
        context_tokens=4096,
        answer_tokens=256,
    )


async def test_answers_from_the_top_passage_with_citation(tmp_path: Path) -> None:
    client = build_llm_client(LLMConfig(backend="extractive"), tmp_path)
    await client.warm_up()
    built = prompt("年费多少？", [Passage("c1", "信用卡年费为每年200元。", "年费"), Passage("c2", "无关")])
    out = await client.complete(list(built.messages))
    assert "信用卡年费为每年200元。 [1]" in out.text
    streamed = "".join([d async for d in client.stream(list(built.messages))])
    assert streamed == out.text
    with pytest.raises(LLMUnavailable):
        await client.structured(list(built.messages), {"type": "object"})


async def test_no_passages_says_so_in_the_question_language(tmp_path: Path) -> None:
    client = build_llm_client(LLMConfig(backend="extractive"), tmp_path)
    out = await client.complete(list(prompt("What is the wire fee?", []).messages))
    assert out.text.startswith("Sorry, I could not find")
