"""Admin routes of curated answers (proposed by agents in the console): list, approve (the entry joins the
KB draft through an ingestion job), reject. Admins only, tenant-scoped, audited."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from app.db import crud_agent_desk
from app.deps import AdminDep, ContainerDep, SessionDep
from app.kb import curated_review
from app.schemas.admin_curated import CuratedApprove, CuratedApproved
from app.schemas.agent_desk import CuratedPublic

router = APIRouter(prefix="/admin/curated", tags=["admin: curated answers"])
CuratedId = Annotated[str, Path(max_length=64)]


@router.get("", response_model=list[CuratedPublic])
async def list_curated(
    admin: AdminDep,
    session: SessionDep,
    status: Annotated[str, Query(pattern="^(pending|approved|rejected|all)$")] = "pending",
    limit: Annotated[int, Query(ge=1, le=200)] = 100,
) -> list[CuratedPublic]:
    """Newest first; ``pending`` by default."""
    rows = await crud_agent_desk.list_curated(
        session, tenant_id=admin.tenant_id, status=None if status == "all" else status, limit=limit
    )
    return [CuratedPublic.model_validate(r, from_attributes=True) for r in rows]


@router.post("/{curated_id}/approve", status_code=202, response_model=CuratedApproved)
async def approve(
    curated_id: CuratedId, admin: AdminDep, container: ContainerDep, body: CuratedApprove | None = None
) -> CuratedApproved:
    """The entry (with the admin's edits, if any) becomes an FAQ file of one row in the draft; follow
    ``job_id`` like an upload, then publish. 409 when it was decided already."""
    body = body or CuratedApprove()
    got = await curated_review.approve(
        container, admin=admin, curated_id=curated_id, question=body.question, answer=body.answer
    )
    public = CuratedPublic.model_validate(got.row, from_attributes=True)
    return CuratedApproved(
        **public.model_dump(), job_id=got.job_id, source=got.source, pii_removed=got.removed
    )


@router.post("/{curated_id}/reject", response_model=CuratedPublic)
async def reject(curated_id: CuratedId, admin: AdminDep, container: ContainerDep) -> CuratedPublic:
    row = await curated_review.reject(container, admin=admin, curated_id=curated_id)
    return CuratedPublic.model_validate(row, from_attributes=True)
