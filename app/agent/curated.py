""" "Save as curated answer": an agent proposes a question and answer from a conversation as a new FAQ entry.
It waits (``pending``) until an admin approves it into the knowledge base or rejects it (the admin console
owns that step: ``curated_review``).

A knowledge base entry is public to every customer, so no personal data may ride along: any PII found in
the question or answer (and any conversation placeholder) becomes a bare ``<TYPE>`` marker, and the counts
are returned so the console can tell the agent what was removed.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

from app.agent.actions import user_id_of
from app.auth.audit import record_audit
from app.auth.service import Principal
from app.container import Container
from app.db import crud_agent_desk, crud_conversations
from app.db.models import CuratedAnswer
from app.errors import AppError, ErrorCode
from privacy.protocols import PiiMasker
from privacy.types import VaultState

MAX_QUESTION_CHARS = 500
MAX_ANSWER_CHARS = 4000
_NUMBERED = re.compile(r"<([A-Z][A-Z_]*?)_\d+>")


@dataclass(frozen=True, slots=True)
class Proposed:
    row: CuratedAnswer
    removed: dict[str, int]  # PII removed from question and answer, by entity type


def _clean(text: str, *, field: str, limit: int) -> str:
    text = text.strip()
    if not text:
        raise AppError(ErrorCode.VALIDATION_ERROR, f"the {field} is empty")
    if len(text) > limit:
        raise AppError(ErrorCode.VALIDATION_ERROR, f"the {field} is over {limit} characters")
    return text


def scrub(masker: PiiMasker, text: str) -> tuple[str, dict[str, int]]:
    """``text`` with every PII value and every placeholder replaced by its ``<TYPE>`` marker."""
    result = masker.mask(text, VaultState())  # a throwaway vault: nothing is kept
    counts = result.counts()
    for m in _NUMBERED.finditer(text):  # placeholders copied from the transcript
        counts[m.group(1)] = counts.get(m.group(1), 0) + 1
    return _NUMBERED.sub(r"<\1>", result.text), counts


async def propose(
    container: Container, *, agent: Principal, conversation_id: str, question: str, answer: str
) -> Proposed:
    """A pending curated answer from this conversation. 404 for an unknown / foreign conversation; 422 for
    an empty or over-long question (500) or answer (4,000)."""
    question = _clean(question, field="question", limit=MAX_QUESTION_CHARS)
    answer = _clean(answer, field="answer", limit=MAX_ANSWER_CHARS)
    q, q_counts = await asyncio.to_thread(scrub, container.masker, question)
    a, a_counts = await asyncio.to_thread(scrub, container.masker, answer)
    removed = dict(q_counts)
    for k, v in a_counts.items():
        removed[k] = removed.get(k, 0) + v
    async with container.sessions() as session:
        conv = await crud_conversations.get_conversation(
            session, tenant_id=agent.tenant_id, conversation_id=conversation_id
        )
        if conv is None:
            raise AppError(ErrorCode.CONVERSATION_NOT_FOUND, "no such conversation")
        row = await crud_agent_desk.create_curated(
            session,
            tenant_id=agent.tenant_id,
            conversation_id=conv.id,
            question=q,
            answer=a,
            proposed_by=user_id_of(agent),
        )
        await record_audit(
            session,
            agent,
            action="curated.proposed",
            target_type="curated_answer",
            target_id=row.id,
            data={"conversation_id": conv.id, "pii_removed": removed},
        )
        await session.commit()
    return Proposed(row=row, removed=removed)
