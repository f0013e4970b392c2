"""What a chat turn takes and gives back: input validation, the streamed token, the final outcome."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from app.errors import AppError, ErrorCode
from dialog.protocols import RetrievalSignal
from retrieval.types import SearchResult

# What the customer's turn ended in: the policy's actions, or ``with_agent`` (a person has the conversation;
# no bot reply).
TurnAction = Literal["answer", "clarify", "handoff", "dont_know", "with_agent"]

# Why generation did not give a plain model answer (``Generated.reason``): the model was down or said
# nothing (llm_fallback) or too slow (llm_slow): the composed answer; its answer was withheld
# (llm_unsupported, llm_contradiction, llm_instruction_leak: the composed answer instead); it died mid-answer
# (llm_interrupted); the configured fallback is a handoff (llm_unavailable); or the answer came from the
# semantic cache (answer_cache).
GenerationReason = Literal[
    "llm_fallback",
    "llm_slow",
    "llm_unsupported",
    "llm_contradiction",
    "llm_instruction_leak",
    "llm_interrupted",
    "llm_unavailable",
    "answer_cache",
]


def validated_message(text: str, *, max_chars: int) -> str:
    """The customer's text, stripped; 422 ``empty_message`` or 413 ``message_too_long`` otherwise."""
    stripped = text.strip()
    if not stripped:
        raise AppError(ErrorCode.EMPTY_MESSAGE, "the message is empty")
    if len(stripped) > max_chars:
        raise AppError(
            ErrorCode.MESSAGE_TOO_LONG,
            f"the message has {len(stripped)} characters; the limit is {max_chars}",
        )
    return stripped


@dataclass(frozen=True, slots=True)
class Citation:
    n: int  # the [n] in the answer text
    chunk_id: str
    title: str  # the chunk's label (retrieval.labels.display_label): FAQ question, or title › headings
    document_id: str
    text: str = ""  # the cited passage, as stored in the knowledge base
    source: str = ""  # the document's file name or URL (``title`` is what a reader sees)

    def as_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "chunk_id": self.chunk_id,
            "title": self.title,
            "document_id": self.document_id,
            "source": self.source,
        }


@dataclass(frozen=True, slots=True)
class Accepted:
    """The customer's message is durable (committed with its ``UserSaid`` event); the answer follows."""

    user_message_id: str


@dataclass(frozen=True, slots=True)
class TokenChunk:
    """Customer-safe text that may be shown now (already through the output check)."""

    text: str


@dataclass(frozen=True, slots=True)
class TurnOutcome:
    conversation_id: str
    user_message_id: str
    message_id: str | None  # the bot's message; None while an agent has the conversation
    text: str  # what the customer sees (their own placeholders restored)
    decision: TurnAction
    reason: str | None
    citations: list[Citation]
    state: dict[str, Any]
    timings_ms: dict[str, float]
    model: str | None
    handoff_id: str | None = None
    pii: dict[str, int] = field(default_factory=dict)  # entity type -> count masked in the customer text


def clearly_answers(result: SearchResult) -> bool:
    """A passage clearly answers: the search is good enough (the floor or the margin) and its best
    passage is the best of both retrievers, the dense (meaning) and the BM25 (words) lists agreeing.

    The intent classifier's out-of-scope verdict does not hold against such a retrieval (``dialog.policy``,
    ``RetrievalSignal.clear``). Measured on the demo KB in docs/BENCHMARKS.md, "Answerability"."""
    if not result.good_enough or not result.hits:
        return False
    best = result.hits[0]
    return best.dense_rank == 1 and best.bm25_rank == 1


def retrieval_signal(result: SearchResult) -> RetrievalSignal:
    """What the policy reads of a ``SearchResult``: the verdict, the top score, the passages' text (the
    scope checks of ``dialog.scope`` compare the question with what an answer would be grounded on) and
    whether a passage clearly answers (``clearly_answers``)."""
    top = result.hits[0].score if result.hits else 0.0
    return RetrievalSignal(
        good_enough=result.good_enough,
        top_score=top,
        n_hits=len(result.hits),
        passages=tuple(h.chunk.text for h in result.hits),
        clear=clearly_answers(result),
    )
