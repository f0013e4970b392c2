"""A real OpenAI-compatible HTTP model server whose behaviour is set at run time: the LLM side of the
fault tests and of ``kefu bench load``.

It is a test double of the *model server* only: the app's real client (``OpenAICompatBackend`` under
``ResilientLLMClient``) talks to it over loopback HTTP exactly as it talks to vLLM. Behaviour
(``Behaviour``): time to first token, time between tokens, answer length, and a failure mode:

- ``ok``      stream the answer (a sentence citing passage [1], then filler words);
- ``die``     after ``fail_after`` tokens, abort the connection (no terminating chunk);
- ``exit``    after ``fail_after`` tokens, the whole server process exits at once (``os._exit``): a
              crashed model server, the socket closed by the kernel;
- ``hang``    after ``fail_after`` tokens, stop sending (the connection stays open);
- ``refuse``  answer 503 before any token (overloaded / loading);
- ``error``   answer 500 before any token.

Control: ``POST /stub/behaviour`` (a JSON object of ``Behaviour`` fields to change), ``GET /stub/stats``
(requests served, in flight, and per-request timings keyed by a ``ref-xxxxxx`` tag found in the last user
message), ``GET /stub/requests`` (the last ``keep_requests`` request bodies, for tests that check what a
model server is sent), ``POST /stub/reset``.

Run: ``python -m bench.load.llm_stub --port 8199 [--ttft 0.2 --interval 0.05 --tokens 20]`` from the
repository root; it prints ``READY <port>`` when it accepts connections.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

Mode = Literal["ok", "die", "exit", "hang", "refuse", "error"]
MODEL = "kefu-stub"
TAG = re.compile(r"ref-[a-z]{6}")
_FILLER = [
    "please",
    "keep",
    "your",
    "card",
    "details",
    "private",
    "and",
    "contact",
    "the",
    "bank",
    "through",
    "its",
    "official",
    "channels",
    "if",
    "anything",
    "looks",
    "unusual",
    "with",
    "your",
    "account",
]


@dataclass
class Behaviour:
    ttft_s: float = 0.05  # before the first token
    interval_s: float = 0.02  # between tokens
    tokens: int = 12  # tokens per streamed answer (words; the first is a whole cited sentence)
    mode: Mode = "ok"
    fail_after: int = 3  # die / exit / hang after this many tokens
    answer: str = "According to the bank's guidance [1],"
    keep_requests: int = 50

    def update(self, values: dict[str, Any]) -> None:
        known = {f.name for f in fields(self)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"unknown behaviour fields: {sorted(unknown)}")
        for key, value in values.items():
            setattr(self, key, value)


@dataclass
class Stats:
    served: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    # tag -> seconds from the request's arrival to its last byte (streams) or response (plain)
    timings: dict[str, float] = field(default_factory=dict)
    requests: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=50))


def _chunk(text: str, finish: str | None = None) -> bytes:
    body = {
        "id": "stub",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": MODEL,
        "choices": [{"index": 0, "delta": {"content": text} if text else {}, "finish_reason": finish}],
    }
    return f"data: {json.dumps(body, ensure_ascii=False)}\n\n".encode()


def _words(b: Behaviour) -> list[str]:
    out = [b.answer]
    i = 0
    while len(out) < b.tokens:
        out.append(" " + _FILLER[i % len(_FILLER)])
        i += 1
    out[-1] = out[-1] + "."
    return out[: max(1, b.tokens)]


def _tag(body: dict[str, Any]) -> str | None:
    for message in reversed(body.get("messages") or []):
        if message.get("role") == "user":
            found = TAG.search(str(message.get("content", "")))
            return found.group(0) if found else None
    return None


def make_app(behaviour: Behaviour | None = None, stats: Stats | None = None) -> Starlette:
    b = behaviour or Behaviour()
    s = stats or Stats()

    async def models(_: Request) -> Response:
        card = {"id": MODEL, "object": "model", "created": 0, "owned_by": "kefu-stub", "max_model_len": 4096}
        return JSONResponse({"object": "list", "data": [card]})

    async def health(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def chat(request: Request) -> Response:
        started = time.perf_counter()
        body = await request.json()
        s.requests.append(body)
        s.served += 1
        tag = _tag(body)
        if b.mode == "refuse":
            return JSONResponse({"error": {"message": "overloaded", "type": "ServiceUnavailable"}}, 503)
        if b.mode == "error":
            return JSONResponse({"error": {"message": "engine dead", "type": "InternalServerError"}}, 500)
        words = _words(b)
        if not body.get("stream"):
            await asyncio.sleep(b.ttft_s + b.interval_s * (len(words) - 1))
            if tag:
                s.timings[tag] = time.perf_counter() - started
            return JSONResponse(
                {
                    "id": "stub",
                    "object": "chat.completion",
                    "created": 0,
                    "model": MODEL,
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": "".join(words)},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {
                        "prompt_tokens": 10,
                        "completion_tokens": len(words),
                        "total_tokens": 10 + len(words),
                    },
                }  # fmt: skip
            )
        mode, fail_after = b.mode, b.fail_after  # a request keeps the behaviour it arrived under

        async def events() -> AsyncIterator[bytes]:
            s.in_flight += 1
            s.max_in_flight = max(s.max_in_flight, s.in_flight)
            try:
                await asyncio.sleep(b.ttft_s)
                for i, word in enumerate(words):
                    if i and b.interval_s:
                        await asyncio.sleep(b.interval_s)
                    if i >= fail_after and mode == "die":
                        raise ConnectionAbortedError("stub: connection dropped mid-stream")
                    if i >= fail_after and mode == "exit":
                        os._exit(17)
                    if i >= fail_after and mode == "hang":
                        await asyncio.sleep(3600)
                    yield _chunk(word)
                yield _chunk("", "stop")
                yield b"data: [DONE]\n\n"
                if tag:
                    s.timings[tag] = time.perf_counter() - started
            finally:
                s.in_flight -= 1

        return StreamingResponse(events(), media_type="text/event-stream")

    async def set_behaviour(request: Request) -> Response:
        try:
            b.update(await request.json())
        except (ValueError, TypeError) as exc:
            return JSONResponse({"error": str(exc)}, 400)
        s.requests = deque(s.requests, maxlen=b.keep_requests)
        return JSONResponse(asdict(b))

    async def get_stats(_: Request) -> Response:
        return JSONResponse(
            {
                "served": s.served,
                "in_flight": s.in_flight,
                "max_in_flight": s.max_in_flight,
                "timings": s.timings,
            }
        )

    async def get_requests(_: Request) -> Response:
        return JSONResponse(list(s.requests))

    async def reset(_: Request) -> Response:
        s.served = s.max_in_flight = 0
        s.timings.clear()
        s.requests.clear()
        return JSONResponse({"ok": True})

    return Starlette(
        routes=[
            Route("/v1/models", models),
            Route("/health", health),
            Route("/v1/chat/completions", chat, methods=["POST"]),
            Route("/stub/behaviour", set_behaviour, methods=["POST"]),
            Route("/stub/stats", get_stats),
            Route("/stub/requests", get_requests),
            Route("/stub/reset", reset, methods=["POST"]),
        ]
    )


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--ttft", type=float, default=Behaviour.ttft_s)
    p.add_argument("--interval", type=float, default=Behaviour.interval_s)
    p.add_argument("--tokens", type=int, default=Behaviour.tokens)
    args = p.parse_args(argv)
    behaviour = Behaviour(ttft_s=args.ttft, interval_s=args.interval, tokens=args.tokens)
    config = uvicorn.Config(
        make_app(behaviour),
        host="127.0.0.1",  # loopback only, always
        port=args.port,
        log_level="warning",
        lifespan="off",
        backlog=4096,
        timeout_keep_alive=30,
    )
    server = uvicorn.Server(config)

    async def serve() -> None:
        task = asyncio.create_task(server.serve())
        while not server.started:
            if task.done():
                await task
                return
            await asyncio.sleep(0.02)
        print(f"READY {args.port}", flush=True)
        await task

    asyncio.run(serve())


if __name__ == "__main__":
    main()
