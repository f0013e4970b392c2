"""Knowledge-base ingestion: files -> documents (SQL, original bytes kept) -> parsed, PII-scanned, chunked
-> a new immutable KB version (index built under its own name) -> published and active.

Two steps so the slow part can run outside the request: ``store_files`` records the upload and an
ingestion job (fast, in the caller's request); ``run_ingestion_job`` does the work (the arq worker, an
in-process task in the embedded default, or the CLI with a progress bar). A file that cannot be used
(corrupt, empty, unsupported, PII under the "reject" policy) fails on its own with a stable error code;
the others go on. The active version changes only when the new index is complete: a query never sees a
half-built index.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import hashlib
import logging
import mimetypes
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from app.container import Container
from app.db import crud_audit, crud_kb
from privacy.errors import DocumentHasPII
from privacy.ingestion import scan_document
from retrieval.chunking import Chunker
from retrieval.errors import DocumentRejected, RetrievalError
from retrieval.golden import GateDecision, GoldenQuestion, check_publish
from retrieval.loaders import load_document
from retrieval.types import Block, ChunkRecord, ParsedDocument

logger = logging.getLogger(__name__)

DEFAULT_COLLECTION = "default"
PiiPolicy = Literal["flag", "mask", "reject"]


@dataclass(frozen=True, slots=True)
class IngestFile:
    name: str  # file name, or path relative to the folder given (the document's source)
    data: bytes


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
) -> tuple[str, list[str]]:
    """Record an ingestion job and its documents (status ``queued``). Returns (job id, names skipped
    because the same bytes are already in the knowledge base). ``pii_policy`` overrides
    ``PRIVACY__INGESTION_POLICY`` for this upload (flag, mask or reject)."""
    skipped: list[str] = []
    async with container.sessions() as session:
        coll = await crud_kb.get_or_create_collection(session, tenant_id=tenant_id, name=collection)
        job = await crud_kb.create_job(session, tenant_id=tenant_id, documents_total=0, created_by=created_by)
        queued = 0
        seen: set[str] = set()
        for f in files:
            digest = hashlib.sha256(f.data).hexdigest()
            if digest in seen or await crud_kb.find_live_document_by_hash(
                session, tenant_id=tenant_id, content_hash=digest
            ):
                skipped.append(f.name)
                continue
            seen.add(digest)
            await crud_kb.create_document(
                session,
                tenant_id=tenant_id,
                collection_id=coll.id,
                job_id=job.id,
                source=f.name,
                mime_type=mimetypes.guess_type(f.name)[0] or "application/octet-stream",
                content_hash=digest,
                raw=f.data,
            )
            queued += 1
        job.documents_total = queued
        job.result = {
            "skipped_duplicates": skipped,
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
            data={"documents": queued, "skipped_duplicates": len(skipped)},
        )
        await session.commit()
        return job.id, skipped


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
                await crud_kb.update_job(
                    session,
                    tenant_id=self._tenant,
                    job_id=self._job,
                    status="running",
                    stage=stage,
                    progress=p.percent / 100.0,
                    documents_done=self.done,
                    chunks_total=self.chunks,
                )
                await session.commit()


async def run_ingestion_job(
    container: Container,
    *,
    tenant_id: str,
    job_id: str,
    publish: bool = True,
    progress: ProgressFn | None = None,
) -> dict[str, Any]:
    """Parse, scan and chunk the job's queued documents, build a new version with them (replacing documents
    of the same source in the active version) and, with ``publish``, make it the active one."""
    async with container.sessions() as session:
        job = await crud_kb.get_job(session, tenant_id=tenant_id, job_id=job_id)
        if job is None:
            raise ValueError(f"no ingestion job {job_id} for tenant {tenant_id}")
        docs = [
            d
            for d in await crud_kb.list_documents(session, tenant_id=tenant_id, status="queued")
            if d.job_id == job_id
        ]
    policy: PiiPolicy = (job.result or {}).get("pii_policy") or container.settings.privacy.ingestion_policy
    report = _Reporter(container, tenant_id, job_id, len(docs), progress)
    await report("parsing", 0.0, force=True)
    failed: dict[str, str] = {}
    ready: list[str] = []
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
    result: dict[str, Any] = {
        "indexed": len(ready),
        "failed": failed,
        "version": None,
        "chunks": report.chunks,
    }
    if ready:
        label, published, note = await _build_version(container, tenant_id, ready, report, publish=publish)
        result.update(version=label, published=published, note=note)
    async with container.sessions() as session:
        await crud_kb.update_job(
            session,
            tenant_id=tenant_id,
            job_id=job_id,
            status="succeeded" if ready or not docs else "failed",
            stage="done",
            progress=1.0,
            documents_done=report.done,
            chunks_total=report.chunks,
            error_code=None if ready or not docs else "no_document_indexed",
            result={**(job.result or {}), **result},
        )
        await session.commit()
    if progress is not None:
        progress(Progress("done", report.done, len(docs), report.chunks, 100.0))
    return result


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
    parsed = await asyncio.to_thread(load_document, raw or b"", source, config)
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
    report = scan_document(container.masker, sections, policy=policy)
    counts = dict(report.counts)
    if report.decision != "masked":
        return parsed, counts
    texts = list(report.texts)
    blocks: list[Block] = []
    for i, b in enumerate(parsed.blocks):
        blocks.append(dataclasses.replace(b, question=texts[2 * i], text=texts[2 * i + 1]))
    return dataclasses.replace(parsed, blocks=tuple(blocks)), counts


async def _build_version(
    container: Container, tenant_id: str, new_ids: list[str], report: _Reporter, *, publish: bool
) -> tuple[str, bool, str]:
    """(label, published, note): the note says why a version was built but not published."""
    async with container.sessions() as session:
        active = await crud_kb.get_active_version(session, tenant_id=tenant_id)
        keep: list[str] = []
        if active is not None:
            new_sources = {
                d.source
                for d in await crud_kb.list_documents(session, tenant_id=tenant_id)
                if d.id in new_ids
            }
            for doc_id in await crud_kb.document_ids_of_version(session, version_id=active.id):
                d = await crud_kb.get_document(session, tenant_id=tenant_id, document_id=doc_id)
                if d is not None and d.status == "indexed" and d.source not in new_sources:
                    keep.append(doc_id)
        embedder = container.embedder.name if container.embedder is not None else ""
        version = await crud_kb.create_version(
            session, tenant_id=tenant_id, document_ids=[*keep, *new_ids], embedder=embedder, chunk_count=0
        )
        await session.commit()
        version_id, label = version.id, version.label
        chunks = await crud_kb.chunks_of_version(session, tenant_id=tenant_id, version_id=version_id)
    await report("embedding", 40.0, label, force=True)
    latest = [0, len(chunks)]  # written by the build thread, read by the poller below

    def on_progress(stage: str, done: int, total: int) -> None:
        latest[0], latest[1] = (done, total) if stage == "embedding" else (total, total)

    async def poll() -> None:
        while True:
            await asyncio.sleep(0.5)
            await report("embedding", 40.0 + 55.0 * latest[0] / max(1, latest[1]), label)

    poller = asyncio.create_task(poll())
    try:
        await asyncio.to_thread(
            functools.partial(
                container.index_store.build_version, tenant_id, label, chunks, progress=on_progress
            )
        )
    finally:
        poller.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await poller
    gate = await _golden_gate(container, tenant_id, label) if publish else None
    await report("publishing" if publish else "indexing", 97.0, label, force=True)
    async with container.sessions() as session:
        built = await crud_kb.get_version(session, tenant_id=tenant_id, version_id=version_id)
        assert built is not None
        built.chunk_count = len(chunks)
        for doc_id in new_ids:
            await crud_kb.set_document_status(
                session, tenant_id=tenant_id, document_id=doc_id, status="indexed"
            )
        if gate is not None and not gate.allowed:
            built.golden_report = _gate_json(gate)
            built.notes = "publish refused by the golden-question gate: " + gate.reason
            logger.warning("tenant %s: %s not published: %s", tenant_id, label, gate.reason)
        elif publish:
            await crud_kb.activate_version(
                session,
                tenant_id=tenant_id,
                version_id=version_id,
                golden_report=_gate_json(gate) if gate else None,
            )
            await crud_audit.record(
                session,
                tenant_id=tenant_id,
                actor_type="system",
                actor_id=None,
                action="kb.publish",
                target_type="kb_version",
                target_id=version_id,
                data={"label": label, "chunks": len(chunks), "documents": len(keep) + len(new_ids)},
            )
        await session.commit()
    if gate is not None and not gate.allowed:
        return label, False, gate.reason
    return label, publish, gate.reason if gate else "built, not published (--no-publish)"


async def _golden_gate(container: Container, tenant_id: str, label: str) -> GateDecision:
    """The tenant's golden questions on the new version against the active one: refused when recall@5
    drops by more than ``RETRIEVAL__GATE_MARGIN``."""
    async with container.sessions() as session:
        rows = await crud_kb.list_golden_questions(session, tenant_id=tenant_id)
    questions = [
        GoldenQuestion(id=r.id, question=r.question, expected=tuple(r.expected_document_ids))
        for r in rows
        if r.expected_document_ids
    ]
    active = await container.knowledge.active(tenant_id)
    candidate = await asyncio.to_thread(container.index_store.open, tenant_id, label)
    return await asyncio.to_thread(
        check_publish,
        candidate,
        active.retriever if active else None,
        questions,
        container.settings.retrieval.gate_margin,
    )


def _gate_json(gate: GateDecision) -> dict[str, Any]:
    return {
        "allowed": gate.allowed,
        "reason": gate.reason,
        "recall_at_5": gate.candidate_recall,
        "active_recall_at_5": gate.active_recall,
        "changes": [
            {
                "id": c.id,
                "question": c.question,
                "before": c.active_recall,
                "after": c.candidate_recall,
                "direction": c.direction,
            }
            for c in gate.changes
        ],
    }
