"""Shared by the admin route modules: the acting principal as an audit actor, ORM rows to public schemas."""

from __future__ import annotations

from collections.abc import Sequence

from app.auth.service import Principal
from app.db.models import Document, IngestionJob, KbVersion
from app.kb.admin import version_state
from app.kb.versions import Actor
from app.schemas.admin_kb import DocumentPublic, JobPublic, VersionPublic


def actor_of(principal: Principal) -> Actor:
    return Actor(principal.actor_type, principal.actor_id)


def document_public(doc: Document, *, in_active: bool = False, in_draft: bool = False) -> DocumentPublic:
    return DocumentPublic(
        id=doc.id,
        source=doc.source,
        title=doc.title,
        mime_type=doc.mime_type,
        size_bytes=doc.size_bytes,
        lang=doc.lang,
        status=doc.status,
        chunk_count=doc.chunk_count,
        pii_findings={str(k): int(v) for k, v in (doc.pii_findings or {}).items()},
        error_code=doc.error_code,
        error_detail=doc.error_detail,
        job_id=doc.job_id,
        in_active=in_active,
        in_draft=in_draft,
        created_at=doc.created_at,
        updated_at=doc.updated_at,
    )


def job_public(job: IngestionJob, docs: Sequence[Document]) -> JobPublic:
    result = job.result or {}
    return JobPublic(
        id=job.id,
        kind=str(result.get("kind", "upload")),
        status=job.status,
        stage=job.stage,
        progress=job.progress,
        documents_total=job.documents_total,
        documents_done=job.documents_done,
        chunks_total=job.chunks_total,
        error_code=job.error_code,
        error_detail=job.error_detail,
        version=result.get("version"),
        skipped_duplicates=[str(s) for s in result.get("skipped_duplicates", [])],
        created_at=job.created_at,
        updated_at=job.updated_at,
        finished_at=job.finished_at,
        documents=[document_public(d) for d in docs],
    )


def version_public(version: KbVersion, documents: int) -> VersionPublic:
    return VersionPublic(
        id=version.id,
        label=version.label,
        number=version.number,
        state=version_state(version),
        status=version.status,
        documents=documents,
        chunk_count=version.chunk_count,
        embedder=version.embedder,
        notes=version.notes,
        golden_report=version.golden_report or {},
        created_at=version.created_at,
        published_at=version.published_at,
    )
