"""The generate and check-output stages: a grounded, streamed answer that never shows PII it should not.

The model gets the masked question, masked history and the retrieved passages (numbered, for citations).
Every delta goes through the privacy layer's stream guard before the customer sees it; the guard's final
check gives the masked text (stored) and the restored text (shown). When the model fails before any text
was shown, the answer degrades per ``LLMConfig.fallback`` (a quoted passage with its citation, or a
handoff); when it fails mid-answer, what was shown stays and an interruption notice follows (the turn
then hands off: ``reason="llm_interrupted"``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field, replace

from app.answering.attribution import (
    attribute,
    is_echo,
    strip_marks,
    terms,
    unsupported_figures,
    unsupported_product_lines,
)
from app.chat.timing import StageClock
from app.chat.types import GenerationReason, TokenChunk
from app.runtime.metrics import Metrics
from llm_backend.composer import ClauseComposer, Composer, Composition, contradicting_figures
from llm_backend.config import FallbackMode, LLMConfig
from llm_backend.errors import LLMCircuitOpen, LLMError, LLMTimeout
from llm_backend.fallback import handoff_answer, outage_lead
from llm_backend.leak import instruction_leak
from llm_backend.prompt_text import cited_numbers, is_no_answer
from llm_backend.prompts import build_rag_prompt, with_evidence
from llm_backend.protocols import LLMClient
from llm_backend.tokens import TokenCounter
from llm_backend.types import BuiltPrompt, ChatMessage, Lang, Passage, PromptTurn
from privacy.protocols import PiiMasker
from privacy.types import VaultState

logger = logging.getLogger(__name__)

_INTERRUPTED = {  # the turn then hands the conversation to a person (reason ``llm_interrupted``)
    "zh": "\n（回答中断，正在为您转接人工客服，请稍候。）",
    "en": "\n(The answer was interrupted. We are connecting you with a human agent, please hold on.)",
}


@dataclass(frozen=True, slots=True)
class Generated:
    masked: str  # stored and shown to agents
    restored: str  # shown to the customer
    # (n, ref) for each [n] the text cites, in order of first mention
    cited: list[tuple[int, str]] = field(default_factory=list)
    # refs[n - 1] is the chunk id of passage [n] as the model saw it (for caching the answer with them)
    refs: tuple[str, ...] = ()
    # the append layout's customer turns as the prompt kept them (``BuiltPrompt.turns``), stored with
    # ``refs`` so the next turn renders them again byte for byte (empty in the block layout)
    turns: tuple[PromptTurn, ...] = ()
    model: str | None = None
    # llm_fallback (model down) | llm_slow (model too slow: the composed answer, no outage lead) |
    # llm_unsupported | llm_contradiction | llm_instruction_leak | llm_interrupted | llm_unavailable
    reason: GenerationReason | None = None
    no_answer: bool = False
    handoff: bool = False
    # PII in the model's output that was not this conversation's (masked before anyone saw it), by type
    leaked: dict[str, int] = field(default_factory=dict)


def compose_for(
    composer: Composer,
    built: BuiltPrompt,
    passages: Sequence[Passage],
    question: str,
    *,
    urgent: bool = False,
) -> Composition:
    """The composer's answer over the passages as the prompt numbers them (``built.shown``), this turn's
    retrieval rank kept as a prior (carried passages come first in the prompt but rank after)."""
    rank = {p.ref: i for i, p in enumerate(passages)}
    ranks = [rank.get(p.ref, len(passages)) for p in built.shown]
    return composer.compose(question, built.shown, lang=built.lang, ranks=ranks, urgent=urgent)


def is_slow(error: LLMError) -> bool:
    """A model that missed a deadline (or whose breaker opened on slow answers) is busy, not down."""
    return isinstance(error, LLMTimeout) or (isinstance(error, LLMCircuitOpen) and error.slow)


class AnswerGenerator:
    def __init__(
        self,
        *,
        llm: LLMClient,
        masker: PiiMasker,
        counter: TokenCounter,
        config: LLMConfig,
        metrics: Metrics,
        composer: Composer | None = None,
    ) -> None:
        self._llm = llm
        self._masker = masker
        self._counter = counter
        self._config = config
        self._metrics = metrics
        self._composer = composer or ClauseComposer(config.composer)

    async def stream(
        self,
        *,
        question: str,
        passages: Sequence[Passage],
        history: Sequence[ChatMessage],
        lang: Lang | None,
        vault: VaultState,
        clock: StageClock,
        carried: Sequence[Passage] = (),
        earlier: Sequence[PromptTurn] = (),
        standalone: str = "",
        urgent: bool = False,
    ) -> AsyncIterator[TokenChunk | Generated]:
        """Yields ``TokenChunk``s as safe text becomes available, then exactly one ``Generated``.

        ``carried``: the passages the previous answer's prompt showed (``Generated.refs``), in order;
        ``earlier``: its customer turns (``Generated.turns``; the append layout renders them again).
        ``standalone``: the question with a follow-up's ellipsis resolved (what the composer reads; the
        model gets ``question`` and the history). ``urgent``: an urgent topic's answer before the handoff
        (the composer looks for what to do now and whom to call)."""
        cfg = self._config
        started = time.perf_counter()
        guard_ms = 0.0
        began = False  # the model produced text (shown, or held back by the guard)
        failure: LLMError | None = None
        refs: tuple[str, ...] = ()
        turns: tuple[PromptTurn, ...] = ()
        shown_texts: list[str] = []
        system = ""
        composition: Composition | None = None
        # the KB text the answer is built from: its branch and place names are the bank's, not leaks
        kb_text = [p.text for p in (*passages, *carried)]
        guard = self._masker.stream_guard(vault, lang, allowed_text=kb_text)
        try:
            built = build_rag_prompt(
                question,
                passages,
                counter=self._counter,
                config=cfg.prompt,
                context_tokens=self._llm.context_tokens,
                answer_tokens=cfg.max_tokens,
                history=history,
                carried=carried,
                earlier=earlier,
                tenant_instructions=cfg.tenant_instructions,
                lang=lang,
            )
            # the composer's evidence goes after the question: the composer backend answers with it,
            # a model phrases its answer from it (and is checked against it in ``settle_answer``)
            composition = compose_for(self._composer, built, passages, standalone or question, urgent=urgent)
            built = with_evidence(
                built,
                composition.text,
                counter=self._counter,
                context_tokens=self._llm.context_tokens,
                answer_tokens=cfg.max_tokens,
            )
            refs, turns, lang = built.citations, built.turns, built.lang
            system = built.messages[0].content
            shown_texts = [p.text for p in built.shown]
            deltas = self._llm.stream(built.messages, max_tokens=cfg.max_tokens, temperature=cfg.temperature)
            try:
                async for delta in deltas:
                    if not began:
                        began = True
                        clock.mark("first_token")
                    g0 = time.perf_counter()
                    # At a sentence end the guard runs the output check (spaCy NER for English): off the
                    # event loop, one delta at a time, so the order of the text is kept. Most deltas only
                    # join the pending text (no check runs): those skip the hop to a thread.
                    if guard.needs_check(delta):
                        safe = await asyncio.to_thread(guard.feed, delta)
                    else:
                        safe = guard.feed(delta)
                    guard_ms += (time.perf_counter() - g0) * 1000.0
                    if safe:
                        yield TokenChunk(safe)
            finally:
                closer = getattr(deltas, "aclose", None)
                if closer is not None:
                    await closer()
        except LLMError as exc:
            failure = exc
            self._metrics.llm_failures.labels(code=exc.code).inc()
            logger.warning("LLM failed (%s) after %s", exc.code, "output began" if began else "no output")

        g0 = time.perf_counter()
        rest, check = await asyncio.to_thread(guard.finish)
        guard_ms += (time.perf_counter() - g0) * 1000.0
        if check.leaked:
            logger.warning("model output carried PII not of this conversation: %s", dict(check.leaked))
        if rest:
            yield TokenChunk(rest)
        clock.add("generate", (time.perf_counter() - started) * 1000.0 - guard_ms)
        clock.add("check_output", guard_ms)

        ans_lang: Lang = lang or "en"
        if failure is None:
            settled = settle_answer(
                check.masked,
                check.restored,
                question=question,
                passages=passages,
                refs=refs,
                shown_texts=shown_texts,
                system=system,
                lang=ans_lang,
                fallback=cfg.fallback,
                model=self._llm.model_name,
                leaked=dict(check.leaked),
                composition=composition,
            )
            if settled.withheld == "llm_instruction_leak":
                # Prompt injection that worked (the model recites its rules): the final event replaces
                # the streamed tokens with the quoted passage, and only that is stored.
                logger.warning("model answer repeats its instructions; quoting the top passage")
            elif settled.withheld in ("llm_unsupported", "llm_contradiction"):
                # An answer that repeats the question, that no passage supports or that states another
                # figure than the evidence is not shown: the final event carries the composed answer
                # instead (it replaces the tokens).
                logger.warning("model answer withheld (%s); composing from the passages", settled.withheld)
            if settled.marks:  # the model used the passages but did not mark it: cite them at the end
                yield TokenChunk(settled.marks)
            answered = settled.generated
            yield replace(answered, turns=turns) if answered.refs and turns else answered
        elif began:
            notice = _INTERRUPTED[ans_lang]
            yield TokenChunk(notice)
            cited = [(n, refs[n - 1]) for n in cited_numbers(check.masked, len(refs))]
            yield Generated(
                masked=check.masked + notice,
                restored=check.restored + notice,
                cited=cited,
                model=self._llm.model_name,
                reason="llm_interrupted",
                leaked=dict(check.leaked),
            )
        else:
            # slow is not down: the composed answer, with no outage lead (nor a handoff)
            slow = failure is not None and is_slow(failure)
            fallback = fallback_answer(
                question=standalone or question,
                passages=passages,
                lang=ans_lang,
                mode="extractive" if slow else cfg.fallback,
                reason="llm_slow" if slow else "llm_fallback",
                composition=composition,
                composer=self._composer,
            )
            yield TokenChunk(fallback.restored)
            yield fallback


@dataclass(frozen=True, slots=True)
class Settled:
    generated: Generated  # the final event of the turn's generation
    marks: str = ""  # citation marks to stream after the model's tokens (already in ``generated``)
    # llm_instruction_leak | llm_unsupported | llm_contradiction: the answer was not shown
    withheld: GenerationReason | None = None


def settle_answer(
    masked: str,
    restored: str,
    *,
    question: str,
    passages: Sequence[Passage],
    refs: Sequence[str],
    shown_texts: Sequence[str],
    system: str,
    lang: Lang,
    fallback: FallbackMode,
    model: str | None,
    leaked: dict[str, int] | None = None,
    composition: Composition | None = None,
) -> Settled:
    """What the turn shows for a complete model answer.

    ``masked``/``restored``: the answer after the output check; ``refs``/``shown_texts``: the chunk ids
    and texts of the passages as the prompt numbered them; ``system``: the prompt's system message.
    An answer that recites the instructions (``llm_instruction_leak``), repeats the question or that no
    passage supports (``llm_unsupported``), or that states a figure of the asked attribute (a limit,
    fee, rate, time) that the composer's evidence (``composition``) does not give (``llm_contradiction``)
    is replaced by the composed answer (or a handoff, per ``fallback``); an answer that used the passages
    without marking them gets the marks (``Settled.marks``). Pure: ``kefu eval llm-answers`` grades the
    served answer with it."""

    def withhold(reason: GenerationReason) -> Settled:
        quoted = fallback_answer(
            question=question, passages=passages, lang=lang, mode=fallback, reason=reason,
            composition=composition,
        )  # fmt: skip
        return Settled(quoted, withheld=reason)

    if instruction_leak(masked, system):
        return withhold("llm_instruction_leak")
    numbers = cited_numbers(masked, len(refs))
    no_answer = is_no_answer(masked)
    body = strip_marks(masked)  # a cited echo, or marks alone, is no answer either
    if not no_answer and (not terms(body) or is_echo(body, question)):
        return withhold("llm_unsupported")
    marks = ""
    if not numbers and not no_answer:
        numbers = attribute(masked, shown_texts)
        if numbers:
            marks = " " + "".join(f"[{n}]" for n in numbers)
            masked, restored = masked + marks, restored + marks
    if not numbers and not no_answer:
        return withhold("llm_unsupported")
    invented = unsupported_figures(body, [*shown_texts, question]) + unsupported_product_lines(
        body, shown_texts
    )
    if invented and not no_answer:
        logger.warning(
            "model answer states figures or products no passage gives (%s); quoting the top passage",
            ", ".join(invented),
        )
        return withhold("llm_unsupported")
    wrong = (
        contradicting_figures(body, composition, question=question) if composition and not no_answer else []
    )
    if wrong:
        logger.warning(
            "model answer states %s where the evidence gives %s; composing from the passages",
            ", ".join(w.figure for w in wrong),
            ", ".join(wrong[0].evidence),
        )
        return withhold("llm_contradiction")
    generated = Generated(
        masked=masked,
        restored=restored,
        cited=[(n, refs[n - 1]) for n in numbers],
        refs=tuple(refs),
        model=model,
        no_answer=no_answer,
        leaked=dict(leaked or {}),
    )
    return Settled(generated, marks=marks)


def fallback_answer(
    *,
    question: str,
    passages: Sequence[Passage],
    lang: Lang,
    mode: FallbackMode,
    reason: GenerationReason = "llm_fallback",
    composition: Composition | None = None,
    composer: Composer | None = None,
) -> Generated:
    """The answer without the model: a handoff (``mode="handoff"``), or the composed answer — the clauses
    of the passages that answer, cited. Only ``reason="llm_fallback"`` (the model is down: refused,
    erroring, its breaker open on errors) puts the outage lead before it; a slow model (``llm_slow``) or a
    withheld answer gets the composed answer as it is. ``composition``: already composed for this turn's
    prompt (its numbering); otherwise composed over ``passages`` in their order."""
    if mode == "handoff":
        text = handoff_answer(question=question, lang=lang).text
        return Generated(masked=text, restored=text, reason="llm_unavailable", handoff=True)
    if composition is None:
        composition = (composer or ClauseComposer()).compose(question, passages, lang=lang)
    # Verbatim clauses of the bank's own knowledge base (scanned for PII when it was ingested), not model
    # output: not run through the output check, whose NER would mask e.g. "Stolen Card".
    text = composition.text
    if reason == "llm_fallback" and not composition.no_answer:
        text = f"{outage_lead(lang)}\n{text}"
    return Generated(
        masked=text,
        restored=text,
        cited=[(e.number, e.ref) for e in composition.evidence],
        model="composer",
        reason=reason,
        no_answer=composition.no_answer,
    )
