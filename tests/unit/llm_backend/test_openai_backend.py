"""The OpenAI-compatible client against a real local HTTP server that misbehaves on purpose.

Covers the issue's bad inputs over the wire: refused connections, 5xx, a context-length 400, an empty
completion, invalid JSON for a structured call, a stream that stops mid-way or stalls.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from llm_backend.config import LLMConfig
from llm_backend.errors import (
    LLMBadResponse,
    LLMConnectError,
    LLMContextTooLong,
    LLMTimeout,
    LLMUnavailable,
)
from llm_backend.factory import build_llm_client
from llm_backend.protocols import LLMClient
from llm_backend.serving import free_port
from llm_backend.types import ChatMessage

MSGS = [ChatMessage("system", "rules"), ChatMessage("user", "年费多少？")]


@dataclass
class Script:
    replies: list[str] = field(default_factory=list)  # modes, consumed per chat request
    owned_by: str = "vllm"
    requests: list[dict[str, Any]] = field(default_factory=list)


def _completion(content: str) -> dict[str, Any]:
    return {
        "id": "x", "object": "chat.completion", "created": 0, "model": "m",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10,
                  "prompt_tokens_details": {"cached_tokens": 4}},
    }  # fmt: skip


def _chunk(text: str) -> bytes:
    body = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "m",
            "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}]}  # fmt: skip
    return f"data: {json.dumps(body)}\n\n".encode()


def make_app(script: Script) -> Starlette:
    async def models(_: Request) -> Response:
        card = {
            "id": "m",
            "object": "model",
            "created": 0,
            "owned_by": script.owned_by,
            "max_model_len": 1024,
        }
        return JSONResponse({"object": "list", "data": [card]})

    async def chat(request: Request) -> Response:
        body = await request.json()
        script.requests.append(body)
        mode = script.replies.pop(0) if script.replies else "ok"
        if mode == "500":
            return JSONResponse({"error": {"message": "engine dead", "type": "InternalServerError"}}, 500)
        if mode == "too_long":
            msg = "This model's maximum context length is 1024 tokens. However, you requested 5000 tokens."
            return JSONResponse({"error": {"message": msg, "type": "BadRequestError", "code": 400}}, 400)
        if mode == "slow":
            await asyncio.sleep(5)
        if body.get("stream"):

            async def events() -> AsyncIterator[bytes]:
                for i, word in enumerate(["年费", "为", "200元", "[1]"]):
                    if mode == "half" and i == 2:
                        raise RuntimeError("connection dropped")
                    if mode == "stall" and i == 1:
                        await asyncio.sleep(30)
                    yield _chunk(word)
                yield b"data: [DONE]\n\n"

            return StreamingResponse(events(), media_type="text/event-stream")
        content = {
            "ok": "年费为200元 [1]",
            "empty": "",
            "bad_json": '{"intent": "fee"',
            "json": '{"intent": "fee"}',
        }
        return JSONResponse(_completion(content.get(mode, mode)))

    return Starlette(
        routes=[Route("/v1/models", models), Route("/v1/chat/completions", chat, methods=["POST"])]
    )


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, Script]]:
    script = Script()
    port = free_port()
    config = uvicorn.Config(
        make_app(script), host="127.0.0.1", port=port, log_level="critical", lifespan="off"
    )
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/v1", script
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
async def client(server: tuple[str, Script], tmp_path: Path) -> AsyncIterator[LLMClient]:
    url, script = server
    script.replies.clear()
    script.requests.clear()
    script.owned_by = "vllm"
    cfg = LLMConfig(backend="openai", base_url=url, model="m", max_tokens=64, timeout_s=2,
                    first_token_timeout_s=2, stream_idle_timeout_s=0.5, retry_backoff_s=0.01)  # fmt: skip
    c = build_llm_client(cfg, tmp_path)
    await c.warm_up()
    yield c
    await c.aclose()


async def test_reads_window_and_usage(client: LLMClient) -> None:
    assert client.context_tokens == 1024
    out = await client.complete(MSGS)
    assert out.text == "年费为200元 [1]"
    assert (out.prompt_tokens, out.completion_tokens, out.cached_tokens) == (7, 3, 4)


async def test_server_error_is_unavailable_and_not_retried(
    client: LLMClient, server: tuple[str, Script]
) -> None:
    server[1].replies[:] = ["500", "ok"]
    with pytest.raises(LLMUnavailable):
        await client.complete(MSGS)
    assert len(server[1].requests) == 1


async def test_context_length_400_is_typed(client: LLMClient, server: tuple[str, Script]) -> None:
    server[1].replies[:] = ["too_long"]
    with pytest.raises(LLMContextTooLong):
        await client.complete(MSGS)


async def test_empty_completion_is_a_bad_response(client: LLMClient, server: tuple[str, Script]) -> None:
    server[1].replies[:] = ["empty"]
    with pytest.raises(LLMBadResponse):
        await client.complete(MSGS)


async def test_invalid_json_is_retried_once_then_typed(client: LLMClient, server: tuple[str, Script]) -> None:
    schema = {"type": "object", "properties": {"intent": {"enum": ["fee"]}}, "required": ["intent"]}
    server[1].replies[:] = ["bad_json", "json"]
    assert await client.structured(MSGS, schema) == {"intent": "fee"}
    fmt = server[1].requests[-1]["response_format"]
    assert fmt["type"] == "json_schema"
    assert fmt["json_schema"]["schema"] == schema
    server[1].replies[:] = ["bad_json", "bad_json", "json"]
    with pytest.raises(LLMBadResponse, match="2 attempts"):
        await client.structured(MSGS, schema)


async def test_non_vllm_servers_get_json_object_with_schema(
    server: tuple[str, Script], tmp_path: Path
) -> None:
    url, script = server
    script.owned_by = "llama-cpp"
    script.replies[:] = ["json"]
    c = build_llm_client(LLMConfig(backend="openai", base_url=url, model="m"), tmp_path)
    await c.warm_up()
    await c.structured(MSGS, {"type": "object"})
    assert script.requests[-1]["response_format"] == {"type": "json_object", "schema": {"type": "object"}}
    await c.aclose()


async def test_stream_that_stops_midway_raises_after_the_partial_output(
    client: LLMClient, server: tuple[str, Script]
) -> None:
    server[1].replies[:] = ["half"]
    got: list[str] = []

    async def consume() -> None:
        async for delta in client.stream(MSGS):
            got.append(delta)

    with pytest.raises(LLMUnavailable):
        await consume()
    assert got == ["年费", "为"]
    assert len(server[1].requests) == 1  # a half-streamed answer is never retried


async def test_stalled_stream_times_out(client: LLMClient, server: tuple[str, Script]) -> None:
    server[1].replies[:] = ["stall"]
    with pytest.raises(LLMTimeout):
        _ = [d async for d in client.stream(MSGS)]


async def test_slow_server_hits_the_deadline(client: LLMClient, server: tuple[str, Script]) -> None:
    server[1].replies[:] = ["slow"]
    with pytest.raises(LLMTimeout):
        await client.complete(MSGS)


async def test_unknown_model_is_refused_at_warm_up(server: tuple[str, Script], tmp_path: Path) -> None:
    c = build_llm_client(LLMConfig(backend="openai", base_url=server[0], model="other"), tmp_path)
    with pytest.raises(LLMUnavailable, match="not served"):
        await c.warm_up()
    await c.aclose()


async def test_refused_connection_is_retried_then_typed(tmp_path: Path) -> None:
    cfg = LLMConfig(backend="openai", base_url=f"http://127.0.0.1:{free_port()}/v1", model="m", max_retries=2,
                    retry_backoff_s=0.01)  # fmt: skip
    c = build_llm_client(cfg, tmp_path)
    with pytest.raises(LLMConnectError):
        await c.complete(MSGS)
    assert not await c.health()
    await c.aclose()
