"""SQL for the knowledge base: collections, documents, chunks, versions, golden questions, intents, jobs.

Keyword-only functions, session first; every one is scoped by ``tenant_id``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.base import utcnow
from app.db.crud_rows import added, in_tenant
from app.db.models import (
    Chunk,
    Document,
    GoldenQuestion,
    IngestionJob,
    Intent,
    KbCollection,
    KbVersion,
    kb_version_documents,
)
from dialog.intents import IntentSpec
from retrieval.types import ChunkRecord

# --- collections and documents ---------------------------------------------------------------------------


async def get_or_create_collection(session: AsyncSession, *, tenant_id: str, name: str) -> KbCollection:
    stmt = select(KbCollection).where(KbCollection.tenant_id == tenant_id, KbCollection.name == name)
    found = (await session.execute(stmt)).scalar_one_or_none()
    if found is not None:
        return found
    row = KbCollection(tenant_id=tenant_id, name=name, description="")
    return await added(session, row)


async def find_live_document_by_hash(
    session: AsyncSession, *, tenant_id: str, content_hash: str
) -> Document | None:
    """An earlier upload of the same bytes that was not rejected or deleted."""
    stmt = select(Document).where(
        Document.tenant_id == tenant_id,
        Document.content_hash == content_hash,
        Document.status.not_in(("failed", "deleted")),
    )
    return (await session.execute(stmt.limit(1))).scalar_one_or_none()


async def create_document(
    session: AsyncSession,
    *,
    tenant_id: str,
    collection_id: str,
    job_id: str | None,
    source: str,
    mime_type: str,
    content_hash: str,
    raw: bytes,
) -> Document:
    doc = Document(
        tenant_id=tenant_id,
        collection_id=collection_id,
        job_id=job_id,
        source=source,
        title="",
        mime_type=mime_type,
        size_bytes=len(raw),
        content_hash=content_hash,
        status="queued",
        raw=raw,
    )
    return await added(session, doc)


async def get_document(session: AsyncSession, *, tenant_id: str, document_id: str) -> Document | None:
    return await in_tenant(session, Document, tenant_id=tenant_id, row_id=document_id)


async def get_document_raw(session: AsyncSession, *, tenant_id: str, document_id: str) -> bytes | None:
    stmt = select(Document.raw).where(Document.id == document_id, Document.tenant_id == tenant_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def set_document_status(
    session: AsyncSession,
    *,
    tenant_id: str,
    document_id: str,
    status: str,
    title: str | None = None,
    lang: str | None = None,
    chunk_count: int | None = None,
    pii_findings: dict[str, int] | None = None,
    error_code: str | None = None,
    error_detail: str | None = None,
) -> None:
    values: dict[str, Any] = {"status": status, "updated_at": utcnow()}
    for key, value in (
        ("title", title),
        ("lang", lang),
        ("chunk_count", chunk_count),
        ("pii_findings", pii_findings),
        ("error_code", error_code),
        ("error_detail", error_detail),
    ):
        if value is not None:
            values[key] = value
    stmt = (
        update(Document).where(Document.id == document_id, Document.tenant_id == tenant_id).values(**values)
    )
    await session.execute(stmt)


async def list_documents(
    session: AsyncSession, *, tenant_id: str, status: str | None = None
) -> Sequence[Document]:
    stmt = select(Document).where(Document.tenant_id == tenant_id)
    if status is not None:
        stmt = stmt.where(Document.status == status)
    return (await session.execute(stmt.order_by(Document.created_at, Document.source))).scalars().all()


# --- chunks ----------------------------------------------------------------------------------------------


async def add_chunks(
    session: AsyncSession, *, tenant_id: str, document_id: str, chunks: Sequence[ChunkRecord]
) -> None:
    session.add_all(
        Chunk(
            tenant_id=tenant_id,
            document_id=document_id,
            chunk_id=c.chunk_id,
            ordinal=i,
            text=c.text,
            embed_text=c.embed_text,
            title=c.title,
            lang=c.lang,
            meta=dict(c.metadata),
        )
        for i, c in enumerate(chunks)
    )
    await session.flush()


def _record(row: Chunk) -> ChunkRecord:
    return ChunkRecord(
        chunk_id=row.chunk_id,
        document_id=row.document_id,
        text=row.text,
        embed_text=row.embed_text,
        title=row.title,
        lang=row.lang,
        metadata={str(k): str(v) for k, v in row.meta.items()},
    )


async def chunks_of_version(session: AsyncSession, *, tenant_id: str, version_id: str) -> list[ChunkRecord]:
    """Every chunk of a version's documents, in document then chunk order (to rebuild its index)."""
    stmt = (
        select(Chunk)
        .join(kb_version_documents, kb_version_documents.c.document_id == Chunk.document_id)
        .where(kb_version_documents.c.version_id == version_id, Chunk.tenant_id == tenant_id)
        .order_by(Chunk.document_id, Chunk.ordinal)
    )
    return [_record(r) for r in (await session.execute(stmt)).scalars().all()]


async def get_chunks(session: AsyncSession, *, tenant_id: str, chunk_ids: Sequence[str]) -> list[ChunkRecord]:
    if not chunk_ids:
        return []
    stmt = select(Chunk).where(Chunk.tenant_id == tenant_id, Chunk.chunk_id.in_(list(chunk_ids)))
    return [_record(r) for r in (await session.execute(stmt)).scalars().all()]


# --- versions --------------------------------------------------------------------------------------------


async def create_version(
    session: AsyncSession,
    *,
    tenant_id: str,
    document_ids: Sequence[str],
    embedder: str,
    chunk_count: int,
    created_by: str | None = None,
    notes: str = "",
) -> KbVersion:
    stmt = select(func.coalesce(func.max(KbVersion.number), 0)).where(KbVersion.tenant_id == tenant_id)
    number = int((await session.execute(stmt)).scalar_one()) + 1
    version = KbVersion(
        tenant_id=tenant_id,
        number=number,
        status="draft",
        is_active=False,
        embedder=embedder,
        chunk_count=chunk_count,
        golden_report={},
        notes=notes,
        created_by=created_by,
    )
    session.add(version)
    await session.flush()
    if document_ids:
        await session.execute(
            kb_version_documents.insert(),
            [{"version_id": version.id, "document_id": d} for d in document_ids],
        )
    return version


async def activate_version(
    session: AsyncSession, *, tenant_id: str, version_id: str, golden_report: dict[str, Any] | None = None
) -> KbVersion | None:
    """Publish ``version_id`` and make it the tenant's one active version (the previous one is archived)."""
    version = await get_version(session, tenant_id=tenant_id, version_id=version_id)
    if version is None:
        return None
    await session.execute(
        update(KbVersion)
        .where(KbVersion.tenant_id == tenant_id, KbVersion.is_active.is_(True), KbVersion.id != version_id)
        .values(is_active=False, status="archived")
    )
    await session.flush()
    version.is_active = True
    version.status = "published"
    if version.published_at is None:
        version.published_at = utcnow()
    if golden_report is not None:
        version.golden_report = golden_report
    await session.flush()
    return version


async def get_version(session: AsyncSession, *, tenant_id: str, version_id: str) -> KbVersion | None:
    return await in_tenant(session, KbVersion, tenant_id=tenant_id, row_id=version_id)


async def get_active_version(session: AsyncSession, *, tenant_id: str) -> KbVersion | None:
    stmt = select(KbVersion).where(KbVersion.tenant_id == tenant_id, KbVersion.is_active.is_(True))
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_versions(session: AsyncSession, *, tenant_id: str) -> Sequence[KbVersion]:
    stmt = select(KbVersion).where(KbVersion.tenant_id == tenant_id).order_by(KbVersion.number.desc())
    return (await session.execute(stmt)).scalars().all()


async def document_ids_of_version(session: AsyncSession, *, version_id: str) -> list[str]:
    stmt = select(kb_version_documents.c.document_id).where(kb_version_documents.c.version_id == version_id)
    return [str(d) for d in (await session.execute(stmt)).scalars().all()]


# --- ingestion jobs --------------------------------------------------------------------------------------


async def create_job(
    session: AsyncSession, *, tenant_id: str, documents_total: int, created_by: str | None = None
) -> IngestionJob:
    job = IngestionJob(
        tenant_id=tenant_id,
        status="queued",
        stage="queued",
        progress=0.0,
        documents_total=documents_total,
        documents_done=0,
        chunks_total=0,
        result={},
        created_by=created_by,
    )
    return await added(session, job)


async def get_job(session: AsyncSession, *, tenant_id: str, job_id: str) -> IngestionJob | None:
    return await in_tenant(session, IngestionJob, tenant_id=tenant_id, row_id=job_id)


async def update_job(
    session: AsyncSession,
    *,
    tenant_id: str,
    job_id: str,
    status: str | None = None,
    stage: str | None = None,
    progress: float | None = None,
    documents_done: int | None = None,
    chunks_total: int | None = None,
    error_code: str | None = None,
    error_detail: str | None = None,
    result: dict[str, Any] | None = None,
    expect_status: str | None = None,
) -> bool:
    """Update the job's row; with ``expect_status`` only while it has that status (a running job's own
    writes: a job that recovery marked failed is not brought back). Returns whether the row changed."""
    values: dict[str, Any] = {"updated_at": utcnow()}
    for key, value in (
        ("status", status),
        ("stage", stage),
        ("progress", progress),
        ("documents_done", documents_done),
        ("chunks_total", chunks_total),
        ("error_code", error_code),
        ("error_detail", error_detail),
        ("result", result),
    ):
        if value is not None:
            values[key] = value
    if status in ("succeeded", "failed"):
        values["finished_at"] = utcnow()
    stmt = update(IngestionJob).where(IngestionJob.id == job_id, IngestionJob.tenant_id == tenant_id)
    if expect_status is not None:
        stmt = stmt.where(IngestionJob.status == expect_status)
    result_ = await session.execute(stmt.values(**values))
    return int(getattr(result_, "rowcount", 0) or 0) == 1


# --- golden questions and intents ------------------------------------------------------------------------


async def add_golden_question(
    session: AsyncSession, *, tenant_id: str, question: str, lang: str, expected_document_ids: list[str]
) -> GoldenQuestion:
    row = GoldenQuestion(
        tenant_id=tenant_id, question=question, lang=lang, expected_document_ids=expected_document_ids
    )
    return await added(session, row)


async def list_golden_questions(session: AsyncSession, *, tenant_id: str) -> Sequence[GoldenQuestion]:
    stmt = (
        select(GoldenQuestion)
        .where(GoldenQuestion.tenant_id == tenant_id)
        .order_by(GoldenQuestion.created_at)
    )
    return (await session.execute(stmt)).scalars().all()


async def upsert_intent_spec(session: AsyncSession, *, tenant_id: str, spec: IntentSpec) -> Intent:
    """``upsert_intent`` with the fields of one intent of a set as ``dialog.intents`` loads it."""
    return await upsert_intent(
        session,
        tenant_id=tenant_id,
        name=spec.name,
        description=spec.description,
        examples=list(spec.examples),
        handoff=spec.handoff,
        required_slots=list(spec.required_slots),
        topic=dict(spec.topic),
    )


async def upsert_intent(
    session: AsyncSession,
    *,
    tenant_id: str,
    name: str,
    description: str,
    examples: list[str],
    handoff: bool,
    required_slots: list[str] | None = None,
    topic: dict[str, str] | None = None,
) -> Intent:
    stmt = select(Intent).where(Intent.tenant_id == tenant_id, Intent.name == name)
    row = (await session.execute(stmt)).scalar_one_or_none()
    if row is None:
        row = Intent(tenant_id=tenant_id, name=name)
        session.add(row)
    row.description = description
    row.examples = examples
    row.handoff = handoff
    row.required_slots = required_slots or []
    row.topic = topic or {}
    await session.flush()
    return row


async def list_intents(session: AsyncSession, *, tenant_id: str) -> Sequence[Intent]:
    stmt = select(Intent).where(Intent.tenant_id == tenant_id).order_by(Intent.name)
    return (await session.execute(stmt)).scalars().all()
