"""Admin routes of the knowledge base: uploads with live progress, documents, versions (draft, publish,
rollback) and hit-testing. Admins only; everything is scoped to the admin's tenant (another tenant's
document, job or version is a 404)."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse
from sse_starlette import EventSourceResponse, ServerSentEvent

from app.api.routes._admin_common import actor_of, document_public, job_public, version_public
from app.auth.staff_streams import guarded
from app.deps import AdminDep, ContainerDep, StreamCheckDep
from app.errors import AppError, ErrorCode, error_body
from app.kb import admin as kb_admin
from app.kb import versions as kb_versions
from app.kb.uploads import receive_upload
from app.schemas.admin_kb import (
    DocumentPublic,
    HitPublic,
    HitTestCreate,
    HitTestPublic,
    JobPublic,
    JobStarted,
    PublishPublic,
    UploadAccepted,
    VersionDetail,
    VersionPublic,
)
from retrieval.errors import PublishRefused

router = APIRouter(prefix="/admin/kb", tags=["admin: knowledge base"])

PiiPolicyQuery = Annotated[str | None, Query(pattern="^(flag|mask|reject)$")]
JOB_RETRY_MS = 1000  # the browser's reconnect hint for the job stream


@router.post("/uploads", status_code=202, response_model=UploadAccepted)
async def upload(
    request: Request,
    admin: AdminDep,
    container: ContainerDep,
    collection: Annotated[str, Query(min_length=1, max_length=200)] = "default",
    pii_policy: PiiPolicyQuery = None,
) -> UploadAccepted:
    """Several files at once (``multipart/form-data``, field ``files``). Answers at once with the job;
    follow it at ``/admin/kb/jobs/{id}`` (poll) or ``/admin/kb/jobs/{id}/events`` (SSE). Each file ends
    ``indexed`` (in the draft) or ``failed`` with a code: ``empty_file``, ``file_too_large``,
    ``invalid_filename``, ``too_many_files``, ``unsupported_type``, ``type_mismatch``, ``corrupt_file``,
    ``encrypted_file``, ``too_many_pages``, ``zip_bomb``, ``no_question_column``, ``no_text``,
    ``document_has_pii``. The body is streamed to disk with a cap per file; 413 past
    ``ADMIN__UPLOAD_MAX_FILES`` x ``RETRIEVAL__MAX_FILE_BYTES``."""
    settings = container.settings
    max_file = settings.retrieval.max_file_bytes
    max_total = settings.admin.upload_max_files * (max_file + 64 * 1024) + 1024 * 1024
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > max_total:
        raise AppError(ErrorCode.PAYLOAD_TOO_LARGE, f"an upload is at most {max_total} bytes")
    received = await receive_upload(
        request.stream(),
        request.headers.get("content-type", ""),
        root=settings.data_dir / "uploads",
        max_file_bytes=max_file,
        max_files=settings.admin.upload_max_files,
        max_total_bytes=max_total,
    )
    try:
        accepted = await kb_admin.accept_upload(
            container,
            tenant_id=admin.tenant_id,
            actor=actor_of(admin),
            upload=received,
            collection=received.fields.get("collection") or collection,
            pii_policy=pii_policy,  # type: ignore[arg-type]
        )
    finally:
        await asyncio.to_thread(received.cleanup)
    job, docs = await kb_admin.job_with_documents(
        container, tenant_id=admin.tenant_id, job_id=accepted.job_id
    )
    return UploadAccepted(
        job_id=accepted.job_id, skipped_duplicates=accepted.skipped, job=job_public(job, docs)
    )


@router.get("/jobs", response_model=list[JobPublic])
async def list_jobs(
    admin: AdminDep, container: ContainerDep, limit: Annotated[int, Query(ge=1, le=100)] = 20
) -> list[JobPublic]:
    from app.db import crud_kb_admin

    async with container.sessions() as session:
        jobs = await crud_kb_admin.list_jobs(session, tenant_id=admin.tenant_id, limit=limit)
    return [job_public(j, []) for j in jobs]


@router.get("/jobs/{job_id}", response_model=JobPublic)
async def get_job(job_id: str, admin: AdminDep, container: ContainerDep) -> JobPublic:
    job, docs = await kb_admin.job_with_documents(container, tenant_id=admin.tenant_id, job_id=job_id)
    return job_public(job, docs)


@router.get(
    "/jobs/{job_id}/events",
    response_class=EventSourceResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "job events until it is done"}},
)
async def job_events(
    job_id: str,
    admin: AdminDep,
    check: StreamCheckDep,
    container: ContainerDep,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=64)] = None,
) -> Any:
    """Server-Sent Events: a ``job`` event (the ``JobPublic`` JSON, files included) whenever the job or one
    of its files changes, the last one when it is done. Read from the database, so any replica serves it.

    Each event's ``id`` names the state it carries: a client whose stream was cut (a restart) reconnects
    with ``Last-Event-ID`` and gets only what changed since. ``session_ended`` ends the stream once the
    caller's session no longer holds."""
    job, docs = await kb_admin.job_with_documents(container, tenant_id=admin.tenant_id, job_id=job_id)
    first = job_public(job, docs)

    def event(body: str) -> ServerSentEvent:
        ident = hashlib.sha256(body.encode("utf-8")).hexdigest()[:16]
        return ServerSentEvent(event="job", data=body, id=ident, retry=JOB_RETRY_MS)

    async def events() -> AsyncIterator[ServerSentEvent]:
        last = first.model_dump_json()
        if event(last).id != last_event_id:  # a resumed stream does not repeat what the client has
            yield event(last)
        current = first
        while current.status not in ("succeeded", "failed"):
            await asyncio.sleep(0.4)
            j, d = await kb_admin.job_with_documents(container, tenant_id=admin.tenant_id, job_id=job_id)
            current = job_public(j, d)
            body = current.model_dump_json()
            if body != last:
                last = body
                yield event(body)

    ended = ServerSentEvent(event="session_ended", data='{"reason": "session_ended"}')
    stream = guarded(events(), check, every_s=container.settings.staff_stream_recheck_s, ended=ended)
    return EventSourceResponse(stream, ping=15, send_timeout=30)


# --- documents -------------------------------------------------------------------------------------------


@router.get("/documents", response_model=list[DocumentPublic])
async def list_documents(
    admin: AdminDep,
    container: ContainerDep,
    view: Annotated[str, Query(pattern="^(current|all)$")] = "current",
) -> list[DocumentPublic]:
    """``current``: what is live or in the draft, and uploads in progress or failed; ``all``: history too."""
    rows = await kb_admin.list_documents(container, tenant_id=admin.tenant_id, view=view)  # type: ignore[arg-type]
    return [document_public(r.doc, in_active=r.in_active, in_draft=r.in_draft) for r in rows]


@router.delete("/documents/{document_id}", status_code=202, response_model=JobStarted)
async def delete_document(document_id: str, admin: AdminDep, container: ContainerDep) -> JobStarted:
    """Remove a document: a new draft without it is built (the live version keeps it until you publish)."""
    job_id = await kb_admin.delete_document(
        container, tenant_id=admin.tenant_id, actor=actor_of(admin), document_id=document_id
    )
    return JobStarted(job_id=job_id)


@router.post("/documents/{document_id}/reindex", status_code=202, response_model=JobStarted)
async def reindex_document(document_id: str, admin: AdminDep, container: ContainerDep) -> JobStarted:
    job_id = await kb_admin.reindex_document(
        container, tenant_id=admin.tenant_id, actor=actor_of(admin), document_id=document_id
    )
    return JobStarted(job_id=job_id)


# --- versions --------------------------------------------------------------------------------------------


@router.get("/versions", response_model=list[VersionPublic])
async def list_versions(admin: AdminDep, container: ContainerDep) -> list[VersionPublic]:
    rows = await kb_admin.versions_with_counts(container, tenant_id=admin.tenant_id)
    return [version_public(v, n) for v, n in rows]


@router.get("/versions/{version_id}", response_model=VersionDetail)
async def get_version(version_id: str, admin: AdminDep, container: ContainerDep) -> VersionDetail:
    """One version (``active``, ``draft`` or an id) with the sources it adds, replaces and removes
    against the active version."""
    version = await kb_admin.resolve_version(container, tenant_id=admin.tenant_id, target=version_id)
    counts = dict(
        (v.id, n) for v, n in await kb_admin.versions_with_counts(container, tenant_id=admin.tenant_id)
    )
    changes = await kb_admin.version_changes(container, tenant_id=admin.tenant_id, version=version)
    base = version_public(version, counts.get(version.id, 0))
    return VersionDetail(**base.model_dump(), **{k: list(v) for k, v in changes.items()})


@router.post(
    "/versions/publish",
    response_model=PublishPublic,
    responses={409: {"description": "publish_refused: the golden-question report is in detail.report"}},
)
async def publish(admin: AdminDep, container: ContainerDep) -> Any:
    """Publish the draft. The golden questions run on the draft and on the active version; when recall@5
    falls by more than ``RETRIEVAL__GATE_MARGIN`` the answer is 409 ``publish_refused`` with the report
    (which questions got worse, what each version found) and nothing changes."""
    try:
        report = await kb_versions.publish(container, tenant_id=admin.tenant_id, actor=actor_of(admin))
    except PublishRefused as exc:
        body = error_body(ErrorCode.PUBLISH_REFUSED, {"reason": exc.detail, "report": exc.report})
        return JSONResponse(body, status_code=ErrorCode.PUBLISH_REFUSED.status)
    version = await kb_admin.resolve_version(container, tenant_id=admin.tenant_id, target="active")
    counts = dict(
        (v.id, n) for v, n in await kb_admin.versions_with_counts(container, tenant_id=admin.tenant_id)
    )
    return PublishPublic(version=version_public(version, counts.get(version.id, 0)), report=report)


@router.post("/versions/{version_id}/rollback", response_model=VersionPublic)
async def rollback(version_id: str, admin: AdminDep, container: ContainerDep) -> VersionPublic:
    """Make an earlier published version the active one again (one call; the draft stays)."""
    await kb_versions.rollback(
        container, tenant_id=admin.tenant_id, version_id=version_id, actor=actor_of(admin)
    )
    version = await kb_admin.resolve_version(container, tenant_id=admin.tenant_id, target=version_id)
    counts = dict(
        (v.id, n) for v, n in await kb_admin.versions_with_counts(container, tenant_id=admin.tenant_id)
    )
    return version_public(version, counts.get(version.id, 0))


@router.post("/versions/draft/discard", status_code=204)
async def discard_draft(admin: AdminDep, container: ContainerDep) -> None:
    await kb_versions.discard_draft(container, tenant_id=admin.tenant_id, actor=actor_of(admin))


# --- hit-testing -----------------------------------------------------------------------------------------


@router.post("/hit-test", response_model=HitTestPublic)
async def hit_test(body: HitTestCreate, admin: AdminDep, container: ContainerDep) -> HitTestPublic:
    """The chunks a query retrieves from a version (``active``, ``draft`` or an id), best first, with the
    fused score the ranking uses and the dense (cosine) and BM25 scores and ranks behind it."""
    result = await kb_admin.hit_test(
        container,
        tenant_id=admin.tenant_id,
        query=body.query,
        target=body.version,
        k=body.k,
        lang=body.lang,
        collection=body.collection,
    )
    return HitTestPublic(
        version=result.version.label,
        version_state=kb_admin.version_state(result.version),
        good_enough=result.good_enough,
        elapsed_ms=result.elapsed_ms,
        hits=[HitPublic(**h) for h in result.hits],
    )
