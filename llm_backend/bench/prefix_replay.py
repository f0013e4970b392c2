"""Prefix caching on a real vLLM server: replay multi-turn conversations built by ``build_rag_prompt``.

Conversations: E.SUN FAQ documents with several entries (zh-TW bank FAQ); each turn asks the next entry's
question, the passages are the top 4 of a lexical ranker over all 1,624 FAQ entries, the history is the
conversation so far with the model's own answers. Requests go one at a time; vLLM reports per request
``usage.prompt_tokens_details.cached_tokens`` and, on ``/metrics``, ``vllm:prefix_cache_queries_total`` and
``vllm:prefix_cache_hits_total``, both read around every request.

Layouts, replayed side by side on the same server (each under its own tenant line, so they share only
the bank-wide policy and never each other's passages):
- ``kefu``: our layout, passages carried between turns (``carried=previous.shown``);
- ``kefu-no-carry``: our layout, passages in this turn's retrieval order;
- ``context-last``: the common "stuff" layout — policy, history, then passages + question in the last
  message.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx2 as httpx

from llm_backend.bench.toy_kb import KbPassage, LexicalRanker, load_esun_faq
from llm_backend.config import PromptConfig
from llm_backend.prompt_text import passages_text, question_text, render_passage
from llm_backend.prompts import build_rag_prompt
from llm_backend.protocols import LLMClient
from llm_backend.types import BuiltPrompt, ChatMessage, Passage

LAYOUTS = ("kefu", "kefu-no-carry", "context-last")


def esun_conversations(
    data: Path, *, count: int = 50, seed: int = 7
) -> tuple[list[list[str]], LexicalRanker]:
    faq = load_esun_faq(data / "esun_aicup2024_faq")
    kb = [
        KbPassage(Passage(f"esun:{pid}#{i}", f"{q}\n{a}"[:700], q[:40]), pid, "zh")
        for pid, entries in faq.items()
        for i, (q, a) in enumerate(entries)
    ]
    multi = sorted((pid for pid, entries in faq.items() if len(entries) >= 3), key=int)
    rng = random.Random(seed)
    rng.shuffle(multi)
    convs = [[q for q, _ in faq[pid][:5]] for pid in multi[:count]]
    return convs, LexicalRanker(kb)


def metric(text: str, name: str) -> float:
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith((name + "{", name + " "))
    )


@dataclass
class TurnStat:
    layout: str
    turn: int
    prompt_tokens: int
    cached_tokens: int
    queries: float
    hits: float


@dataclass
class PrefixReport:
    turns: list[TurnStat] = field(default_factory=list)

    def rate(self, layout: str, *, first: bool) -> tuple[float, float, int]:
        rows = [t for t in self.turns if t.layout == layout and (t.turn == 1) == first]
        usage = sum(t.cached_tokens for t in rows) / max(1, sum(t.prompt_tokens for t in rows))
        metrics = sum(t.hits for t in rows) / max(1.0, sum(t.queries for t in rows))
        return usage, metrics, len(rows)

    def markdown(self) -> str:
        out = ["| layout | turns after the first | prompt tokens from cache (/metrics hits/queries) "
               "| same, from usage.cached_tokens | first turns (for reference) |", "|---|---|---|---|---|"]  # fmt: skip
        for layout in LAYOUTS:
            usage, metrics, n = self.rate(layout, first=False)
            usage1, metrics1, n1 = self.rate(layout, first=True)
            if n:
                out.append(f"| {layout} | {n} | **{metrics:.1%}** | {usage:.1%} | {metrics1:.1%} ({n1}) |")
        return "\n".join(out)


def _context_last(
    system: str, history: Sequence[ChatMessage], passages: Sequence[Passage], q: str
) -> list[ChatMessage]:
    body = passages_text([render_passage(i + 1, p) for i, p in enumerate(passages)])
    return [
        ChatMessage("system", system),
        *history,
        ChatMessage("user", body + "\n\n" + question_text(q, "zh")),
    ]


async def replay_prefix(
    client: LLMClient,
    root_url: str,
    conversations: Sequence[Sequence[str]],
    ranker: LexicalRanker,
    *,
    layouts: Sequence[str] = LAYOUTS,
    max_tokens: int = 24,
) -> PrefixReport:
    report = PrefixReport()
    cfg = PromptConfig()
    async with httpx.AsyncClient(base_url=root_url, timeout=30) as http:

        async def scrape() -> tuple[float, float]:
            text = (await http.get("/metrics")).text
            return metric(text, "vllm:prefix_cache_queries_total"), metric(
                text, "vllm:prefix_cache_hits_total"
            )

        for layout in layouts:
            tenant = f"本行代号：{layout}。"
            for conv in conversations:
                history: list[ChatMessage] = []
                previous: BuiltPrompt | None = None
                for turn, question in enumerate(conv, start=1):
                    passages = [p.passage for p in ranker.top(question, 4)]
                    built = build_rag_prompt(
                        question, passages, counter=client.token_counter, config=cfg,
                        context_tokens=client.context_tokens, answer_tokens=64, history=history,
                        carried=previous.shown if previous and layout == "kefu" else (),
                        tenant_instructions=tenant, lang="zh",
                    )  # fmt: skip
                    messages = list(built.messages)
                    if layout == "context-last":
                        messages = _context_last(messages[0].content, messages[2:-1], built.shown, question)
                    q0, h0 = await scrape()
                    out = await client.complete(messages, max_tokens=max_tokens)
                    q1, h1 = await scrape()
                    report.turns.append(
                        TurnStat(layout, turn, out.prompt_tokens, out.cached_tokens or 0, q1 - q0, h1 - h0)
                    )
                    history += [ChatMessage("user", question), ChatMessage("assistant", out.text)]
                    previous = built
    return report
