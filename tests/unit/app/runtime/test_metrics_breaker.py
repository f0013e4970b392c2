"""The LLM client's circuit breaker is exported as ``kefu_llm_breaker_state`` (0 closed, 1 half-open, 2 open)."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest

from app.runtime.metrics import Metrics
from llm_backend.client import ResilientLLMClient
from llm_backend.config import LLMConfig
from llm_backend.errors import LLMCircuitOpen, LLMConnectError, LLMUnavailable
from llm_backend.factory import build_llm_client
from llm_backend.resilience import CircuitBreaker
from llm_backend.types import ChatMessage
from tests.unit.llm_backend.fake_backend import FakeBackend, Step

MSGS = [ChatMessage("user", "hi")]


def gauge(metrics: Metrics) -> float:
    match = re.search(r"^kefu_llm_breaker_state (\S+)$", metrics.render().decode(), re.MULTILINE)
    assert match is not None, "the breaker gauge is not exported"
    return float(match.group(1))


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # nothing listens once the socket is closed


async def test_a_model_server_that_refuses_connections_opens_the_breaker_on_metrics(tmp_path: Path) -> None:
    metrics = Metrics()
    config = LLMConfig(
        backend="openai",
        base_url=f"http://127.0.0.1:{closed_port()}/v1",
        max_retries=0,
        breaker_failures=2,
        breaker_reset_s=60,
    )
    client = build_llm_client(config, tmp_path, on_breaker_change=metrics.set_breaker)
    try:
        assert gauge(metrics) == 0
        for _ in range(2):
            with pytest.raises(LLMUnavailable):
                await client.complete(MSGS, max_tokens=8)
        assert gauge(metrics) == 2
        with pytest.raises(LLMCircuitOpen):  # fails fast now, without a connection attempt
            await client.complete(MSGS, max_tokens=8)
    finally:
        await client.aclose()


async def test_the_gauge_follows_open_half_open_and_closed() -> None:
    metrics = Metrics()
    now = [0.0]
    breaker = CircuitBreaker(failures=1, reset_s=10, clock=lambda: now[0], on_change=metrics.set_breaker)
    backend = FakeBackend(steps=[Step(error=LLMConnectError("down")), Step(text="back again")])
    client = ResilientLLMClient(backend, LLMConfig(max_retries=0), breaker=breaker)
    with pytest.raises(LLMConnectError):
        await client.complete(MSGS, max_tokens=8)
    assert gauge(metrics) == 2
    now[0] = 11.0
    seen: list[float] = []
    original = metrics.set_breaker

    def spy(state: str) -> None:
        original(state)
        seen.append(gauge(metrics))

    breaker._on_change = spy
    assert (await client.complete(MSGS, max_tokens=8)).text == "back again"
    assert seen == [1, 0]  # the probe went through half-open, its success closed the breaker
    assert gauge(metrics) == 0
