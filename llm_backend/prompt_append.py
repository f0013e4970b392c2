"""The append-only RAG prompt layout (``PromptConfig.layout = "append"``), for prefix caching.

1. ``system``    the policy + tenant instructions (as in the block layout);
2. per earlier customer turn kept: ``user`` (the passages that turn introduced, numbered on from the
                 turns before it, then its question) and ``assistant`` (the answer as stored);
3. ``user``      the passages new on this turn (not shown by a kept turn), numbered on, then the question.

An earlier turn's message is rendered from its ``PromptTurn`` (the previous prompt's ``BuiltPrompt.turns``,
passed back as ``earlier``) exactly as it was sent, so the previous prompt and its answer are a prefix
of this one: a server's prefix cache serves everything but this turn's passages and question, whether
or not the turn adds passages (the block layout recomputes the history after its passage block when it
does). Passage numbers of the kept turns do not change, so an earlier answer's ``[n]`` stays true.

Which new passages a turn adds is the block layout's carry policy with the kept turns' passages as the
carried ones (``prompts.new_passages``): a follow-up adds the new passages that outrank the best one
already shown (and the extras that ride along), a change of topic adds them all. This turn's passages are
capped at ``max_passages`` and ``passages_tokens``; the kept turns (their passages, questions and
answers) at ``history_tokens + passages_tokens`` and what the window leaves. When they overflow, this
turn's optional new passages (those the policy shows only where they fit) go first, then the oldest
whole turns, ``history_trim_step`` messages at a time, so the kept prefix then holds for a
few turns (the kept turns are numbered from [1] again: the prefix is recomputed anyway); a dropped
turn's passage retrieved again is new again. Then, as in the block layout, this turn's least useful
passages down to the best one, the question, that passage. This turn's best passage is always shown:
by a kept turn or as new.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from llm_backend.config import PromptConfig
from llm_backend.errors import LLMContextTooLong
from llm_backend.prompt_text import (
    detect_language,
    passages_text,
    question_text,
    render_passage,
    system_text,
)
from llm_backend.prompts import (
    MIN_PASSAGE_TOKENS,
    MIN_QUESTION_TOKENS,
    Slot,
    drop_least_useful,
    new_passages,
    truncate_to_tokens,
)
from llm_backend.tokens import MESSAGE_OVERHEAD, REPLY_OVERHEAD, TokenCounter
from llm_backend.types import BuiltPrompt, ChatMessage, Lang, Passage, PromptTurn, PromptUsage


@dataclass(frozen=True, slots=True)
class _Entry:
    """One history message: a customer turn (with the passages it introduced) or an answer."""

    turn: PromptTurn | None
    answer: str = ""


def render_turn(turn: PromptTurn, first: int, config: PromptConfig, counter: TokenCounter) -> str:
    """A customer turn's message: the passages it introduced, numbered from ``first``, then its question.
    The same arguments give the same bytes (the prefix cache relies on it)."""
    question = question_text(turn.question, turn.lang)
    if not turn.passages:
        return question
    rendered = [
        truncate_to_tokens(render_passage(first + i, p), config.passage_tokens, counter)
        for i, p in enumerate(turn.passages)
    ]
    return passages_text(rendered) + "\n\n" + question


def _entries(
    history: Sequence[ChatMessage], earlier: Sequence[PromptTurn], config: PromptConfig, counter: TokenCounter
) -> tuple[list[_Entry], int]:
    """The history as entries, each customer message matched (in order, by its text) to the earlier
    prompt's turn, and the first entry that prompt kept (the ones before it were trimmed: they stay out)."""
    entries: list[_Entry] = []
    pending = list(earlier)
    floor: int | None = None
    for m in history:
        text = m.content.strip()
        if m.role == "assistant" and text:
            entries.append(_Entry(None, text))
        elif m.role == "user" and text:
            if pending and pending[0].asked == text:
                turn = pending.pop(0)
                floor = len(entries) if floor is None else floor
            else:  # asked outside a prompt (or before the layout): no passages
                lang = detect_language(text)
                turn = PromptTurn(text, truncate_to_tokens(text, config.question_tokens, counter), lang)
            entries.append(_Entry(turn))
    return entries, floor or 0


def build_append_prompt(
    question: str,
    passages: Sequence[Passage],
    *,
    counter: TokenCounter,
    config: PromptConfig,
    context_tokens: int,
    answer_tokens: int,
    history: Sequence[ChatMessage] = (),
    earlier: Sequence[PromptTurn] = (),
    tenant_instructions: str = "",
    lang: Lang | None = None,
) -> BuiltPrompt:
    """Build one turn's messages in the append layout (module docstring); ``earlier``: the previous
    prompt's ``BuiltPrompt.turns``. Pure: the same inputs give the same bytes."""
    lang = lang or detect_language(question)
    available = context_tokens - answer_tokens - REPLY_OVERHEAD
    tenant = truncate_to_tokens(tenant_instructions.strip(), config.tenant_instructions_tokens, counter)
    system = system_text(tenant)
    system_cost = counter.count(system) + MESSAGE_OVERHEAD
    asked = question.strip()
    q_text = truncate_to_tokens(asked, config.question_tokens, counter)
    entries, floor = _entries(history, earlier, config, counter)

    def kept(start: int) -> tuple[list[ChatMessage], list[PromptTurn], int]:
        """The kept history from ``start`` rendered, its turns, and the next passage number."""
        messages: list[ChatMessage] = []
        turns: list[PromptTurn] = []
        number = 1
        for e in entries[start:]:
            if e.turn is None:
                messages.append(ChatMessage("assistant", e.answer))
                continue
            messages.append(ChatMessage("user", render_turn(e.turn, number, config, counter)))
            turns.append(e.turn)
            number += len(e.turn.passages)
        return messages, turns, number

    def slots_for(turns: Sequence[PromptTurn]) -> list[Slot]:
        shown = [p for t in turns for p in t.passages]
        new, guaranteed = new_passages(passages, shown, config)
        rank = {p.ref: i for i, p in enumerate(passages)}
        slots = [Slot(p, rank[p.ref], optional=i >= guaranteed) for i, p in enumerate(new)]
        while len(slots) > config.max_passages:
            drop_least_useful(slots)
        return slots

    def last_message(slots: Sequence[Slot], number: int, text: str) -> str:
        return render_turn(
            PromptTurn(asked, text, lang, tuple(s.passage for s in slots)), number, config, counter
        )

    def cost(text: str) -> int:
        return counter.count(text) + MESSAGE_OVERHEAD

    def fit_passages(slots: list[Slot], number: int, budget: int) -> None:
        question_only = cost(question_text(q_text, lang))
        while len(slots) > 1 and cost(last_message(slots, number, q_text)) - question_only > budget:
            drop_least_useful(slots)

    # 1. the kept turns: within their budget beside this turn; this turn's optional new passages make
    # room first (a trim recomputes every turn kept), then the oldest whole turns go, in steps
    start = floor
    while True:
        messages, turns, number = kept(start)
        slots = slots_for(turns)
        fit_passages(slots, number, config.passages_tokens)
        while True:
            room = available - system_cost - cost(last_message(slots, number, q_text))
            budget = min(config.history_tokens + config.passages_tokens, max(room, 0))
            fits = sum(cost(m.content) for m in messages) <= budget
            if fits or not any(s.optional for s in slots):
                break
            drop_least_useful(slots)  # the last optional one
        if fits or start >= len(entries):
            break
        start = _next_start(entries, start, config.history_trim_step)

    def total() -> int:
        body = sum(cost(m.content) for m in messages)
        return system_cost + body + cost(last_message(slots, number, q_text))

    must_show = bool(slots) and passages[0].ref not in {p.ref for t in turns for p in t.passages}
    while total() > available and len(slots) > int(must_show):  # 2. this turn's least useful passages
        drop_least_useful(slots)
    truncated_question = q_text != asked
    if total() > available:  # 3. the question, down to a short head
        limit = counter.count(q_text) - (total() - available)
        q_text = truncate_to_tokens(q_text, max(limit, MIN_QUESTION_TOKENS), counter)
        truncated_question = True
    if total() > available and slots:  # 4. the one passage left, cut to what remains (or dropped)
        best = slots[0].passage
        limit = counter.count(best.text) - (total() - available)
        text = truncate_to_tokens(best.text, limit, counter) if limit >= MIN_PASSAGE_TOKENS else ""
        slots = [Slot(Passage(best.ref, text, best.title), 0)] if text else []
    if total() > available:
        raise LLMContextTooLong(
            f"the prompt needs {total()} tokens but only {available} are free in a {context_tokens}-token "
            f"window with {answer_tokens} reserved for the answer"
        )

    this = PromptTurn(asked, q_text, lang, tuple(s.passage for s in slots))
    last = render_turn(this, number, config, counter)
    history_cost = sum(cost(m.content) for m in messages)
    question_cost = cost(question_text(q_text, lang))
    shown = tuple(p for t in (*turns, this) for p in t.passages)
    usage = PromptUsage(
        system=system_cost,
        passages=cost(last) - question_cost,
        history=history_cost,
        question=question_cost,
        total=system_cost + history_cost + cost(last) + REPLY_OVERHEAD,
        dropped_history_messages=len(entries) - len(messages),
        dropped_passages=len({p.ref for p in passages} - {p.ref for p in shown}),
        truncated_question=truncated_question,
    )
    return BuiltPrompt(
        messages=(ChatMessage("system", system), *messages, ChatMessage("user", last)),
        citations=tuple(p.ref for p in shown),
        shown=shown,
        lang=lang,
        usage=usage,
        turns=(*turns, this),
    )


def _next_start(entries: Sequence[_Entry], start: int, step: int) -> int:
    """The first customer message at least ``step`` entries after ``start`` (or the end)."""
    nxt = start + step
    while nxt < len(entries) and entries[nxt].turn is None:
        nxt += 1
    return min(nxt, len(entries))
