"""The model server fails while a customer waits: the real client (``OpenAICompatBackend`` under
``ResilientLLMClient``) against the stub model server on loopback, through the real API.

Mid-stream death (connection dropped, or the server process gone) and a mid-stream hang must give the
customer a clear message and a human (a handoff), never a 500; what was generated so far is kept only as
an interrupted answer (decision ``handoff``, reason ``llm_interrupted``), and the customer's message is
kept. Before any output, failures fall back (the composed answer) without waiting long, retries stay
bounded, and the circuit breaker stops calling a dead server. A slow model is not a dead one: the
customer gets the composed answer without the outage lead, and slow turns do not open the breaker.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from app.container import Container
from app.db import crud_conversations
from bench.load.procs import LlmStub
from llm_backend.config import LLMConfig
from llm_backend.factory import build_llm_client
from llm_backend.protocols import LLMClient
from tests.reliability.conftest import asgi_client
from tests.unit.app.helpers import METRICS_AUTH, Tenant, parse_sse, send_message, start_conversation

QUESTION = "What are the branch opening hours?"


def llm_config(stub: LlmStub, **overrides: object) -> LLMConfig:
    values: dict[str, object] = {
        "backend": "openai",
        "base_url": stub.base_url,
        "model": "kefu-stub",
        "timeout_s": 8.0,
        "connect_timeout_s": 1.0,
        "first_token_timeout_s": 2.0,
        "stream_idle_timeout_s": 1.0,
        "max_retries": 2,
        "retry_backoff_s": 0.05,
        "retry_backoff_max_s": 0.2,
        "breaker_failures": 3,
        "breaker_reset_s": 60.0,
        "cache": {"enabled": False},
    }
    values.update(overrides)
    return LLMConfig.model_validate(values)


@pytest.fixture
async def real_llm(stub: LlmStub, tmp_path: Path) -> AsyncIterator[LLMClient]:
    client = build_llm_client(llm_config(stub), tmp_path)
    await client.warm_up()
    yield client
    await client.aclose()


@pytest.fixture
async def api(container: Container, real_llm: LLMClient, stub: LlmStub) -> AsyncIterator[httpx.AsyncClient]:
    container.llm = real_llm
    container.settings = container.settings.model_copy(update={"llm": llm_config(stub)})
    async with asgi_client(container) as c:
        yield c


async def stream_turn(client: httpx.AsyncClient, cid: str, headers: dict[str, str]) -> list[tuple[str, dict]]:
    r = await send_message(client, cid, headers, QUESTION, stream=True)
    assert r.status_code == 200, r.text
    return parse_sse(r.text)


async def assert_interrupted_and_handed_off(
    container: Container, tenant: Tenant, cid: str, events: list[tuple[str, dict]]
) -> None:
    kinds = [k for k, _ in events]
    assert kinds[0] == "accepted"
    assert "error" not in kinds
    tokens = "".join(d["text"] for k, d in events if k == "token")
    assert tokens.startswith("According to the bank's guidance [1],")  # the customer saw the partial answer
    final = events[-1][1]
    assert events[-1][0] == "final"
    assert final["decision"] == "handoff"
    assert final["reason"] == "llm_interrupted"
    assert final["handoff_id"]
    assert "human agent" in final["text"]  # a clear message: what happened and what happens next
    async with container.sessions() as s:
        rows = await crud_conversations.list_messages(s, conversation_id=cid)
        handoff = await crud_conversations.get_open_handoff(s, tenant_id=tenant.id, conversation_id=cid)
    assert [m.role for m in rows] == ["user", "bot"]
    assert rows[0].text == QUESTION  # the customer's message is kept
    bot = rows[1]
    assert (bot.decision, bot.decision_reason) == (
        "handoff",
        "llm_interrupted",
    )  # not stored as a complete answer
    assert handoff is not None
    assert handoff.reason == "llm_interrupted"


@pytest.mark.parametrize("mode", ["die", "exit"])
async def test_model_server_dies_mid_stream(
    api: httpx.AsyncClient, container: Container, tenant: Tenant, stub: LlmStub, mode: str
) -> None:
    stub.set(mode=mode, fail_after=3, tokens=12)
    cid, headers = await start_conversation(api, tenant)
    events = await stream_turn(api, cid, headers)
    await assert_interrupted_and_handed_off(container, tenant, cid, events)
    if mode == "exit":
        assert not stub.proc.alive()  # the server process really died under the stream


async def test_model_server_hangs_mid_stream(
    api: httpx.AsyncClient, container: Container, tenant: Tenant, stub: LlmStub
) -> None:
    stub.set(mode="hang", fail_after=3, tokens=12)
    cid, headers = await start_conversation(api, tenant)
    started = time.monotonic()
    events = await stream_turn(api, cid, headers)
    assert time.monotonic() - started < 8  # stream_idle_timeout_s (1 s) bounds the wait, not the hang
    await assert_interrupted_and_handed_off(container, tenant, cid, events)


async def test_no_first_token_falls_back_without_a_long_wait(
    api: httpx.AsyncClient, container: Container, tenant: Tenant, stub: LlmStub
) -> None:
    stub.set(ttft_s=30.0)
    cid, headers = await start_conversation(api, tenant)
    started = time.monotonic()
    events = await stream_turn(api, cid, headers)
    assert time.monotonic() - started < 8  # first_token_timeout_s (2 s)
    final = events[-1][1]
    assert final["reason"] == "llm_slow"  # slow is not down: the composed answer, with its citation
    assert final["citations"]
    assert "9:00" in final["text"]
    assert "can't compose" not in final["text"]  # and no outage lead


async def test_slow_answers_do_not_open_the_breaker_for_later_turns(
    api: httpx.AsyncClient, container: Container, tenant: Tenant, stub: LlmStub
) -> None:
    """A busy model misses the first-token deadline on three turns in a row (breaker_failures = 3, which
    would open the breaker if slowness counted as failure); the next turn, once it is fast again, is
    answered by the model, not by a fallback."""
    stub.set(ttft_s=30.0)
    for _ in range(3):  # a conversation each: the breaker is the process's, and the same question asked
        # again in one conversation is the customer getting nowhere (dialog: repeated_failure)
        cid, headers = await start_conversation(api, tenant)
        final = (await stream_turn(api, cid, headers))[-1][1]
        assert final["reason"] == "llm_slow"
        assert "can't compose" not in final["text"]
    stub.set(ttft_s=0.02)
    cid, headers = await start_conversation(api, tenant)
    final = (await stream_turn(api, cid, headers))[-1][1]
    assert final["decision"] == "answer"
    assert final["reason"] is None  # the model's own answer
    assert final["model"] == "kefu-stub"
    metrics = (await api.get("/metrics", headers=METRICS_AUTH)).text
    assert "kefu_llm_breaker_state 0.0" in metrics


async def test_refusals_are_not_retried_and_the_breaker_opens(
    api: httpx.AsyncClient, container: Container, tenant: Tenant, stub: LlmStub
) -> None:
    stub.set(mode="refuse")
    for _ in range(3):  # breaker_failures = 3; a conversation each (the breaker is the process's)
        cid, headers = await start_conversation(api, tenant)
        final = (await stream_turn(api, cid, headers))[-1][1]
        assert final["reason"] == "llm_fallback"
        assert final["text"].startswith("Our assistant can't compose an answer right now.")  # really down
    assert stub.stats()["served"] == 3  # a 503 is not retried (the server is up and said no)
    stub.set(mode="ok")
    cid, headers = await start_conversation(api, tenant)
    final = (await stream_turn(api, cid, headers))[-1][1]
    assert final["reason"] == "llm_fallback"  # breaker open: the model is not called at all
    assert stub.stats()["served"] == 3
    metrics = (await api.get("/metrics", headers=METRICS_AUTH)).text
    assert 'kefu_llm_failures_total{code="llm_unavailable"}' in metrics


async def test_unreachable_server_is_retried_with_backoff_then_falls_back(
    container: Container, tenant: Tenant, tmp_path: Path, stub: LlmStub
) -> None:
    from bench.load.procs import free_port

    dead = LlmStub(tmp_path / "never.log", port=free_port())  # nothing listens there
    cfg = llm_config(dead, max_retries=2, retry_backoff_s=0.2, retry_backoff_max_s=0.4)
    llm = build_llm_client(cfg, tmp_path)
    container.llm = llm
    container.settings = container.settings.model_copy(update={"llm": cfg})
    async with asgi_client(container) as api:
        cid, headers = await start_conversation(api, tenant)
        started = time.monotonic()
        final = (await stream_turn(api, cid, headers))[-1][1]
        elapsed = time.monotonic() - started
    await llm.aclose()
    assert final["reason"] == "llm_fallback"
    assert 0.2 <= elapsed < 6  # two backoffs (>= 0.1 + 0.2 s with jitter), far below any hang
