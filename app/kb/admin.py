"""The admin console's knowledge-base actions: upload (stored, then ingested by a background job into the
draft), job progress, the document list, delete and re-index, hit-testing a version.

Every function takes the caller's tenant and touches only that tenant's rows; the HTTP layer is in
``app/api/routes/admin_kb.py``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from app.auth.audit import record_by
from app.container import Container
from app.db import crud_kb, crud_kb_admin
from app.db.models import Document, IngestionJob, KbVersion
from app.errors import AppError, ErrorCode
from app.kb import ingest as kb_ingest
from app.kb import versions as kb_versions
from app.kb.uploads import Upload
from app.kb.versions import Actor
from retrieval.types import SearchFilters

INGEST_JOB = "ingest_job"
DocumentView = Literal["current", "all"]


@dataclass(frozen=True, slots=True)
class Accepted:
    job_id: str
    skipped: list[str]


async def accept_upload(
    container: Container,
    *,
    tenant_id: str,
    actor: Actor,
    upload: Upload,
    collection: str,
    pii_policy: kb_ingest.PiiPolicy | None,
) -> Accepted:
    """Store the received files as one ingestion job (refused ones recorded as failed documents) and
    start the job (the worker, or an in-process task in the embedded default). The draft is built by the
    job; nothing goes live until an admin publishes."""
    files = []
    for f in upload.files:
        data = await asyncio.to_thread(f.read) if f.rejected is None else b""
        files.append(kb_ingest.IngestFile(f.name, data, rejected=f.rejected, size=f.size))
    job_id, skipped = await kb_ingest.store_files(
        container,
        tenant_id=tenant_id,
        files=files,
        collection=collection,
        created_by=actor.user_id,
        pii_policy=pii_policy,
    )
    await _start(container, tenant_id, job_id)
    return Accepted(job_id, skipped)


async def start_job(container: Container, tenant_id: str, job_id: str) -> None:
    """Start a job stored by ``kb_ingest.store_files`` (one with nothing to do is closed at once)."""
    await _start(container, tenant_id, job_id)


async def _start(container: Container, tenant_id: str, job_id: str) -> None:
    async with container.sessions() as session:
        job = await crud_kb.get_job(session, tenant_id=tenant_id, job_id=job_id)
        assert job is not None
        has_work = job.documents_total > 0 or bool((job.result or {}).get("remove"))
        if not has_work:  # every file refused or a duplicate: the job is over already
            await crud_kb.update_job(
                session,
                tenant_id=tenant_id,
                job_id=job_id,
                status="failed" if (job.result or {}).get("refused") else "succeeded",
                stage="done",
                progress=1.0,
                error_code="no_document_indexed" if (job.result or {}).get("refused") else None,
            )
            await session.commit()
            return
    await container.jobs.enqueue(INGEST_JOB, tenant_id=tenant_id, job_id=job_id, publish=False)


async def job_with_documents(
    container: Container, *, tenant_id: str, job_id: str
) -> tuple[IngestionJob, list[Document]]:
    async with container.sessions() as session:
        job = await crud_kb.get_job(session, tenant_id=tenant_id, job_id=job_id)
        if job is None:
            raise AppError(ErrorCode.NOT_FOUND, "no such ingestion job")
        docs = await crud_kb_admin.job_documents(session, tenant_id=tenant_id, job_id=job_id)
        return job, docs


@dataclass(frozen=True, slots=True)
class DocumentRow:
    doc: Document
    in_active: bool
    in_draft: bool


async def list_documents(container: Container, *, tenant_id: str, view: DocumentView) -> list[DocumentRow]:
    """``current``: what the active version and the draft hold, plus uploads in progress or failed;
    ``all``: every document ever uploaded (replaced and deleted ones too). Newest first."""
    async with container.sessions() as session:
        active = await crud_kb.get_active_version(session, tenant_id=tenant_id)
        draft = await crud_kb_admin.get_open_draft(session, tenant_id=tenant_id)
        live = set(await crud_kb.document_ids_of_version(session, version_id=active.id)) if active else set()
        drafted = set(await crud_kb.document_ids_of_version(session, version_id=draft.id)) if draft else set()
        docs = await crud_kb.list_documents(session, tenant_id=tenant_id)
    rows = [DocumentRow(d, d.id in live, d.id in drafted) for d in docs]
    if view == "current":
        shown = ("queued", "parsing", "embedding", "failed")
        rows = [r for r in rows if r.in_active or r.in_draft or r.doc.status in shown]
    return sorted(rows, key=lambda r: r.doc.created_at, reverse=True)


async def delete_document(
    container: Container, *, tenant_id: str, actor: Actor, document_id: str
) -> str | None:
    """Mark the document deleted; when the draft (or the active version) holds it, start a job that builds
    a draft without it (the active version keeps serving it until that draft is published). Returns the
    job id, or None when nothing had to be rebuilt."""
    return await delete_documents(container, tenant_id=tenant_id, actor=actor, document_ids=[document_id])


async def delete_documents(
    container: Container, *, tenant_id: str, actor: Actor, document_ids: Sequence[str], strict: bool = True
) -> str | None:
    """``delete_document`` for several documents at once: one job rebuilds the draft without all of them.

    ``strict``: an unknown or already deleted id is 404 ``not_found`` (with it off, such ids are passed
    over: a source's removal deletes what is left of its pages). Refused with 409 ``conflict``, before
    anything is written, while one of them is still being ingested or when they are all the knowledge base
    holds."""
    working = await kb_versions.working_document_ids(container, tenant_id)
    async with container.sessions() as session:
        docs = []
        for document_id in dict.fromkeys(document_ids):
            doc = await crud_kb.get_document(session, tenant_id=tenant_id, document_id=document_id)
            if doc is None or doc.status == "deleted":
                if strict:
                    raise AppError(ErrorCode.NOT_FOUND, "no such document")
                continue
            if doc.status in kb_ingest.IN_FLIGHT:
                raise AppError(
                    ErrorCode.CONFLICT, "the document is still being ingested; delete it when it is done"
                )
            docs.append(doc)
        ids = {d.id for d in docs}
        if working and working <= ids:
            raise AppError(
                ErrorCode.CONFLICT,
                "this would leave the knowledge base empty: upload the replacement before deleting "
                + ("it" if len(working) == 1 else "them"),
            )
        for doc in docs:
            await crud_kb.set_document_status(
                session, tenant_id=tenant_id, document_id=doc.id, status="deleted"
            )
            await record_by(
                session, actor, tenant_id=tenant_id,
                action="kb.document_delete", target_type="document", target_id=doc.id,
                data={"source": doc.source},
            )  # fmt: skip
        await session.commit()
    rebuild = [d.id for d in docs if d.id in working]
    if not rebuild:
        return None
    job_id = await kb_ingest.create_removal_job(
        container, tenant_id=tenant_id, document_ids=rebuild, created_by=actor.user_id
    )
    await _start(container, tenant_id, job_id)
    return job_id


async def reindex_document(container: Container, *, tenant_id: str, actor: Actor, document_id: str) -> str:
    """Parse and chunk the stored original again (e.g. after a loader or chunker change, or after a
    failure that was not the file's fault) as a new document of the same source: it replaces the old one
    in a new draft. Returns the job id."""
    async with container.sessions() as session:
        doc = await crud_kb.get_document(session, tenant_id=tenant_id, document_id=document_id)
        if doc is None or doc.status == "deleted":
            raise AppError(ErrorCode.NOT_FOUND, "no such document")
        if doc.status in kb_ingest.IN_FLIGHT:
            raise AppError(ErrorCode.CONFLICT, "the document is being ingested already")
        raw = await crud_kb.get_document_raw(session, tenant_id=tenant_id, document_id=doc.id)
        if not raw:
            raise AppError(ErrorCode.CONFLICT, "the original file was refused at upload; upload it again")
        job = await crud_kb.create_job(
            session, tenant_id=tenant_id, documents_total=1, created_by=actor.user_id
        )
        job.result = {
            "kind": "reindex",
            "of": doc.id,
            "pii_policy": container.settings.privacy.ingestion_policy,
        }
        copy = await crud_kb.create_document(
            session, tenant_id=tenant_id, collection_id=doc.collection_id, job_id=job.id, source=doc.source,
            mime_type=doc.mime_type, content_hash=doc.content_hash, raw=raw,
        )  # fmt: skip
        await record_by(
            session, actor, tenant_id=tenant_id,
            action="kb.document_reindex", target_type="document", target_id=doc.id,
            data={"source": doc.source, "new_document": copy.id},
        )  # fmt: skip
        await session.commit()
        job_id = job.id
    await _start(container, tenant_id, job_id)
    return job_id


# ------------------------------------------------------------------------------------------- hit-testing


@dataclass(frozen=True, slots=True)
class HitTest:
    version: KbVersion
    good_enough: bool
    hits: list[dict[str, Any]]
    elapsed_ms: float


async def resolve_version(container: Container, *, tenant_id: str, target: str) -> KbVersion:
    """``active``, ``draft`` or a version id."""
    async with container.sessions() as session:
        if target == "active":
            version = await crud_kb.get_active_version(session, tenant_id=tenant_id)
        elif target == "draft":
            version = await crud_kb_admin.get_open_draft(session, tenant_id=tenant_id)
        else:
            version = await crud_kb.get_version(session, tenant_id=tenant_id, version_id=target)
    if version is None or (version.status == "archived" and version.published_at is None):
        raise AppError(ErrorCode.NOT_FOUND, f"no {target} version to search")
    return version


async def hit_test(
    container: Container,
    *,
    tenant_id: str,
    query: str,
    target: str,
    k: int,
    lang: str | None = None,
    collection: str | None = None,
) -> HitTest:
    """Ranked chunks of one version for ``query`` with their fused, dense and BM25 scores and ranks."""
    version = await resolve_version(container, tenant_id=tenant_id, target=target)
    retriever = await kb_versions.open_version(container, tenant_id, version)
    filters = SearchFilters(collection=collection, lang=lang) if (lang or collection) else None
    t0 = time.perf_counter()
    result = await asyncio.to_thread(retriever.search, query, k=k, filters=filters)
    elapsed = (time.perf_counter() - t0) * 1000
    async with container.sessions() as session:
        sources = await crud_kb_admin.document_sources(session, tenant_id=tenant_id)
    hits = [
        {
            "rank": i + 1,
            "chunk_id": h.chunk.chunk_id,
            "document_id": h.chunk.document_id,
            "source": sources.get(h.chunk.document_id, ""),
            "title": h.chunk.title,
            "text": h.chunk.text,
            "lang": h.chunk.lang,
            "heading_path": h.chunk.metadata.get("heading_path", ""),
            "score": h.score,
            "dense_score": h.dense_score,
            "bm25_score": h.bm25_score,
            "dense_rank": h.dense_rank,
            "bm25_rank": h.bm25_rank,
        }
        for i, h in enumerate(result.hits)
    ]
    return HitTest(version, result.good_enough, hits, round(elapsed, 2))


def version_state(version: KbVersion) -> str:
    """active | draft | previous (published before: a rollback target) | discarded."""
    if version.is_active:
        return "active"
    if version.status == "draft":
        return "draft"
    return "previous" if version.published_at is not None else "discarded"


async def versions_with_counts(container: Container, *, tenant_id: str) -> list[tuple[KbVersion, int]]:
    async with container.sessions() as session:
        versions = list(await crud_kb.list_versions(session, tenant_id=tenant_id))
        counts = await crud_kb_admin.version_document_counts(session, version_ids=[v.id for v in versions])
    return [(v, counts.get(v.id, 0)) for v in versions]


async def version_changes(
    container: Container, *, tenant_id: str, version: KbVersion
) -> dict[str, Sequence[str]]:
    """Sources added, replaced and removed by ``version`` against the active version."""
    async with container.sessions() as session:
        active = await crud_kb.get_active_version(session, tenant_id=tenant_id)
        mine = set(await crud_kb.document_ids_of_version(session, version_id=version.id))
        live = set(await crud_kb.document_ids_of_version(session, version_id=active.id)) if active else set()
        sources = await crud_kb_admin.document_sources(session, tenant_id=tenant_id)
    by_source_live = {sources[d]: d for d in live if d in sources}
    by_source_mine = {sources[d]: d for d in mine if d in sources}
    added = sorted(s for s in by_source_mine if s not in by_source_live)
    removed = sorted(s for s in by_source_live if s not in by_source_mine)
    replaced = sorted(s for s, d in by_source_mine.items() if s in by_source_live and by_source_live[s] != d)
    return {"added": added, "replaced": replaced, "removed": removed}
