"""SQL the admin console needs beyond ingestion (``crud_kb``): the open draft, version and job listings,
documents by id or job, golden questions and intents by id, the audit trail paged and filtered. Keyword-only, session first, tenant-scoped.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.crud_rows import in_tenant
from app.db.models import (
    AuditEvent,
    Document,
    GoldenQuestion,
    IngestionJob,
    Intent,
    KbVersion,
    kb_version_documents,
)

# --- versions --------------------------------------------------------------------------------------------


async def get_open_draft(session: AsyncSession, *, tenant_id: str) -> KbVersion | None:
    """The tenant's draft: the newest version still in status ``draft`` (older drafts are archived when a
    newer one supersedes them)."""
    stmt = (
        select(KbVersion)
        .where(KbVersion.tenant_id == tenant_id, KbVersion.status == "draft")
        .order_by(KbVersion.number.desc())
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def archive_version(session: AsyncSession, *, tenant_id: str, version_id: str, notes: str) -> None:
    stmt = select(KbVersion).where(KbVersion.id == version_id, KbVersion.tenant_id == tenant_id)
    row = (await session.execute(stmt)).scalar_one_or_none()
    if row is not None and not row.is_active:
        row.status = "archived"
        row.notes = notes[:2000]
        await session.flush()


async def version_document_counts(session: AsyncSession, *, version_ids: Sequence[str]) -> dict[str, int]:
    if not version_ids:
        return {}
    stmt = (
        select(kb_version_documents.c.version_id, func.count())
        .where(kb_version_documents.c.version_id.in_(list(version_ids)))
        .group_by(kb_version_documents.c.version_id)
    )
    return {str(v): int(n) for v, n in (await session.execute(stmt)).all()}


# --- documents -------------------------------------------------------------------------------------------


async def documents_by_ids(
    session: AsyncSession, *, tenant_id: str, document_ids: Sequence[str]
) -> list[Document]:
    if not document_ids:
        return []
    stmt = select(Document).where(Document.tenant_id == tenant_id, Document.id.in_(list(document_ids)))
    return list((await session.execute(stmt)).scalars().all())


async def document_sources(session: AsyncSession, *, tenant_id: str) -> dict[str, str]:
    """Every document id of the tenant -> its source (file name)."""
    stmt = select(Document.id, Document.source).where(Document.tenant_id == tenant_id)
    return {str(i): str(s) for i, s in (await session.execute(stmt)).all()}


async def documents_with_hash(session: AsyncSession, *, tenant_id: str, content_hash: str) -> list[Document]:
    """Uploads of these bytes that were not rejected or deleted (newest first)."""
    stmt = (
        select(Document)
        .where(
            Document.tenant_id == tenant_id,
            Document.content_hash == content_hash,
            Document.status.not_in(("failed", "deleted")),
        )
        .order_by(Document.created_at.desc())
    )
    return list((await session.execute(stmt)).scalars().all())


async def job_documents(session: AsyncSession, *, tenant_id: str, job_id: str) -> list[Document]:
    stmt = (
        select(Document)
        .where(Document.tenant_id == tenant_id, Document.job_id == job_id)
        .order_by(Document.created_at, Document.source)
    )
    return list((await session.execute(stmt)).scalars().all())


# --- jobs ------------------------------------------------------------------------------------------------


async def list_jobs(session: AsyncSession, *, tenant_id: str, limit: int = 20) -> Sequence[IngestionJob]:
    stmt = (
        select(IngestionJob)
        .where(IngestionJob.tenant_id == tenant_id)
        .order_by(IngestionJob.created_at.desc())
        .limit(limit)
    )
    return (await session.execute(stmt)).scalars().all()


# --- golden questions ------------------------------------------------------------------------------------


async def get_golden_question(
    session: AsyncSession, *, tenant_id: str, question_id: str
) -> GoldenQuestion | None:
    stmt = select(GoldenQuestion).where(
        GoldenQuestion.id == question_id, GoldenQuestion.tenant_id == tenant_id
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def update_golden_question(
    session: AsyncSession, *, tenant_id: str, question_id: str, values: dict[str, Any]
) -> GoldenQuestion | None:
    row = await get_golden_question(session, tenant_id=tenant_id, question_id=question_id)
    if row is None:
        return None
    for key in ("question", "lang", "expected_document_ids"):
        if key in values:
            setattr(row, key, values[key])
    await session.flush()
    return row


async def delete_golden_question(session: AsyncSession, *, tenant_id: str, question_id: str) -> bool:
    stmt = delete(GoldenQuestion).where(
        GoldenQuestion.id == question_id, GoldenQuestion.tenant_id == tenant_id
    )
    return bool((await session.execute(stmt)).rowcount)  # type: ignore[attr-defined]


# --- intents ---------------------------------------------------------------------------------------------


async def get_intent(session: AsyncSession, *, tenant_id: str, intent_id: str) -> Intent | None:
    return await in_tenant(session, Intent, tenant_id=tenant_id, row_id=intent_id)


async def get_intent_by_name(session: AsyncSession, *, tenant_id: str, name: str) -> Intent | None:
    stmt = select(Intent).where(Intent.name == name, Intent.tenant_id == tenant_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def delete_intent(session: AsyncSession, *, tenant_id: str, intent_id: str) -> bool:
    stmt = delete(Intent).where(Intent.id == intent_id, Intent.tenant_id == tenant_id)
    return bool((await session.execute(stmt)).rowcount)  # type: ignore[attr-defined]


# --- audit trail -----------------------------------------------------------------------------------------


async def audit_page(
    session: AsyncSession,
    *,
    tenant_id: str,
    action: str | None = None,
    action_prefix: str | None = None,
    actor_id: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> list[AuditEvent]:
    """Newest first; keyset paging: pass the last row's id as ``before_id`` for the next page."""
    stmt = select(AuditEvent).where(AuditEvent.tenant_id == tenant_id)
    if action is not None:
        stmt = stmt.where(AuditEvent.action == action)
    if action_prefix:
        stmt = stmt.where(AuditEvent.action.startswith(action_prefix, autoescape=True))
    if actor_id is not None:
        stmt = stmt.where(AuditEvent.actor_id == actor_id)
    if target_type is not None:
        stmt = stmt.where(AuditEvent.target_type == target_type)
    if target_id is not None:
        stmt = stmt.where(AuditEvent.target_id == target_id)
    if since is not None:
        stmt = stmt.where(AuditEvent.created_at >= since)
    if until is not None:
        stmt = stmt.where(AuditEvent.created_at < until)
    if before_id is not None:
        stmt = stmt.where(AuditEvent.id < before_id)
    stmt = stmt.order_by(AuditEvent.id.desc()).limit(limit)
    return list((await session.execute(stmt)).scalars().all())


async def audit_actions(session: AsyncSession, *, tenant_id: str) -> list[str]:
    """The distinct actions recorded for the tenant (the audit page's filter)."""
    stmt = (
        select(AuditEvent.action)
        .where(AuditEvent.tenant_id == tenant_id)
        .distinct()
        .order_by(AuditEvent.action)
    )
    return [str(a) for a in (await session.execute(stmt)).scalars().all()]
