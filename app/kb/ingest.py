"""Knowledge-base ingestion: files -> documents (SQL, original bytes kept) -> parsed, PII-scanned, chunked
-> a new immutable **draft** version (``kb_versions``: index built under its own name) -> published by
an admin (the console) or at once (``kefu ingest`` / ``kefu demo``, ``publish=True``).

Two steps so the slow part can run outside the request: ``store_files`` records the upload and an
ingestion job (fast, in the caller's request); ``run_ingestion_job`` does the work (the arq worker, an
in-process task in the embedded default, or the CLI with a progress bar). A file that cannot be used
(corrupt, empty, unsupported, PII under the "reject" policy, or refused at upload: too large, a bad name)
fails on its own with a stable error code; the others go on. A job may also remove documents (the
console's delete): the draft is rebuilt without them. The active version changes only on publish, when
the draft's index is complete: a query never sees a half-built index.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import logging
import mimetypes
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from app.container import Container
from app.db import crud_audit, crud_kb, crud_kb_admin, crud_ops
from app.errors import ErrorCode
from app.kb import versions as kb_versions
from app.kb.job_recovery import INTERRUPTED, JobAbandoned, heartbeat
from privacy.errors import DocumentHasPII
from privacy.ingestion import scan_document
from retrieval.chunking import Chunker
from retrieval.errors import DocumentRejected, PublishRefused, RetrievalError
from retrieval.loaders.isolated import load_document_isolated
from retrieval.types import Block, ChunkRecord, ParsedDocument

logger = logging.getLogger(__name__)

DEFAULT_COLLECTION = "default"
PiiPolicy = Literal["flag", "mask", "reject"]
IN_FLIGHT = ("queued", "parsing", "embedding")


@dataclass(frozen=True, slots=True)
class IngestFile:
    name: str  # file name, or path relative to the folder given (the document's source)
    data: bytes
    # Refused before parsing (at upload: too large, a bad name): (error code, detail). Recorded as a
    # failed document of the job, so the admin sees it beside the others.
    rejected: tuple[str, str] | None = None
    size: int | None = None  # bytes received, when ``data`` does not hold them all (a refused file)


@dataclass(frozen=True, slots=True)
class Progress:
    stage: str  # queued | parsing | embedding | indexing | publishing | done | failed
    documents_done: int
    documents_total: int
    chunks: int
    percent: float  # 0..100
    current: str = ""


ProgressFn = Callable[[Progress], None]


def collect_files(
    paths: Sequence[Path], *, exclude: Callable[[Path], bool] | None = None
) -> list[tuple[str, Path]]:
    """Files under ``paths`` (folders recursively, hidden files skipped), named relative to the folder."""
    out: list[tuple[str, Path]] = []
    for root in paths:
        if root.is_file():
            out.append((root.name, root))
            continue
        for f in sorted(root.rglob("*")):
            rel = f.relative_to(root)
            if (
                f.is_file()
                and not any(p.startswith(".") for p in rel.parts)
                and not (exclude and exclude(rel))
            ):
                out.append((rel.as_posix(), f))
    return out


async def store_files(
    container: Container,
    *,
    tenant_id: str,
    files: Sequence[IngestFile],
    collection: str = DEFAULT_COLLECTION,
    created_by: str | None = None,
    pii_policy: PiiPolicy | None = None,
    kind: str = "upload",
) -> tuple[str, list[str]]:
    """Record an ingestion job and its documents (status ``queued``; refused files ``failed`` with their
    code). Returns (job id, names skipped because the same bytes are already in the knowledge base being
    edited, or on their way into it). ``pii_policy`` overrides ``PRIVACY__INGESTION_POLICY`` for this
    upload (flag, mask or reject)."""
    skipped: list[str] = []
    working = await kb_versions.working_document_ids(container, tenant_id)
    async with container.sessions() as session:
        coll = await crud_kb.get_or_create_collection(session, tenant_id=tenant_id, name=collection)
        job = await crud_kb.create_job(session, tenant_id=tenant_id, documents_total=0, created_by=created_by)
        queued = refused = 0
        seen: set[str] = set()
        for f in files:
            digest = hashlib.sha256(f.data).hexdigest()
            if f.rejected is None:
                earlier = await crud_kb_admin.documents_with_hash(
                    session, tenant_id=tenant_id, content_hash=digest
                )
                if digest in seen or any(d.id in working or d.status in IN_FLIGHT for d in earlier):
                    skipped.append(f.name)
                    continue
                seen.add(digest)
            doc = await crud_kb.create_document(
                session,
                tenant_id=tenant_id,
                collection_id=coll.id,
                job_id=job.id,
                source=f.name[:500],
                mime_type=mimetypes.guess_type(f.name)[0] or "application/octet-stream",
                content_hash=digest,
                raw=f.data,
            )
            if f.rejected is not None:
                doc.size_bytes = f.size if f.size is not None else len(f.data)
                doc.status, doc.error_code, doc.error_detail = "failed", f.rejected[0], f.rejected[1][:500]
                refused += 1
            else:
                queued += 1
        job.documents_total = queued
        job.result = {
            "kind": kind,
            "skipped_duplicates": skipped,
            "refused": refused,
            "pii_policy": pii_policy or container.settings.privacy.ingestion_policy,
        }
        await crud_audit.record(
            session,
            tenant_id=tenant_id,
            actor_type="user" if created_by else "system",
            actor_id=created_by,
            action="kb.upload",
            target_type="ingestion_job",
            target_id=job.id,
            data={"documents": queued, "refused": refused, "skipped_duplicates": len(skipped)},
        )
        await session.commit()
        return job.id, skipped


async def create_removal_job(
    container: Container, *, tenant_id: str, document_ids: Sequence[str], created_by: str | None = None
) -> str:
    """A job that rebuilds the draft without ``document_ids`` (already marked deleted by the caller)."""
    async with container.sessions() as session:
        job = await crud_kb.create_job(session, tenant_id=tenant_id, documents_total=0, created_by=created_by)
        job.result = {"kind": "delete", "remove": list(document_ids)}
        await session.commit()
        return job.id


class _Reporter:
    """Progress to the job row (throttled) and to an optional callback (every step)."""

    def __init__(self, container: Container, tenant_id: str, job_id: str, total: int, cb: ProgressFn | None):
        self._c, self._tenant, self._job, self._total, self._cb = container, tenant_id, job_id, total, cb
        self._last = 0.0
        self.done = 0
        self.chunks = 0

    async def __call__(self, stage: str, percent: float, current: str = "", *, force: bool = False) -> None:
        p = Progress(stage, self.done, self._total, self.chunks, round(min(100.0, percent), 1), current)
        if self._cb is not None:
            self._cb(p)
        now = time.monotonic()
        if force or now - self._last >= 0.5:
            self._last = now
            async with self._c.sessions() as session:
                moved = await crud_kb.update_job(
                    session,
                    tenant_id=self._tenant,
                    job_id=self._job,
                    stage=stage,
                    progress=p.percent / 100.0,
                    documents_done=self.done,
                    chunks_total=self.chunks,
                    expect_status="running",
                )
                await session.commit()
            if not moved:  # recovery took this job for abandoned: stop before changing anything else
                raise JobAbandoned(f"ingestion job {self._job} is no longer running")


async def run_ingestion_job(
    container: Container,
    *,
    tenant_id: str,
    job_id: str,
    publish: bool = True,
    progress: ProgressFn | None = None,
    actor: kb_versions.Actor | None = None,
) -> dict[str, Any]:
    """Parse, scan and chunk the job's queued documents and build a new draft with them (replacing
    documents of the same source, and without the job's removed documents); with ``publish``, publish it
    at once through the golden-question gate. An unexpected failure (the index build) fails the job and
    its documents with ``index_build_failed`` and propagates; the active version is untouched. A job
    cancelled (the worker's shutdown grace ran out) fails with ``interrupted``.

    The job runs at most once: it is claimed (``queued`` -> ``running``) first, and a job that is not
    ``queued`` any more (a second delivery of the same arq job, after its worker died) is left as it is
    (the result says ``skipped``). While it runs, its row moves every ``JOBS_HEARTBEAT_S``
    (``job_recovery.heartbeat``)."""
    async with container.sessions() as session:
        job = await crud_kb.get_job(session, tenant_id=tenant_id, job_id=job_id)
        if job is None:
            raise ValueError(f"no ingestion job {job_id} for tenant {tenant_id}")
        claimed = await crud_ops.claim_job(session, tenant_id=tenant_id, job_id=job_id)
        await session.commit()
        if not claimed:
            await session.refresh(job)
            logger.warning("ingestion job %s is %s already: not run again", job_id, job.status)
            return {"indexed": 0, "failed": {}, "version": None, "chunks": 0, "skipped": job.status}
        docs = [
            d
            for d in await crud_kb.list_documents(session, tenant_id=tenant_id, status="queued")
            if d.job_id == job_id
        ]
        meta = dict(job.result or {})
        who = actor or (kb_versions.Actor("user", job.created_by) if job.created_by else kb_versions.SYSTEM)
    policy: PiiPolicy = meta.get("pii_policy") or container.settings.privacy.ingestion_policy
    remove = [str(d) for d in meta.get("remove", [])]
    report = _Reporter(container, tenant_id, job_id, len(docs), progress)
    ready: list[str] = []
    try:
        async with heartbeat(container, tenant_id=tenant_id, job_id=job_id):
            failed = await _parse_all(container, tenant_id, docs, policy, report, ready)
            result: dict[str, Any] = {
                "indexed": len(ready),
                "failed": failed,
                "version": None,
                "chunks": report.chunks,
            }
            if ready or remove:
                result.update(
                    await _draft_and_publish(container, tenant_id, ready, remove, who, report, publish)
                )
    except BaseException as exc:
        await _fail_job(container, tenant_id, job_id, ready, meta, exc)
        raise
    ok = bool(ready) or not docs
    async with container.sessions() as session:
        finished = await crud_kb.update_job(
            session,
            tenant_id=tenant_id,
            job_id=job_id,
            status="succeeded" if ok else "failed",
            stage="done",
            progress=1.0,
            documents_done=report.done,
            chunks_total=report.chunks,
            error_code=None if ok else "no_document_indexed",
            result={**meta, **result},
            expect_status="running",
        )
        await session.commit()
    if not finished:
        logger.warning("ingestion job %s finished after recovery had marked it failed", job_id)
    if progress is not None:
        progress(Progress("done", report.done, len(docs), report.chunks, 100.0))
    return result


async def _parse_all(
    container: Container,
    tenant_id: str,
    docs: Sequence[Any],
    policy: PiiPolicy,
    report: _Reporter,
    ready: list[str],
) -> dict[str, str]:
    """Parse, scan and chunk each document; the good ones are appended to ``ready``. Returns the failed
    ones' source -> error code."""
    await report("parsing", 0.0, force=True)
    failed: dict[str, str] = {}
    for doc in docs:
        await report("parsing", 40.0 * report.done / max(1, len(docs)), doc.source)
        try:
            chunks, parsed, pii = await _prepare(container, tenant_id, doc.id, doc.source, policy)
        except (DocumentRejected, DocumentHasPII, RetrievalError) as exc:
            code = getattr(exc, "code", "rejected")
            failed[doc.source] = code
            async with container.sessions() as session:
                await crud_kb.set_document_status(
                    session,
                    tenant_id=tenant_id,
                    document_id=doc.id,
                    status="failed",
                    error_code=code,
                    error_detail=str(exc)[:500],
                )
                await session.commit()
            logger.info("document %s rejected: %s", doc.id, code)
        else:
            async with container.sessions() as session:
                await crud_kb.add_chunks(session, tenant_id=tenant_id, document_id=doc.id, chunks=chunks)
                await crud_kb.set_document_status(
                    session,
                    tenant_id=tenant_id,
                    document_id=doc.id,
                    status="embedding",
                    title=parsed.title[:500],
                    lang=parsed.lang,
                    chunk_count=len(chunks),
                    pii_findings=pii,
                )
                await session.commit()
            ready.append(doc.id)
            report.chunks += len(chunks)
        report.done += 1
    return failed


async def _draft_and_publish(
    container: Container,
    tenant_id: str,
    ready: list[str],
    remove: list[str],
    actor: kb_versions.Actor,
    report: _Reporter,
    publish: bool,
) -> dict[str, Any]:
    await report("embedding", 40.0, force=True)

    async def on_build(stage: str, fraction: float, current: str) -> None:
        await report(stage, 40.0 + 55.0 * fraction, current)

    draft = await kb_versions.build_draft(
        container, tenant_id=tenant_id, add=ready, remove=remove, actor=actor, progress=on_build
    )
    out: dict[str, Any] = {"version": draft.label, "published": False, "note": "draft: publish it to go live"}
    if publish:
        await report("publishing", 97.0, draft.label, force=True)
        try:
            gate = await kb_versions.publish(container, tenant_id=tenant_id, actor=actor)
        except PublishRefused as exc:
            out["note"] = exc.detail
        else:
            out.update(published=True, note=gate["reason"])
    return out


async def _fail_job(
    container: Container,
    tenant_id: str,
    job_id: str,
    ready: list[str],
    meta: dict[str, Any],
    exc: BaseException,
) -> None:
    if isinstance(exc, JobAbandoned):  # recovery has already written the job's end
        logger.error("ingestion job %s stopped: recovery had marked it failed", job_id)
        return
    if isinstance(exc, asyncio.CancelledError):  # shut down before it finished (no grace left)
        code, detail = INTERRUPTED, "the worker stopped before this job finished; upload the files again"
    else:
        raw = getattr(exc, "code", None)
        named = raw.code if isinstance(raw, ErrorCode) else raw  # an AppError carries an ErrorCode
        code = named if isinstance(named, str) and named else "index_build_failed"
        detail = str(getattr(exc, "detail", "") or exc)[:500] or type(exc).__name__
    logger.error("ingestion job %s failed (%s): %s", job_id, code, type(exc).__name__)
    with contextlib.suppress(Exception):  # best effort: the original error is what propagates
        async with container.sessions() as session:
            for doc_id in ready:
                await crud_kb.set_document_status(
                    session, tenant_id=tenant_id, document_id=doc_id, status="failed",
                    error_code=code, error_detail=detail,
                )  # fmt: skip
            # and those not reached yet, or cut mid-parse: none stays "queued"/"parsing" forever
            await crud_ops.fail_job_documents(
                session, tenant_id=tenant_id, job_id=job_id, code=code, detail=detail
            )
            await crud_kb.update_job(
                session, tenant_id=tenant_id, job_id=job_id, status="failed", stage="failed",
                error_code=code, error_detail=detail, result=meta, expect_status="running",
            )  # fmt: skip
            await session.commit()


async def _prepare(
    container: Container, tenant_id: str, document_id: str, source: str, policy: PiiPolicy
) -> tuple[list[ChunkRecord], ParsedDocument, dict[str, int]]:
    async with container.sessions() as session:
        raw = await crud_kb.get_document_raw(session, tenant_id=tenant_id, document_id=document_id)
        await crud_kb.set_document_status(
            session, tenant_id=tenant_id, document_id=document_id, status="parsing"
        )
        await session.commit()
    config = container.settings.retrieval
    # A synced web page is named by its URL; it is stored as HTML (app.connectors.extract).
    is_page = source.startswith(("http://", "https://"))
    # Parsed in a child process with memory, CPU and wall-clock limits: a hostile file costs the serving
    # process neither memory nor the GIL (ParseLimitExceeded: parse_limit_exceeded).
    parsed = await asyncio.to_thread(
        load_document_isolated, raw or b"", "page.html" if is_page else source, config
    )
    if is_page:
        title = parsed.title if parsed.title != "page.html" else source
        parsed = dataclasses.replace(parsed, source=source, title=title)
    parsed, pii = await asyncio.to_thread(_scan, container, parsed, policy)
    chunks = await asyncio.to_thread(Chunker(config).chunk, parsed, document_id)
    if not chunks:
        raise DocumentRejected("no_text", "no text to index was found in the document")
    return chunks, parsed, pii


def _scan(
    container: Container, parsed: ParsedDocument, policy: PiiPolicy
) -> tuple[ParsedDocument, dict[str, int]]:
    """PII in a KB document: flagged (indexed as is, counted for the admin), masked or rejected."""
    sections: list[str] = []
    for b in parsed.blocks:
        sections += [b.question, b.text]
    skip = container.settings.privacy.ingestion_skip_types  # the bank's names and places
    report = scan_document(container.masker, sections, policy=policy, skip_types=frozenset(skip))
    counts = dict(report.counts)
    if report.decision != "masked":
        return parsed, counts
    texts = list(report.texts)
    blocks: list[Block] = []
    for i, b in enumerate(parsed.blocks):
        blocks.append(dataclasses.replace(b, question=texts[2 * i], text=texts[2 * i + 1]))
    return dataclasses.replace(parsed, blocks=tuple(blocks)), counts
