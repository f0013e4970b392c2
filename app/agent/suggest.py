"""The suggested reply of the agent console: the customer's open question answered from the knowledge base,
with numbered citations, by the same pieces as the chat turn (the active KB's retriever, the RAG prompt,
the LLM and the output check through ``AnswerGenerator``), but nothing is stored or sent: the agent edits
it and sends it (or not).

The text is masked (the conversation's placeholders kept): agents never see the customer's values, and
the agent's send masks again anyway.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from app.agent.queue import load_state, open_question_index
from app.answering import citing
from app.answering.generation import AnswerGenerator, Generated
from app.chat.timing import StageClock
from app.chat.types import Citation
from app.container import Container
from app.kb.search import search_active
from dialog.state import DialogState, Turn
from llm_backend.types import ChatMessage, Lang

logger = logging.getLogger(__name__)

HISTORY_TURNS = 6


@dataclass(frozen=True, slots=True)
class Suggestion:
    text: str  # masked
    citations: list[Citation]
    question: str  # the customer question it answers (masked)
    grounded: bool  # it cites the knowledge base
    no_answer: bool  # the knowledge base has nothing on it
    model: str | None
    kb_version: str
    timings_ms: dict[str, float] = field(default_factory=dict)


def open_question(state: DialogState) -> tuple[str, tuple[Turn, ...]]:
    """The customer's latest real question (not a bare request for a person) and the turns before it."""
    i = open_question_index([(t.role, t.text) for t in state.history])
    if i is None:
        return state.standalone_query, state.history
    return state.history[i].text, state.history[:i]


def _lang(lang: str) -> Lang | None:
    return "zh" if lang == "zh" else "en" if lang == "en" else None


async def suggest_reply(container: Container, *, tenant_id: str, conversation_id: str) -> Suggestion:
    """A grounded draft reply to the conversation's open question. 404 for an unknown / foreign
    conversation; an empty suggestion (``no_answer``) when there is no question yet."""
    conv, state = await load_state(container, tenant_id=tenant_id, conversation_id=conversation_id)
    question, before = open_question(state)
    if not question.strip():
        return Suggestion("", [], "", grounded=False, no_answer=True, model=None, kb_version="")
    clock = StageClock()
    with clock.stage("retrieve"):
        found = await search_active(container, tenant_id=tenant_id, query=question[:500])
    hits = found.result.hits
    passages = [citing.passage_of(h.chunk) for h in hits]
    history = [
        ChatMessage("user" if t.role == "user" else "assistant", t.text) for t in before[-HISTORY_TURNS:]
    ]
    vault = await container.vaults.load(conv.id)
    generator = AnswerGenerator(
        llm=container.llm,
        masker=container.masker,
        counter=container.token_counter,
        config=container.settings.llm,
        metrics=container.metrics,
    )
    generated: Generated | None = None
    async for item in generator.stream(
        question=question,
        passages=passages,
        history=history,
        lang=_lang(state.lang),
        vault=vault,
        clock=clock,
    ):
        if isinstance(item, Generated):
            generated = item
    assert generated is not None
    citations = await citing.citations(container, tenant_id=tenant_id, hits=hits, cited=generated.cited)
    logger.info(
        "suggested reply conversation=%s hits=%d cited=%d model=%s",
        conversation_id,
        len(hits),
        len(citations),
        generated.model,
    )
    return Suggestion(
        text=generated.masked,
        citations=citations,
        question=question,
        grounded=bool(citations),
        no_answer=generated.no_answer or not citations,
        model=generated.model,
        kb_version=found.version,
        timings_ms=clock.rounded(),
    )
