"""What a turn reads besides its conversation, read in the transaction that stores the customer's message
(so the turn opens no session of its own for it): the tenant's active knowledge-base version and the
passages the previous answer's prompt showed (``ChatTurn._carried``), and in the append layout its customer
turns with the passages each introduced, if that prompt was built on the same version."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.db import crud_conversations, crud_kb
from app.kb.knowledge import KbVersionRef, KnowledgeBases
from llm_backend.types import Lang
from retrieval.types import ChunkRecord


@dataclass(frozen=True, slots=True)
class CarriedTurn:
    """A customer turn of the previous prompt (append layout: ``llm_backend.types.PromptTurn``)."""

    asked: str
    question: str
    lang: Lang
    chunks: tuple[ChunkRecord, ...]  # the passages it introduced, in number order


@dataclass(frozen=True, slots=True)
class TurnContext:
    kb: KbVersionRef | None  # None: the tenant has no active knowledge base
    carried: tuple[ChunkRecord, ...] = ()  # the previous prompt's passages, in its order (same version)
    earlier: tuple[CarriedTurn, ...] = ()  # its customer turns (append layout; empty: none or not all found)


NO_CONTEXT = TurnContext(None)


async def read_context(
    session: AsyncSession, *, knowledge: KnowledgeBases, tenant_id: str, conversation_id: str
) -> TurnContext:
    kb = await knowledge.locate(session, tenant_id)
    if kb is None:
        return NO_CONTEXT
    prompt = await crud_conversations.last_prompt_refs(
        session, tenant_id=tenant_id, conversation_id=conversation_id
    )
    if not prompt or prompt.get("kb_version") != kb.label or not prompt.get("refs"):
        return TurnContext(kb)
    refs = [str(r) for r in prompt["refs"]]
    chunks = {c.chunk_id: c for c in await crud_kb.get_chunks(session, tenant_id=tenant_id, chunk_ids=refs)}
    return TurnContext(kb, tuple(chunks[r] for r in refs if r in chunks), _turns(prompt.get("turns"), chunks))


def _turns(stored: Any, chunks: dict[str, ChunkRecord]) -> tuple[CarriedTurn, ...]:
    """The stored turns with their chunks; none at all when one is missing (its numbers would shift)."""
    if not isinstance(stored, list):
        return ()
    turns: list[CarriedTurn] = []
    for t in stored:
        refs = [str(r) for r in t.get("refs", [])]
        if any(r not in chunks for r in refs):
            return ()
        lang: Lang = "en" if t.get("lang") == "en" else "zh"
        turns.append(CarriedTurn(str(t["asked"]), str(t["question"]), lang, tuple(chunks[r] for r in refs)))
    return tuple(turns)
