"""openai SDK vs LangChain ``ChatOpenAI``, both streaming from the same vLLM server, alternated.

Per request: wall time to first token, wall time to the end, and the client process's CPU time (the
overhead each library adds, the part that does not depend on the server). Plus the import time of each
library in a fresh interpreter.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from llm_backend.types import ChatMessage


@dataclass(frozen=True, slots=True)
class CallTiming:
    ttft_s: float
    total_s: float
    cpu_s: float
    chunks: int


def import_seconds(statement: str, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        out = subprocess.run(
            [sys.executable, "-c", f"import time; t=time.perf_counter(); {statement}; print(time.perf_counter()-t)"],
            capture_output=True, text=True, check=True, timeout=300,
        )  # fmt: skip
        times.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(times)


async def _timed(run: Callable[[Callable[[], None]], Awaitable[int]]) -> CallTiming:
    first: list[float] = []
    cpu0, t0 = time.process_time(), time.perf_counter()

    def mark() -> None:
        if not first:
            first.append(time.perf_counter())

    chunks = await run(mark)
    t1, cpu1 = time.perf_counter(), time.process_time()
    return CallTiming((first[0] if first else t1) - t0, t1 - t0, cpu1 - cpu0, chunks)


async def compare_clients(
    base_url: str, model: str, messages: Sequence[ChatMessage], *, rounds: int = 20, max_tokens: int = 64
) -> dict[str, list[CallTiming]]:
    from langchain_openai import ChatOpenAI
    from openai import AsyncOpenAI, AsyncStream

    payload: list[Any] = [{"role": m.role, "content": m.content} for m in messages]
    sdk = AsyncOpenAI(base_url=base_url, api_key="EMPTY", max_retries=0)
    lc = ChatOpenAI(base_url=base_url, api_key="EMPTY", model=model, max_tokens=max_tokens, temperature=0,
                    max_retries=0, streaming=True)  # fmt: skip
    lc_messages = [(m.role, m.content) for m in messages]

    async def run_sdk(mark: Callable[[], None]) -> int:
        n = 0
        stream = await sdk.chat.completions.create(
            model=model,
            messages=payload,
            max_tokens=max_tokens,
            temperature=0,
            stream=True,
        )
        assert isinstance(stream, AsyncStream)
        async for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                mark()
                n += 1
        return n

    async def run_lc(mark: Callable[[], None]) -> int:
        n = 0
        async for chunk in lc.astream(lc_messages):
            if chunk.content:
                mark()
                n += 1
        return n

    results: dict[str, list[CallTiming]] = {"openai SDK": [], "LangChain ChatOpenAI": []}
    await _timed(run_sdk)  # warm both connections before measuring
    await _timed(run_lc)
    for i in range(rounds):
        order = [("openai SDK", run_sdk), ("LangChain ChatOpenAI", run_lc)]
        for name, run in order if i % 2 == 0 else order[::-1]:
            results[name].append(await _timed(run))
    await sdk.close()
    return results


def markdown(results: dict[str, list[CallTiming]], imports: dict[str, float]) -> str:
    rows = ["| client | requests | TTFT ms (median) | total ms (median) | client CPU ms per request (median) "
            "| chunks | import s |", "|---|---|---|---|---|---|---|"]  # fmt: skip
    for name, runs in results.items():
        rows.append(
            f"| {name} | {len(runs)} | {statistics.median(r.ttft_s for r in runs) * 1000:.1f} | "
            f"{statistics.median(r.total_s for r in runs) * 1000:.1f} | "
            f"{statistics.median(r.cpu_s for r in runs) * 1000:.1f} | {statistics.median(r.chunks for r in runs):.0f} | "
            f"{imports.get(name, float('nan')):.2f} |"
        )
    return "\n".join(rows)
