"""The RAG prompt builder: a pure function from (question, passages, history) to chat messages.

Two layouts (``PromptConfig.layout``): "append" is built by ``prompt_append`` (each customer turn with the
passages new on it, append-only); "block", the default, is the one below.

Layout, for prefix caching (vLLM ``--enable-prefix-caching``, llama.cpp's KV reuse):

1. ``system``  the policy + tenant instructions — byte-identical on every turn of every conversation;
2. ``user``    the numbered passages, quoted as data. Passages shown on the previous turn (``carried``)
               keep their numbers and come first; new passages are appended after them — on a
               follow-up that retrieves a carried passage again, only new ones ranked above it, at most
               ``follow_up_new_passages`` (the block then rarely changes, and the cache holds), and
               when one is added, up to ``follow_up_extra_passages`` lower-ranked new ones ride along
               where they fit (a later follow-up that needs one finds it shown); on a
               change of topic, the best ``topic_change_new_passages`` may evict stale carried passages
               (the last ones first, so the block's head stays), the other new ones only fill free room;
3. history     earlier customer messages (rendered exactly as when they were the question) and answers;
4. ``user``    the question, with the reply language.

Budgets (``PromptConfig``) cap each part; when the whole prompt plus the answer reserve exceeds the
context window, history is trimmed first (oldest first, in steps of ``history_trim_step`` messages so the
kept prefix stays stable for several turns), then the least useful passages down to the best one, then
the question is cut to a short head, then that last passage is shortened. Only when even the policy and
a short question do not fit is ``LLMContextTooLong`` raised.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from llm_backend.config import PromptConfig
from llm_backend.errors import LLMContextTooLong
from llm_backend.prompt_text import (
    PLACEHOLDER,
    detect_language,
    evidence_text,
    passages_text,
    question_text,
    render_passage,
    system_text,
)
from llm_backend.tokens import MESSAGE_OVERHEAD, REPLY_OVERHEAD, TokenCounter
from llm_backend.types import BuiltPrompt, ChatMessage, Lang, Passage, PromptTurn, PromptUsage

MIN_QUESTION_TOKENS = 16
MIN_PASSAGE_TOKENS = 32


@dataclass(frozen=True, slots=True)
class Slot:
    passage: Passage
    retrieved_rank: int | None  # rank in this turn's retrieval; None: carried from an earlier turn only
    optional: bool = False  # a new passage shown only if there is room, without evicting carried ones


def truncate_to_tokens(text: str, limit: int, counter: TokenCounter) -> str:
    """The longest prefix of ``text`` within ``limit`` tokens, never cutting a placeholder in half."""
    if counter.count(text) <= limit:
        return text
    lo, hi = 0, len(text)
    while lo < hi:  # largest prefix length whose count fits
        mid = (lo + hi + 1) // 2
        if counter.count(text[:mid] + "…") <= limit:
            lo = mid
        else:
            hi = mid - 1
    cut = lo
    for match in PLACEHOLDER.finditer(text):
        if match.start() < cut < match.end():
            cut = match.start()
            break
    return text[:cut].rstrip() + "…" if cut > 0 else ""


def new_passages(
    passages: Sequence[Passage], carried: Sequence[Passage], config: PromptConfig
) -> tuple[list[Passage], int]:
    """The new (not carried) passages to append, best first, and how many of them may evict carried ones.

    Follow-up (some carried passage retrieved again): only new passages that outrank it, at most
    ``follow_up_new_passages``, all of them guaranteed, and if there is one, up to
    ``follow_up_extra_passages`` lower-ranked new ones where they fit. Change of topic (nothing carried retrieved again):
    every new passage, the best ``topic_change_new_passages`` guaranteed, the others only where they fit
    beside the carried ones. First turn: every passage.
    """
    shown = {p.ref for p in carried}
    new = [p for p in passages if p.ref not in shown]
    if not carried:
        return new, len(new)
    best_carried = next((i for i, p in enumerate(passages) if p.ref in shown), None)
    if best_carried is None:
        return new, config.topic_change_new_passages
    outranking = [p for p in passages[:best_carried] if p.ref not in shown][: config.follow_up_new_passages]
    if not outranking or config.follow_up_extra_passages == 0:
        return outranking, len(outranking)
    # The block changes anyway: the other new passages ride along (room permitting), so a later turn
    # that needs one of them finds it shown and the block holds then.
    extra = [p for p in new if p not in outranking][: config.follow_up_extra_passages]
    return [p for p in new if p in outranking or p in extra], len(outranking)  # rank order: outranking first


def _order_slots(passages: Sequence[Passage], carried: Sequence[Passage], config: PromptConfig) -> list[Slot]:
    rank = {p.ref: i for i, p in enumerate(passages)}
    current = {p.ref: p for p in passages}
    new, guaranteed = new_passages(passages, carried, config)
    slots: list[Slot] = []
    seen: set[str] = set()
    for p in carried:
        if p.ref not in seen:
            slots.append(Slot(current.get(p.ref, p), rank.get(p.ref)))
            seen.add(p.ref)
    for i, p in enumerate(new):
        if p.ref not in seen:
            slots.append(Slot(p, rank[p.ref], optional=i >= guaranteed))
            seen.add(p.ref)
    while len(slots) > config.max_passages:
        drop_least_useful(slots)
    return slots


def drop_least_useful(slots: list[Slot]) -> None:
    """Drop the last optional new passage (it was appended last: the prefix before it holds); else the
    last carried passage not retrieved now; else the lowest-ranked retrieved one."""
    for kind in (lambda s: s.optional, lambda s: s.retrieved_rank is None):
        found = [i for i, s in enumerate(slots) if kind(s)]
        if found:
            del slots[found[-1]]
            return
    worst = max(range(len(slots)), key=lambda i: slots[i].retrieved_rank or 0)
    del slots[worst]


def _history_start(costs: Sequence[int], roles: Sequence[str], budget: int, step: int, floor: int) -> int:
    """First kept history index: a multiple of ``step`` (at least ``floor``), on a customer message."""
    start = floor
    while start < len(costs):
        begin = start
        while begin < len(costs) and roles[begin] != "user":
            begin += 1
        if sum(costs[begin:]) <= budget:
            return begin
        start += step
    return len(costs)


def build_rag_prompt(
    question: str,
    passages: Sequence[Passage],
    *,
    counter: TokenCounter,
    config: PromptConfig,
    context_tokens: int,
    answer_tokens: int,
    history: Sequence[ChatMessage] = (),
    carried: Sequence[Passage] = (),
    earlier: Sequence[PromptTurn] = (),
    tenant_instructions: str = "",
    lang: Lang | None = None,
) -> BuiltPrompt:
    """Build the chat messages for one turn (see the module docstring for layout and trimming).

    ``passages`` are this turn's retrieval, best first; ``history`` is the conversation so far, oldest
    first, with the customer's messages as they were asked (masked); ``carried`` is the previous turn's
    ``BuiltPrompt.shown`` (block layout), ``earlier`` its ``BuiltPrompt.turns`` (``config.layout ==
    "append"``: ``prompt_append.build_append_prompt``, which ignores ``carried``). Pure: the same inputs
    give the same bytes.
    """
    if config.layout == "append":
        # imported here: prompt_append builds on this module's carry policy and trimming helpers
        from llm_backend.prompt_append import build_append_prompt

        return build_append_prompt(
            question, passages, counter=counter, config=config, context_tokens=context_tokens,
            answer_tokens=answer_tokens, history=history, earlier=earlier,
            tenant_instructions=tenant_instructions, lang=lang,
        )  # fmt: skip
    lang = lang or detect_language(question)
    available = context_tokens - answer_tokens - REPLY_OVERHEAD

    tenant = truncate_to_tokens(tenant_instructions.strip(), config.tenant_instructions_tokens, counter)
    system = system_text(tenant)
    system_cost = counter.count(system) + MESSAGE_OVERHEAD

    q_text = truncate_to_tokens(question.strip(), config.question_tokens, counter)
    truncated_question = q_text != question.strip()

    slots = _order_slots(passages, carried, config)
    rendered = [
        truncate_to_tokens(render_passage(i + 1, s.passage), config.passage_tokens, counter)
        for i, s in enumerate(slots)
    ]

    def passages_cost(items: Sequence[str]) -> int:
        return counter.count(passages_text(items)) + MESSAGE_OVERHEAD

    def rerender() -> list[str]:
        return [
            truncate_to_tokens(render_passage(i + 1, s.passage), config.passage_tokens, counter)
            for i, s in enumerate(slots)
        ]

    while slots and passages_cost(rendered) > config.passages_tokens:
        drop_least_useful(slots)
        rendered = rerender()

    shown_history = [
        ChatMessage(m.role, question_text(m.content, detect_language(m.content)))
        if m.role == "user"
        else ChatMessage("assistant", m.content.strip())
        for m in history
        if m.role in ("user", "assistant") and m.content.strip()
    ]
    costs = [counter.count(m.content) + MESSAGE_OVERHEAD for m in shown_history]
    roles = [m.role for m in shown_history]

    def question_cost(text: str) -> int:
        return counter.count(question_text(text, lang)) + MESSAGE_OVERHEAD

    # 1. history: within its own budget and within what the other parts leave free, oldest dropped first
    room = available - system_cost - passages_cost(rendered) - question_cost(q_text)
    budget = min(config.history_tokens, max(room, 0))
    start = _history_start(costs, roles, budget, config.history_trim_step, 0)

    def total() -> int:
        return system_cost + passages_cost(rendered) + sum(costs[start:]) + question_cost(q_text)

    while total() > available and len(slots) > 1:  # 2. the least useful passages (history is gone)
        drop_least_useful(slots)
        rendered = rerender()
    if total() > available:  # 3. the question, down to a short head
        room = available - system_cost - passages_cost(rendered) - question_cost("")
        q_text = truncate_to_tokens(q_text, max(room, MIN_QUESTION_TOKENS), counter)
        truncated_question = True
    if total() > available and rendered:  # 4. the one passage left, cut to what remains
        room = available - system_cost - passages_cost([]) - question_cost(q_text)
        cut = truncate_to_tokens(rendered[0], room, counter) if room >= MIN_PASSAGE_TOKENS else ""
        rendered = [cut] if cut else []
        if not cut:
            slots.clear()
    if total() > available:
        raise LLMContextTooLong(
            f"the prompt needs {total()} tokens but only {available} are free in a {context_tokens}-token "
            f"window with {answer_tokens} reserved for the answer"
        )

    kept_history = shown_history[start:]
    messages = (
        ChatMessage("system", system),
        ChatMessage("user", passages_text(rendered)),
        *kept_history,
        ChatMessage("user", question_text(q_text, lang)),
    )
    usage = PromptUsage(
        system=system_cost,
        passages=passages_cost(rendered),
        history=sum(costs[start:]),
        question=question_cost(q_text),
        total=total() + REPLY_OVERHEAD,
        dropped_history_messages=len(shown_history) - len(kept_history),
        dropped_passages=len({p.ref for p in (*carried, *passages)}) - len(slots),
        truncated_question=truncated_question,
    )
    return BuiltPrompt(
        messages=messages,
        citations=tuple(s.passage.ref for s in slots),
        shown=tuple(s.passage for s in slots),
        lang=lang,
        usage=usage,
    )


def with_evidence(
    built: BuiltPrompt, evidence: str, *, counter: TokenCounter, context_tokens: int, answer_tokens: int
) -> BuiltPrompt:
    """``built`` with the composer's evidence after the question (in the last message, so the cached
    prefix — system, passages, history — is unchanged); ``built`` itself when it is empty or does not fit
    the window beside the answer."""
    if not evidence.strip():
        return built
    block = "\n\n" + evidence_text(evidence)
    extra = counter.count(block)
    if built.usage.total + extra + answer_tokens > context_tokens:
        return built
    last = built.messages[-1]
    messages = (*built.messages[:-1], ChatMessage(last.role, last.content + block))
    usage = replace(built.usage, question=built.usage.question + extra, total=built.usage.total + extra)
    return replace(built, messages=messages, usage=usage)
