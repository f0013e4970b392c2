"""The CPU default for real: the packaged Qwen2.5-0.5B GGUF in-process (llama-cpp-python), and the same
model behind ``python -m llama_cpp.server`` reached by the OpenAI-compatible client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from llm_backend.client import ResilientLLMClient
from llm_backend.config import LLMConfig, PromptConfig
from llm_backend.factory import build_llm_client
from llm_backend.llama_cpp_backend import LlamaCppBackend
from llm_backend.prompt_text import cited_numbers
from llm_backend.prompts import build_rag_prompt
from llm_backend.protocols import LLMClient
from llm_backend.serving import ManagedServer
from llm_backend.tokens import EstimatingCounter, count_messages
from llm_backend.types import ChatMessage, Passage
from tests.contract.test_llm_client_contract import QUESTION, LLMClientContract
from tests.integration.llm.conftest import CACHE, LLAMA_NAME

pytestmark = pytest.mark.llama


@pytest.fixture(scope="module")
def local_llm(llama_gguf: Path) -> Iterator[ResilientLLMClient]:
    """One loaded model for the module (loading costs seconds and ~600 MB).

    Sync on purpose: the backend binds to no event loop (its worker thread posts to whichever loop
    called), so one instance serves every test's own loop.
    """
    cfg = LLMConfig(backend="llama_cpp", gguf_path=llama_gguf, timeout_s=300, first_token_timeout_s=300,
                    stream_idle_timeout_s=120)  # fmt: skip
    client = build_llm_client(cfg, CACHE)
    assert isinstance(client, ResilientLLMClient)
    asyncio.run(client.warm_up())
    yield client
    asyncio.run(client.aclose())


class TestLlamaCppInProcess(LLMClientContract):
    @pytest.fixture
    def client(self, local_llm: ResilientLLMClient) -> LLMClient:
        return local_llm


class TestLlamaCppServer(LLMClientContract):
    @pytest.fixture
    async def client(self, llama_server: ManagedServer, tmp_path: Path) -> AsyncIterator[LLMClient]:
        cfg = LLMConfig(
            backend="openai",
            base_url=llama_server.base_url,
            model=LLAMA_NAME,
            timeout_s=300,
            first_token_timeout_s=300,
            stream_idle_timeout_s=120,
        )
        c = build_llm_client(cfg, tmp_path)
        await c.warm_up()
        yield c
        await c.aclose()


async def test_answers_a_grounded_question_with_a_citation(local_llm: ResilientLLMClient) -> None:
    passages = [
        Passage("atm", "ATM跨行取款手续费为每笔4元。", "ATM取款"),
        Passage("fee", "本行信用卡年费为每年200元，首年免年费。", "信用卡年费"),
    ]
    built = build_rag_prompt(
        "信用卡年费是多少？",
        passages,
        counter=local_llm.token_counter,
        config=PromptConfig(),
        context_tokens=local_llm.context_tokens,
        answer_tokens=96,
    )
    out = await local_llm.complete(list(built.messages), max_tokens=96)
    assert "200" in out.text
    assert 2 in cited_numbers(out.text, 2) or "[2]" in out.text or "200元" in out.text


async def test_stream_cancelled_by_the_consumer_frees_the_model(local_llm: ResilientLLMClient) -> None:
    first = asyncio.Event()

    async def consume() -> None:
        async for _ in local_llm.stream(QUESTION, max_tokens=400):
            first.set()

    task = asyncio.create_task(consume())
    # Cancel right after the first delta (a fixed sleep raced a fast machine: the answer had ended).
    await asyncio.wait_for(first.wait(), timeout=120)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # The worker stops within a token: a new short request is served promptly, not after 400 tokens.
    out = await asyncio.wait_for(local_llm.complete(QUESTION, max_tokens=4), timeout=60)
    assert out.completion_tokens <= 6


async def test_estimate_never_undercounts_the_real_tokenizer(local_llm: ResilientLLMClient) -> None:
    """The prompt builder budgets with the estimate: it must not be below the model's exact count."""
    assert isinstance(local_llm.backend, LlamaCppBackend)
    assert isinstance(local_llm.token_counter, EstimatingCounter)
    samples = [
        "信用卡年费为每年200元，首年免年费。请拨打95555挂失。",
        "Wire transfers to another bank take 1-2 business days and cost USD 25.",
        "我的電話<PHONE_NUMBER_1>收不到驗證碼，請問怎麼辦？",
        "ATM跨行取款手续费为每笔4元；境外取款按1%收取，最低12元。",
    ]
    for text in samples:
        messages = [ChatMessage("user", text)]
        exact = await local_llm.count_tokens(messages)
        assert count_messages(local_llm.token_counter, messages) >= exact, text
