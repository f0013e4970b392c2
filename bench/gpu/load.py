"""GPU load run: the platform's traffic against a served MoE on vLLM; TTFT p50/p95, inter-token latency,
throughput and prefix-cache hit rate.

Run on a host with the vLLM server up (see docs/LLM.md for the serve commands, or ``serve_moe.sh``):

    PYTHONPATH=. python bench/gpu/load.py --base-url http://127.0.0.1:8000/v1 --model kefu-moe \
        --data ../shared/data --concurrency 32 --conversations 200

Traffic: multi-turn bank-FAQ conversations (E.SUN FAQ), each prompt built by ``build_rag_prompt`` exactly
as the chat turn builds it (passages carried between turns), ``concurrency`` conversations at a time,
every answer streamed. Conversations are cycled when more are asked for than the data holds, each copy
with its own tenant line so copies never share passages in the cache. Needs ``openai``, ``httpx2``,
``jsonschema``, ``numpy`` and ``pydantic`` (all in vLLM's own venv), and the repository on PYTHONPATH.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx2 as httpx
from openai import AsyncOpenAI

from llm_backend.config import PromptConfig
from llm_backend.evaluation.prefix_replay import esun_conversations, metric
from llm_backend.prompts import build_rag_prompt
from llm_backend.tokens import EstimatingCounter
from llm_backend.types import BuiltPrompt, ChatMessage


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def main(args: argparse.Namespace) -> dict[str, Any]:
    convs, ranker = esun_conversations(Path(args.data), count=10_000)
    sdk = AsyncOpenAI(base_url=args.base_url, api_key="EMPTY", max_retries=0, timeout=600)
    counter = EstimatingCounter()
    cfg = PromptConfig()
    ttft: list[float] = []
    itl: list[float] = []
    out_tokens = 0
    failures = 0
    gate = asyncio.Semaphore(args.concurrency)

    async def conversation(index: int) -> None:
        nonlocal out_tokens, failures
        questions = convs[index % len(convs)]
        history: list[ChatMessage] = []
        previous: BuiltPrompt | None = None
        async with gate:
            for question in questions:
                passages = [p.passage for p in ranker.top(question, 4)]
                built = build_rag_prompt(
                    question, passages, counter=counter, config=cfg, context_tokens=args.context,
                    answer_tokens=args.max_tokens, history=history, carried=previous.shown if previous else (),
                    tenant_instructions=f"本行代号：{index // len(convs)}", lang="zh",
                )  # fmt: skip
                start = time.perf_counter()
                stamps: list[float] = []
                text: list[str] = []
                try:
                    stream = await sdk.chat.completions.create(
                        model=args.model, messages=[{"role": m.role, "content": m.content} for m in built.messages],
                        max_tokens=args.max_tokens, temperature=0, stream=True,
                    )  # fmt: skip
                    async for chunk in stream:
                        if chunk.choices and chunk.choices[0].delta.content:
                            stamps.append(time.perf_counter())
                            text.append(chunk.choices[0].delta.content)
                except Exception as exc:  # report, keep the load going
                    failures += 1
                    print(f"request failed: {type(exc).__name__}: {exc}", file=sys.stderr)
                    return
                if stamps:
                    ttft.append(stamps[0] - start)
                    itl.extend(b - a for a, b in zip(stamps, stamps[1:], strict=False))
                    out_tokens += len(stamps)
                history += [ChatMessage("user", question), ChatMessage("assistant", "".join(text))]
                previous = built

    root = args.base_url.removesuffix("/v1")
    async with httpx.AsyncClient(base_url=root, timeout=30) as http:
        before = (await http.get("/metrics")).text
        t0 = time.perf_counter()
        await asyncio.gather(*(conversation(i) for i in range(args.conversations)))
        wall = time.perf_counter() - t0
        after = (await http.get("/metrics")).text
    queries = metric(after, "vllm:prefix_cache_queries_total") - metric(
        before, "vllm:prefix_cache_queries_total"
    )
    hits = metric(after, "vllm:prefix_cache_hits_total") - metric(before, "vllm:prefix_cache_hits_total")
    return {
        "model": args.model,
        "concurrency": args.concurrency,
        "conversations": args.conversations,
        "requests": len(ttft),
        "failures": failures,
        "ttft_p50_ms": 1000 * pct(ttft, 0.5),
        "ttft_p95_ms": 1000 * pct(ttft, 0.95),
        "itl_p50_ms": 1000 * pct(itl, 0.5),
        "itl_p95_ms": 1000 * pct(itl, 0.95),
        "itl_mean_ms": 1000 * (statistics.fmean(itl) if itl else float("nan")),
        "output_tokens_per_s": out_tokens / wall,
        "prefix_cache_hit_rate": hits / queries if queries else float("nan"),
        "wall_s": wall,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000/v1")
    parser.add_argument("--model", default="kefu-moe")
    parser.add_argument("--data", default="../shared/data", help="EVAL_DATA_DIR (needs esun_aicup2024_faq)")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--max-tokens", type=int, default=256)
    parser.add_argument("--context", type=int, default=16384, help="the served max_model_len")
    result = asyncio.run(main(parser.parse_args()))
    print(json.dumps(result, indent=2))
