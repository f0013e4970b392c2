"""AI and knowledge help for agents: the suggested reply (grounded in the KB, with citations), the KB
search panel, canned responses (agents read; admins write), and "save as curated answer" (a proposed FAQ
entry, pending an admin's approval). Agents and admins; scoped to the caller's tenant."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from app.agent import canned, curated, suggest
from app.db import crud_agent_desk
from app.db.models import CuratedAnswer
from app.deps import AdminDep, AgentDep, ContainerDep, SessionDep
from app.kb.search import search_active
from app.schemas.agent_desk import (
    CannedCreate,
    CannedPublic,
    CuratedCreate,
    CuratedProposed,
    CuratedPublic,
    KbHitPublic,
    KbSearchCreate,
    KbSearchPublic,
    SuggestionPublic,
)
from retrieval.labels import display_label

router = APIRouter(prefix="/agent", tags=["agent"])

ConversationId = Annotated[str, Path(max_length=64)]


@router.post("/conversations/{conversation_id}/suggest", response_model=SuggestionPublic)
async def suggest_reply(
    conversation_id: ConversationId, agent: AgentDep, container: ContainerDep
) -> SuggestionPublic:
    """A draft reply to the customer's open question, from the knowledge base, with ``[n]`` citations.
    Nothing is sent or stored: the agent edits it and sends it with ``/messages``."""
    s = await suggest.suggest_reply(container, tenant_id=agent.tenant_id, conversation_id=conversation_id)
    return SuggestionPublic.of(s)


@router.post("/kb/search", response_model=KbSearchPublic)
async def kb_search(body: KbSearchCreate, agent: AgentDep, container: ContainerDep) -> KbSearchPublic:
    """The active knowledge base's best passages for ``query`` (the retriever the bot uses). A POST with a
    JSON body, never ``GET ?q=``: the query is often the customer's own words, and URLs are logged."""
    q = body.query
    found = await search_active(container, tenant_id=agent.tenant_id, query=q, k=body.k)
    return KbSearchPublic(
        query=q,
        kb_version=found.version,
        good_enough=found.result.good_enough,
        hits=[
            KbHitPublic(
                rank=i,
                chunk_id=h.chunk.chunk_id,
                document_id=h.chunk.document_id,
                title=display_label(h.chunk),
                text=h.chunk.text,
                score=round(h.score, 4),
                source=h.chunk.metadata.get("source", ""),
            )
            for i, h in enumerate(found.result.hits, start=1)
        ],
    )


# --- canned responses ------------------------------------------------------------------------------------


@router.get("/canned", response_model=list[CannedPublic])
async def list_canned(
    agent: AgentDep,
    session: SessionDep,
    lang: Annotated[str | None, Query(pattern="^(zh|en)$")] = None,
) -> list[CannedPublic]:
    """The tenant's canned responses (with ``lang``: in that language or language-neutral)."""
    rows = await crud_agent_desk.list_canned(session, tenant_id=agent.tenant_id, lang=lang)
    return [CannedPublic.model_validate(r, from_attributes=True) for r in rows]


@router.post("/canned", status_code=201, response_model=CannedPublic)
async def create_canned(body: CannedCreate, admin: AdminDep, session: SessionDep) -> CannedPublic:
    row = await canned.create(session, admin=admin, title=body.title, text=body.text, lang=body.lang)
    return CannedPublic.model_validate(row, from_attributes=True)


@router.put("/canned/{canned_id}", response_model=CannedPublic)
async def update_canned(
    canned_id: Annotated[str, Path(max_length=64)], body: CannedCreate, admin: AdminDep, session: SessionDep
) -> CannedPublic:
    row = await canned.update(
        session, admin=admin, canned_id=canned_id, title=body.title, text=body.text, lang=body.lang
    )
    return CannedPublic.model_validate(row, from_attributes=True)


@router.delete("/canned/{canned_id}", status_code=204)
async def delete_canned(
    canned_id: Annotated[str, Path(max_length=64)], admin: AdminDep, session: SessionDep
) -> None:
    await canned.delete(session, admin=admin, canned_id=canned_id)


# --- curated answers -------------------------------------------------------------------------------------


def _curated(row: CuratedAnswer) -> CuratedPublic:
    return CuratedPublic.model_validate(row, from_attributes=True)


@router.post("/conversations/{conversation_id}/curated", status_code=201, response_model=CuratedProposed)
async def propose_curated(
    conversation_id: ConversationId, body: CuratedCreate, agent: AgentDep, container: ContainerDep
) -> CuratedProposed:
    """Propose a question and answer from this conversation as a new FAQ entry (``pending`` until an admin
    approves it). Personal data is removed from both (``pii_removed`` says what)."""
    got = await curated.propose(
        container, agent=agent, conversation_id=conversation_id, question=body.question, answer=body.answer
    )
    return CuratedProposed(**_curated(got.row).model_dump(), pii_removed=got.removed)


@router.get("/curated", response_model=list[CuratedPublic])
async def my_curated(
    agent: AgentDep,
    session: SessionDep,
    status: Annotated[str | None, Query(pattern="^(pending|approved|rejected)$")] = None,
) -> list[CuratedPublic]:
    """The curated answers this agent proposed (newest first), with their status."""
    rows = await crud_agent_desk.list_curated(
        session, tenant_id=agent.tenant_id, status=status, proposed_by=agent.actor_id
    )
    return [_curated(r) for r in rows]
