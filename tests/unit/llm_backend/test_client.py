"""ResilientLLMClient policy: deadlines, retries on connect errors only, breaker, budgets, JSON checks."""

from __future__ import annotations

import asyncio

import pytest

from llm_backend.client import ResilientLLMClient
from llm_backend.config import LLMConfig
from llm_backend.errors import (
    LLMBadResponse,
    LLMCircuitOpen,
    LLMConnectError,
    LLMContextTooLong,
    LLMTimeout,
    LLMUnavailable,
)
from llm_backend.protocols import LLMClient
from llm_backend.types import ChatMessage
from tests.unit.llm_backend.fake_backend import FakeBackend, Step

MSGS = [ChatMessage("system", "rules"), ChatMessage("user", "hi")]


def make(backend: FakeBackend, **overrides: object) -> tuple[ResilientLLMClient, list[float]]:
    slept: list[float] = []

    async def sleep(s: float) -> None:
        slept.append(s)

    cfg = LLMConfig(**{"retry_backoff_s": 0.1, "retry_backoff_max_s": 1.0, **overrides})  # type: ignore[arg-type]
    return ResilientLLMClient(backend, cfg, sleep=sleep), slept


async def collect(client: ResilientLLMClient, into: list[str]) -> None:
    async for delta in client.stream(MSGS):
        into.append(delta)


def test_is_an_llm_client() -> None:
    client, _ = make(FakeBackend())
    assert isinstance(client, LLMClient)


async def test_complete_retries_connect_errors_with_growing_backoff() -> None:
    backend = FakeBackend([Step(error=LLMConnectError("refused")), Step(error=LLMConnectError("refused"))])
    client, slept = make(backend, max_retries=2)
    out = await client.complete(MSGS)
    assert out.text == "hello world"
    assert backend.calls == 3
    assert len(slept) == 2
    assert 0.05 <= slept[0] <= 0.1
    assert 0.1 <= slept[1] <= 0.2


async def test_complete_gives_up_after_max_retries() -> None:
    backend = FakeBackend([Step(error=LLMConnectError("refused"))] * 5)
    client, slept = make(backend, max_retries=1)
    with pytest.raises(LLMConnectError):
        await client.complete(MSGS)
    assert backend.calls == 2
    assert len(slept) == 1


async def test_server_errors_are_not_retried() -> None:
    backend = FakeBackend([Step(error=LLMUnavailable("500"))])
    client, _ = make(backend, max_retries=3)
    with pytest.raises(LLMUnavailable):
        await client.complete(MSGS)
    assert backend.calls == 1


async def test_complete_deadline_raises_typed_timeout() -> None:
    client, _ = make(FakeBackend([Step(delay_s=5)]), timeout_s=0.05)
    with pytest.raises(LLMTimeout):
        await client.complete(MSGS)


async def test_empty_completion_is_a_bad_response() -> None:
    client, _ = make(FakeBackend([Step(text="  \n")]))
    with pytest.raises(LLMBadResponse):
        await client.complete(MSGS)


async def test_breaker_opens_fails_fast_then_probes() -> None:
    now = [0.0]
    backend = FakeBackend([Step(error=LLMUnavailable("down"))] * 2)
    client, _ = make(backend, breaker_failures=2, breaker_reset_s=10)
    client.breaker._clock = lambda: now[0]
    for _ in range(2):
        with pytest.raises(LLMUnavailable):
            await client.complete(MSGS)
    with pytest.raises(LLMCircuitOpen):
        await client.complete(MSGS)
    assert backend.calls == 2  # the open breaker did not reach the backend
    assert not await client.health()
    now[0] = 11.0
    assert (await client.complete(MSGS)).text == "hello world"  # the probe succeeds and closes it
    assert client.breaker.state == "closed"


async def test_answer_budget_shrinks_then_refuses() -> None:
    backend = FakeBackend(context_tokens=300, tokens_per_message=100)
    client, _ = make(backend, max_tokens=200, context_tokens=1000)
    await client.warm_up()
    await client.complete(MSGS)  # 200 prompt tokens: 100 left, more than a quarter of 200
    assert backend.last_max_tokens == 100
    with pytest.raises(LLMContextTooLong):
        await client.complete([*MSGS, ChatMessage("user", "more")])  # 300: nothing left
    assert backend.calls == 1


async def test_stream_yields_in_order_and_closes_backend_stream() -> None:
    backend = FakeBackend([Step(text="a b c d")])
    client, _ = make(backend)
    out = [d async for d in client.stream(MSGS)]
    assert "".join(out) == "a b c d"
    assert backend.closed_streams == 1


async def test_stream_retries_connect_error_before_first_token_only() -> None:
    backend = FakeBackend([Step(text="x y", error=LLMConnectError("refused"), after=0), Step(text="ok go")])
    client, slept = make(backend)
    assert "".join([d async for d in client.stream(MSGS)]) == "ok go"
    assert backend.calls == 2
    assert len(slept) == 1


async def test_stream_broken_mid_answer_raises_and_is_not_retried() -> None:
    backend = FakeBackend([Step(text="one two three", error=LLMConnectError("reset"), after=2)])
    client, slept = make(backend, max_retries=3)
    got: list[str] = []
    with pytest.raises(LLMUnavailable) as info:
        await collect(client, got)
    assert got == ["one", " two"]
    assert not isinstance(info.value, LLMConnectError)
    assert backend.calls == 1
    assert slept == []


async def test_stream_closed_by_consumer_cancels_the_generation() -> None:
    backend = FakeBackend([Step(text="a b c d e f")])
    client, _ = make(backend)
    agen = client.stream(MSGS)
    assert await anext(agen) == "a"
    await agen.aclose()
    assert backend.closed_streams == 1
    assert client.breaker.state == "closed"


async def test_stream_consumer_task_cancelled_closes_the_generation() -> None:
    backend = FakeBackend([Step(text="a b c", stall_after=1)])
    client, _ = make(backend)

    async def consume() -> None:
        async for _ in client.stream(MSGS):
            pass

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert backend.closed_streams == 1


async def test_stream_first_token_and_idle_deadlines() -> None:
    client, _ = make(FakeBackend([Step(delay_s=5)]), first_token_timeout_s=0.05)
    with pytest.raises(LLMTimeout):
        [d async for d in client.stream(MSGS)]
    backend = FakeBackend([Step(text="a b c", stall_after=1)])
    client, _ = make(backend, stream_idle_timeout_s=0.05)
    got: list[str] = []
    with pytest.raises(LLMTimeout):
        await collect(client, got)
    assert got == ["a"]


async def test_stream_with_no_text_is_a_bad_response() -> None:
    client, _ = make(FakeBackend([Step(text="")]))
    with pytest.raises(LLMBadResponse):
        [d async for d in client.stream(MSGS)]


SCHEMA = {
    "type": "object",
    "properties": {
        "intent": {"enum": ["fee", "card"]},
        "score": {"type": "integer", "minimum": 0, "maximum": 9},
    },
    "required": ["intent", "score"],
    "additionalProperties": False,
}


async def test_structured_returns_valid_object_and_passes_schema() -> None:
    backend = FakeBackend([Step(text='{"intent": "fee", "score": 3}')])
    client, _ = make(backend)
    assert await client.structured(MSGS, SCHEMA) == {"intent": "fee", "score": 3}
    assert backend.last_schema == SCHEMA


async def test_structured_retries_once_then_typed_error() -> None:
    backend = FakeBackend([Step(text='{"intent": "fee"'), Step(text='{"intent": "fee", "score": 3}')])
    client, _ = make(backend)
    assert await client.structured(MSGS, SCHEMA) == {"intent": "fee", "score": 3}
    backend = FakeBackend([Step(text="not json"), Step(text='{"intent": "loan", "score": 3}'), Step()])
    client, _ = make(backend)
    with pytest.raises(LLMBadResponse, match="enum|not one of"):
        await client.structured(MSGS, SCHEMA)
    assert backend.calls == 2


async def test_structured_rejects_an_invalid_schema_as_a_programming_error() -> None:
    client, _ = make(FakeBackend())
    with pytest.raises(ValueError, match="invalid JSON schema"):
        await client.structured(MSGS, {"type": "nonsense"})


async def test_slow_calls_are_counted_apart_from_errors() -> None:
    """Two slow answers (a deadline missed) do not open the breaker; a model that stays slow opens it "on
    slowness" (callers degrade quietly), and stays healthy; errors open it as before."""
    now = [0.0]
    backend = FakeBackend([Step(delay_s=5), Step(delay_s=5)])
    client, _ = make(backend, first_token_timeout_s=0.02, breaker_failures=2, breaker_slow_calls=3)
    client.breaker._clock = lambda: now[0]
    for _ in range(2):
        with pytest.raises(LLMTimeout):
            [d async for d in client.stream(MSGS)]
    assert client.breaker.state == "closed"
    assert "".join([d async for d in client.stream(MSGS)]) == "hello world"  # the next turn gets the model
    backend.steps = [Step(delay_s=5)] * 3
    for _ in range(3):
        with pytest.raises(LLMTimeout):
            [d async for d in client.stream(MSGS)]
    assert (client.breaker.state, client.breaker.opened_by) == ("open", "slow")
    with pytest.raises(LLMCircuitOpen) as opened:
        await client.complete(MSGS)
    assert opened.value.slow
    assert await client.health()  # busy, not down: readiness keeps the replica
    now[0] = 31.0  # breaker_reset_s (30) later the probe goes through and closes it
    assert (await client.complete(MSGS)).text == "hello world"
    backend.steps = [Step(error=LLMUnavailable("down"))] * 2
    for _ in range(2):
        with pytest.raises(LLMUnavailable):
            await client.complete(MSGS)
    with pytest.raises(LLMCircuitOpen) as down:
        await client.complete(MSGS)
    assert not down.value.slow
    assert client.breaker.opened_by == "errors"
    assert not await client.health()


async def test_a_slow_call_between_errors_does_not_reset_nor_add_to_the_error_count() -> None:
    backend = FakeBackend([Step(error=LLMUnavailable("x")), Step(delay_s=5), Step(error=LLMUnavailable("x"))])
    client, _ = make(backend, timeout_s=0.02, breaker_failures=2, breaker_slow_calls=5)
    with pytest.raises(LLMUnavailable):
        await client.complete(MSGS)
    with pytest.raises(LLMTimeout):
        await client.complete(MSGS)
    assert client.breaker.state == "closed"
    with pytest.raises(LLMUnavailable):
        await client.complete(MSGS)
    assert client.breaker.opened_by == "errors"
