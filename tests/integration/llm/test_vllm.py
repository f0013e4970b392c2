"""The OpenAI-compatible client against real vLLM (CPU) serving a real MoE architecture (tiny Qwen2-MoE).

Random weights: every assertion is about structure, protocol and server behaviour, never content.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx2 as httpx
import pytest

from llm_backend.client import ResilientLLMClient
from llm_backend.config import LLMConfig, PromptConfig
from llm_backend.factory import build_llm_client
from llm_backend.openai_backend import OpenAICompatBackend
from llm_backend.prompts import build_rag_prompt
from llm_backend.protocols import LLMClient
from llm_backend.serving import ManagedServer
from llm_backend.types import ChatMessage, Passage
from tests.contract.test_llm_client_contract import QUESTION, LLMClientContract
from tests.integration.llm.conftest import TINY_MOE_NAME

pytestmark = pytest.mark.vllm


def _config(server: ManagedServer, **overrides: object) -> LLMConfig:
    base: dict[str, object] = {
        "backend": "openai",
        "base_url": server.base_url,
        "model": TINY_MOE_NAME,
        "context_tokens": 4096,  # larger than served: the served 2048 must win
        "max_tokens": 64,
        "timeout_s": 120,
        "first_token_timeout_s": 120,
        "stream_idle_timeout_s": 60,
    }
    return LLMConfig(**{**base, **overrides})  # type: ignore[arg-type]


@pytest.fixture
async def vllm_client(vllm_server: ManagedServer, tmp_path: Path) -> AsyncIterator[LLMClient]:
    c = build_llm_client(_config(vllm_server), tmp_path)
    await c.warm_up()
    yield c
    await c.aclose()


def _metric(text: str, name: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if line.startswith((name + "{", name + " ")):
            total += float(line.rsplit(" ", 1)[1])
    return total


async def _metrics(server: ManagedServer) -> str:
    async with httpx.AsyncClient() as http:
        return (await http.get(server.root_url + "/metrics")).text


class TestVLLMContract(LLMClientContract):
    @pytest.fixture
    def client(self, vllm_client: LLMClient) -> LLMClient:
        return vllm_client


async def test_reads_the_served_window_and_server_kind(vllm_client: LLMClient) -> None:
    assert isinstance(vllm_client, ResilientLLMClient)
    backend = vllm_client.backend
    assert isinstance(backend, OpenAICompatBackend)
    assert backend.server_kind == "vllm"
    assert vllm_client.context_tokens == 2048


async def test_exact_token_count_near_the_window_matches_the_server(
    vllm_client: LLMClient, vllm_server: ManagedServer
) -> None:
    near = [ChatMessage("system", "rules"), ChatMessage("user", "年费多少？" * 400)]
    counted = await vllm_client.count_tokens(near)
    async with httpx.AsyncClient() as http:
        body = {
            "model": TINY_MOE_NAME,
            "messages": [{"role": m.role, "content": m.content} for m in near],
            "add_generation_prompt": True,
        }
        served = (await http.post(vllm_server.root_url + "/tokenize", json=body)).json()["count"]
    assert counted == served


async def test_eight_concurrent_requests_are_batched(
    vllm_client: LLMClient, vllm_server: ManagedServer
) -> None:
    """The streams run together: the engine batches them instead of serving one after another.

    The evidence is the server's own, not client-side timing (on a loaded CPU the API server can deliver a
    batched stream's tokens in one late burst, which looks sequential from the client). vLLM records every
    engine step in ``vllm:iteration_tokens_total`` (a histogram: its count is the number of steps) and every
    generated token in ``vllm:generation_tokens_total``. Served one after another, a step generates at most
    one token; batched, a decode step generates one token for each running stream.

    Each stream is long (600 tokens): the API server admits requests one after another (chat template,
    tokenization), and on a busy 2-vCPU machine that can take as long as a short stream lasts, so 200-token
    streams were served almost one after another in CI (1,600 tokens in 1,275 steps) although the engine
    batches whatever is running. Long streams are still running when the last one is admitted.
    """

    async def one(i: int) -> int:
        prompt = [*QUESTION[:1], ChatMessage("user", f"Question number {i}: what is the fee?")]
        n = 0
        async for _ in vllm_client.stream(prompt, max_tokens=600):
            n += 1
        return n

    before = await _metrics(vllm_server)
    counts = await asyncio.gather(*(one(i) for i in range(8)))
    assert all(n > 1 for n in counts)
    done = _metric(before, "vllm:request_success_total") + 8
    for _ in range(100):  # the server records a step's stats right after sending its tokens
        after = await _metrics(vllm_server)
        if _metric(after, "vllm:request_success_total") >= done:
            break
        await asyncio.sleep(0.1)

    def delta(name: str) -> float:
        return _metric(after, name) - _metric(before, name)

    steps = delta("vllm:iteration_tokens_total_count")
    generated = delta("vllm:generation_tokens_total")
    assert generated >= sum(counts) > 0
    # Sequential serving gives at most 1.0. Eight streams decoding together give close to 8; the bar leaves
    # room for streams that end early on their own (end of sequence) or are admitted a few steps late.
    assert generated / steps >= 3.0, (generated, steps, counts)


async def test_prefix_cache_serves_the_next_turn(vllm_client: LLMClient, vllm_server: ManagedServer) -> None:
    passages = [
        Passage(f"c{i}", f"第{i}条：信用卡年费为每年{i}00元，刷卡满{i}次免次年年费。" * 3)
        for i in range(1, 5)
    ]
    cfg = PromptConfig()
    turn1 = build_rag_prompt(
        "信用卡年费多少？",
        passages,
        counter=vllm_client.token_counter,
        config=cfg,
        context_tokens=vllm_client.context_tokens,
        answer_tokens=32,
    )
    first = await vllm_client.complete(list(turn1.messages), max_tokens=16)
    before = await _metrics(vllm_server)
    turn2 = build_rag_prompt(
        "怎么免年费？",
        passages[::-1],
        counter=vllm_client.token_counter,
        config=cfg,
        context_tokens=vllm_client.context_tokens,
        answer_tokens=32,
        history=[ChatMessage("user", "信用卡年费多少？"), ChatMessage("assistant", first.text)],
        carried=turn1.shown,  # the block layout's carry
        earlier=turn1.turns,  # the append layout's
    )
    second = await vllm_client.complete(list(turn2.messages), max_tokens=16)
    after = await _metrics(vllm_server)
    assert second.cached_tokens is not None
    assert second.cached_tokens >= 0.8 * first.prompt_tokens - 16  # the whole first prompt, to a block
    hits = _metric(after, "vllm:prefix_cache_hits_total") - _metric(before, "vllm:prefix_cache_hits_total")
    assert hits >= second.cached_tokens > 0


async def test_closing_the_stream_aborts_the_request_on_the_server(
    vllm_client: LLMClient, vllm_server: ManagedServer
) -> None:
    stream = vllm_client.stream(QUESTION, max_tokens=1500)
    assert await anext(stream)
    await stream.aclose()
    for _ in range(100):
        if _metric(await _metrics(vllm_server), "vllm:num_requests_running") == 0:
            break
        await asyncio.sleep(0.1)
    assert _metric(await _metrics(vllm_server), "vllm:num_requests_running") == 0


async def test_structured_output_through_json_schema(vllm_client: LLMClient) -> None:
    schema = {
        "type": "object",
        "properties": {
            "lang": {"enum": ["zh", "en"]},
            "passages": {
                "type": "array",
                "items": {"type": "integer", "minimum": 1, "maximum": 5},
                "maxItems": 3,
            },
            "reason": {"type": "string", "pattern": "^[a-z ]{0,20}$"},
        },
        "required": ["lang", "passages", "reason"],
        "additionalProperties": False,
    }
    value = await vllm_client.structured(QUESTION, schema, max_tokens=96)
    assert value["lang"] in ("zh", "en")
    assert len(value["passages"]) <= 3
    assert re.fullmatch(r"[a-z ]{0,20}", value["reason"])


async def test_server_gone_mid_session_gives_typed_errors_not_crashes(tmp_path: Path) -> None:
    from llm_backend.errors import LLMConnectError

    cfg = LLMConfig(
        backend="openai",
        base_url="http://127.0.0.1:9/v1",
        model=TINY_MOE_NAME,
        max_retries=1,
        retry_backoff_s=0.01,
        connect_timeout_s=0.5,
    )
    client = build_llm_client(cfg, tmp_path)
    with pytest.raises(LLMConnectError):
        await client.warm_up()
    assert not await client.health()
    await client.aclose()
