"""The served answer for ``kefu eval llm-answers``: the chat turn's own post-processing of a complete model
answer (``generation.settle_answer``: citation attribution, the quoted passage instead of an answer that
recites the instructions, echoes the question, that no passage supports or that contradicts the composer's
evidence, no-answer detection), or the turn's degraded answer (the composed answer) when the model call
failed. The benchmark has no customer PII, so the output check
(which masks PII that is not this conversation's) is left out: the raw answer is both masked and restored.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.answering.generation import Generated, compose_for, fallback_answer, settle_answer
from llm_backend.composer import ClauseComposer
from llm_backend.config import LLMConfig
from llm_backend.evaluation.grounded import Served, ServeFn
from llm_backend.types import BuiltPrompt, Lang, Passage


def turn_server(config: LLMConfig) -> ServeFn:
    """``evaluate``'s ``serve``: what the chat turn shows for a model answer (``None``: the call failed)."""

    composer = ClauseComposer(config.composer)

    def serve(
        question: str,
        lang: Lang,
        passages: Sequence[Passage],
        built: BuiltPrompt,
        answer: str | None,
        error: str = "",
    ) -> Served:
        generated: Generated
        composition = compose_for(composer, built, passages, question)
        if answer is None:  # as the turn does: slow is not down (generation.is_slow)
            slow = error == "llm_timeout"
            generated = fallback_answer(
                question=question,
                passages=passages,
                lang=lang,
                mode="extractive" if slow else config.fallback,
                reason="llm_slow" if slow else "llm_fallback",
                composition=composition,
            )
        else:
            generated = settle_answer(
                answer,
                answer,
                question=question,
                passages=passages,
                refs=built.citations,
                shown_texts=[p.text for p in built.shown],
                system=built.messages[0].content,
                lang=lang,
                fallback=config.fallback,
                model=None,
                composition=composition,
            ).generated
        return Served(
            text=generated.restored,
            cited=tuple(ref for _, ref in generated.cited),
            no_answer=generated.no_answer,
            reason=generated.reason,
        )

    return serve
