"""What a turn reads besides its conversation, read in the transaction that stores the customer's message
(so the turn opens no session of its own for it): the tenant's active knowledge-base version and the
passages the previous answer's prompt showed (``ChatTurn._carried``), if that prompt was built on the same
version."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app.db import crud_conversations, crud_kb
from app.kb.knowledge import KbVersionRef, KnowledgeBases
from retrieval.types import ChunkRecord


@dataclass(frozen=True, slots=True)
class TurnContext:
    kb: KbVersionRef | None  # None: the tenant has no active knowledge base
    carried: tuple[ChunkRecord, ...] = ()  # the previous prompt's passages, in its order (same version)


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
    return TurnContext(kb, tuple(chunks[r] for r in refs if r in chunks))
