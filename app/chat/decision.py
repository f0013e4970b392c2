"""The turn's decision, made once: the policy decides, generation may overrule it, and everything after
(the stored message, the events, the handoff row, the outcome) reads the result of ``settle``.

Pure functions, no I/O. ``app.evals.answerability`` reads the same urgent rule (``answers_first``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal

from app.answering.generation import Generated
from app.chat.types import Citation, GenerationReason
from dialog.protocols import Decision

# Reasons the turn gives when generation overrules the policy (besides ``GenerationReason``, which it
# passes on): the model answered "not in the passages".
TurnReason = Literal["model_no_answer"]


def answers_first(decision: Decision, *, good_enough: bool) -> bool:
    """An urgent topic (lost card, fraud) goes to a person, but what the knowledge base says to do right
    now (freeze the card, the hotline) is not held back while the customer waits: with a good retrieval,
    the turn answers from the knowledge base, then hands off."""
    return decision.action == "handoff" and decision.reason == "urgent_topic" and good_enough


def generates(decision: Decision, *, good_enough: bool) -> bool:
    """Does this turn run generation (cache or model)? An answer with no canned text, or an urgent
    handoff that answers first; every other decision is the policy's canned message."""
    return (decision.action == "answer" and decision.message is None) or answers_first(
        decision, good_enough=good_enough
    )


def after_action_refusal(policy: Decision, refusal: Decision) -> Decision:
    """The decision of a turn that answers from the KB before an action's refusal (an unverified
    customer's request, ``ActionReply.kb_first``): the refusal's, unless both hand off (a lost card the
    policy finds urgent too), when the policy's handoff notice stands."""
    return policy if policy.action == "handoff" and refusal.action == "handoff" else refusal


def with_handoff_notice(
    generated: Generated, decision: Decision, *, alone_without_answer: bool = False
) -> tuple[str, Generated]:
    """The urgent answer followed by the policy's hand-off notice: the notice (streamed after the answer)
    and the reply with it appended. ``alone_without_answer``: when generation found no answer, the reply is
    the notice alone (an action's refusal needs no "I couldn't find that" before it)."""
    notice = "\n\n" + (decision.message or "")
    if alone_without_answer and generated.no_answer:
        alone = decision.message or ""
        return notice, Generated(masked=alone, restored=alone)
    return notice, dataclasses.replace(
        generated, masked=generated.masked + notice, restored=generated.restored + notice
    )


def settle(decision: Decision, generated: Generated, *, answered_first: bool) -> Decision:
    """The final decision of a turn that ran generation, from the policy's ``decision`` and what
    generation returned.

    ``answered_first``: the urgent answer-then-handoff (``answers_first``) — the policy's handoff stands.
    Otherwise: a handoff fallback or an answer cut off mid-way hands off (the text shown is the message);
    "not in the passages" is ``dont_know``; any other generation reason (a quoted passage, the answer
    cache) is recorded on the answer; a plain model answer keeps the policy's decision.
    """
    if answered_first:
        return decision
    if generated.handoff:
        return Decision(action="handoff", reason="llm_unavailable", message=generated.restored)
    if generated.reason == "llm_interrupted":
        # The model died or stalled mid-answer: what was shown stays, marked interrupted (never stored as
        # a complete answer), and a person takes over.
        return Decision(action="handoff", reason="llm_interrupted", message=generated.restored)
    if generated.no_answer:
        reason: GenerationReason | TurnReason = generated.reason or "model_no_answer"
        return Decision(action="dont_know", reason=reason)
    if generated.reason:
        return Decision(action="answer", reason=generated.reason)
    return decision


@dataclass(frozen=True, slots=True)
class Reply:
    """What the bot says this turn, settled: the final decision, the text (masked, restored), what it
    cites, and the knowledge-base version its passages came from (stored with ``Generated.refs``)."""

    decision: Decision
    generated: Generated
    citations: list[Citation]
    kb_version: str = ""
