"""The dialog layer's LLM tracker and SGD harness against real OpenAI-compatible servers: the packaged
Qwen2.5-0.5B behind llama_cpp.server (marker ``llama``) and vLLM (CPU) serving the seeded tiny MoE
(marker ``vllm``, random weights: structure is asserted, not content). The bounded state schema must come
back valid from a constrained decoder, so the tracker takes the LLM path, not its local fallback.

llama.cpp's grammar-constrained sampling over Qwen's 150k-token vocabulary is slow on these CPUs (about
1-2 s per token on the shared dev VM), so the llama server gets one state update; the SGD harness runs on
vLLM (xgrammar), where a state update takes well under a second."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from dialog.evaluation.sgd import GoldTurn, ServiceSchema, SgdDialogue, build_trackers, run_sgd
from dialog.events import BotSaid, UserSaid
from dialog.intents import parse_intents
from dialog.state import DialogState
from dialog.testing import hash_embed, local_tracker
from dialog.tracker_llm import DEFAULT_SLOT_SPECS, MAX_QUERY_CHARS, LLMTracker, SlotSpec, max_output_tokens
from llm_backend.config import LLMConfig
from llm_backend.factory import build_llm_client
from llm_backend.protocols import LLMClient
from llm_backend.serving import ManagedServer
from llm_backend.types import ChatMessage
from tests.integration.llm.conftest import CACHE, LLAMA_NAME, TINY_MOE_NAME

BANKS = ServiceSchema(
    "Banks_2",
    "Service to manage your bank accounts and finances",
    (("CheckBalance", "Get the balance of an account"), ("TransferMoney", "Transfer money to another user")),
    (
        SlotSpec("account_type", "The user's account type", ("checking", "savings")),
        SlotSpec("transfer_amount", "The amount of money to transfer"),
        SlotSpec("recipient_name", "The name of the recipient to transfer the money to"),
    ),
)
DIALOGUE = SgdDialogue(
    "t1",
    "Banks_2",
    (
        GoldTurn("What's the balance of my checking account?", "", "check_balance", {"account_type": ("checking",)}),
        GoldTurn("Now send $40 to Amir from checking.", "You have $3,814.44 in checking.", "transfer_money",
                 {"account_type": ("checking",), "transfer_amount": ("$40",), "recipient_name": ("Amir",)}),
    ),
)  # fmt: skip


def adapter(client: LLMClient) -> Any:
    async def call(messages: list[dict[str, str]], schema: dict[str, Any]) -> dict[str, Any]:
        chat = [ChatMessage(role=m["role"], content=m["content"]) for m in messages]  # type: ignore[arg-type]
        return await client.structured(chat, schema, max_tokens=max_output_tokens(schema))

    return call


async def _client(server: ManagedServer, model: str) -> LLMClient:
    cfg = LLMConfig(backend="openai", base_url=server.base_url, model=model, timeout_s=1200,
                    first_token_timeout_s=1200, stream_idle_timeout_s=600)  # fmt: skip
    client = build_llm_client(cfg, CACHE)
    await client.warm_up()
    return client


SMALL_INTENTS = parse_intents(
    [
        {"name": "credit_card_instalment", "description": "Credit card instalment plans and their fees",
         "examples": ["信用卡分期怎么申请", "instalment fee"]},
        {"name": "transfer", "description": "Money transfers", "examples": ["转账多久到账", "transfer limit"]},
        {"name": "out_of_scope", "examples": ["今天天气怎么样", "tell me a joke"]},
    ]
)  # fmt: skip


async def _check_tracker(client: LLMClient, *, small: bool = False) -> None:
    """``small``: three intents and two slots, a short prompt for the slow llama.cpp grammar sampler."""
    local = local_tracker(SMALL_INTENTS) if small else local_tracker()
    slots = DEFAULT_SLOT_SPECS[:3:2] if small else DEFAULT_SLOT_SPECS
    tracker = LLMTracker(adapter(client), local, slots=slots, timeout_s=1200)
    state = DialogState.replay(
        [UserSaid(text="信用卡分期怎么申请？", lang="zh"), BotSaid(text="在App中申请", citations=["c1"])]
    )
    result = await tracker.track(state, "那手续费呢？")
    assert (result.path, result.degraded) == ("llm", False), "the server's JSON did not fit the schema"
    assert result.intent in {*tracker.local.intents.names, "out_of_scope"}
    assert 0.0 <= result.confidence <= 1.0
    assert 0 < len(result.standalone_query) <= MAX_QUERY_CHARS
    assert 0.0 <= result.frustration <= 1.0


async def _check_sgd(client: LLMClient) -> dict[str, Any]:
    trackers = build_trackers({"Banks_2": BANKS}, adapter(client), hash_embed, timeout_s=300)
    report = await run_sgd([DIALOGUE], trackers)
    metrics = report.metrics()
    assert metrics["turns"] == 2
    assert metrics["degraded_turns"] == 0
    return metrics


@pytest.mark.llama
class TestLlamaServer:
    @pytest.fixture
    async def client(self, llama_server: ManagedServer) -> AsyncIterator[LLMClient]:
        client = await _client(llama_server, LLAMA_NAME)
        yield client
        await client.aclose()

    async def test_state_update_through_the_schema(self, client: LLMClient) -> None:
        await _check_tracker(client, small=True)


@pytest.mark.vllm
class TestVllmServer:
    @pytest.fixture
    async def client(self, vllm_server: ManagedServer) -> AsyncIterator[LLMClient]:
        client = await _client(vllm_server, TINY_MOE_NAME)
        yield client
        await client.aclose()

    async def test_state_update_through_the_schema(self, client: LLMClient) -> None:
        await _check_tracker(client)

    async def test_sgd_harness(self, client: LLMClient) -> None:
        await _check_sgd(client)
