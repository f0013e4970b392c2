"""Admin routes of the golden questions: a tenant's own (question -> expected documents) checks that
every publish runs (``/admin/kb/versions/publish``). Admins only, tenant-scoped."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.audit import record_audit
from app.auth.service import Principal
from app.db import crud_kb, crud_kb_admin
from app.db.models import GoldenQuestion
from app.deps import AdminDep, SessionDep
from app.errors import AppError, ErrorCode
from app.schemas.admin_config import (
    ExpectedDocument,
    GoldenQuestionCreate,
    GoldenQuestionPublic,
    GoldenQuestionUpdate,
)

router = APIRouter(prefix="/admin/golden-questions", tags=["admin: golden questions"])


async def _documents(session: AsyncSession, tenant_id: str, ids: list[str]) -> dict[str, ExpectedDocument]:
    docs = await crud_kb_admin.documents_by_ids(session, tenant_id=tenant_id, document_ids=ids)
    return {d.id: ExpectedDocument(id=d.id, source=d.source, status=d.status) for d in docs}


async def _checked_ids(session: AsyncSession, tenant_id: str, ids: list[str]) -> list[str]:
    ids = list(dict.fromkeys(ids))
    found = await _documents(session, tenant_id, ids)
    unusable = [i for i in ids if i not in found or found[i].status in ("failed", "deleted")]
    if unusable:
        raise AppError(
            ErrorCode.VALIDATION_ERROR, f"not documents of this knowledge base: {', '.join(unusable)}"
        )
    return ids


def _public(row: GoldenQuestion, docs: dict[str, ExpectedDocument]) -> GoldenQuestionPublic:
    return GoldenQuestionPublic(
        id=row.id,
        question=row.question,
        lang=row.lang,
        expected=[docs[d] for d in row.expected_document_ids if d in docs],
        created_at=row.created_at,
    )


async def _audit(session: AsyncSession, admin: Principal, action: str, row_id: str) -> None:
    await record_audit(
        session,
        admin,
        action=action,
        target_type="golden_question",
        target_id=row_id,
    )


@router.get("", response_model=list[GoldenQuestionPublic])
async def list_golden(admin: AdminDep, session: SessionDep) -> list[GoldenQuestionPublic]:
    rows = await crud_kb.list_golden_questions(session, tenant_id=admin.tenant_id)
    docs = await _documents(
        session, admin.tenant_id, sorted({d for r in rows for d in r.expected_document_ids})
    )
    return [_public(r, docs) for r in rows]


@router.post("", status_code=201, response_model=GoldenQuestionPublic)
async def create_golden(
    body: GoldenQuestionCreate, admin: AdminDep, session: SessionDep
) -> GoldenQuestionPublic:
    ids = await _checked_ids(session, admin.tenant_id, body.expected_document_ids)
    row = await crud_kb.add_golden_question(
        session,
        tenant_id=admin.tenant_id,
        question=body.question.strip(),
        lang=body.lang,
        expected_document_ids=ids,
    )
    await _audit(session, admin, "golden.create", row.id)
    await session.commit()
    return _public(row, await _documents(session, admin.tenant_id, ids))


@router.patch("/{question_id}", response_model=GoldenQuestionPublic)
async def update_golden(
    question_id: str, body: GoldenQuestionUpdate, admin: AdminDep, session: SessionDep
) -> GoldenQuestionPublic:
    values = body.model_dump(exclude_none=True)
    if "expected_document_ids" in values:
        values["expected_document_ids"] = await _checked_ids(
            session, admin.tenant_id, values["expected_document_ids"]
        )
    if "question" in values:
        values["question"] = values["question"].strip()
    row = await crud_kb_admin.update_golden_question(
        session, tenant_id=admin.tenant_id, question_id=question_id, values=values
    )
    if row is None:
        raise AppError(ErrorCode.NOT_FOUND, "no such golden question")
    await _audit(session, admin, "golden.update", row.id)
    await session.commit()
    return _public(row, await _documents(session, admin.tenant_id, list(row.expected_document_ids)))


@router.delete("/{question_id}", status_code=204)
async def delete_golden(question_id: str, admin: AdminDep, session: SessionDep) -> None:
    if not await crud_kb_admin.delete_golden_question(
        session, tenant_id=admin.tenant_id, question_id=question_id
    ):
        raise AppError(ErrorCode.NOT_FOUND, "no such golden question")
    await _audit(session, admin, "golden.delete", question_id)
    await session.commit()
