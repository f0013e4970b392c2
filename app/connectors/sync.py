"""One sync of a knowledge source: scan it, turn what changed into an ingestion job, build the draft KB
version from the previous one plus the changes, run the golden-question gate, publish (or leave the
draft for an admin), and write the run's report.

Only new and changed pages or files are stored and parsed (``kb_ingest``'s loaders, PII scan and chunker,
under the same limits as uploads); the new version's unchanged chunks find their vectors in the
embedding cache, so only the changed documents' chunks are embedded. Removed pages become removals of
the draft. With ``auto_publish`` the draft is published through the gate at once (refused: it stays a
draft, the report says why); without, the gate's report is computed and the draft waits for an admin.

A sync runs as a background job (``SYNC_JOB``; the arq worker, or an in-process task) and at most one
per source at a time (a partial unique index on the open runs); its row moves while it runs (progress,
then the report). A run still ``running`` whose row has not moved for ``JOBS_STALE_AFTER_S`` lost its
process: the next sync of the source marks it failed ``interrupted``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.audit import record_by
from app.connectors import folder as folder_scan
from app.connectors import web
from app.connectors.changes import Change, Known, Scan
from app.connectors.sources import folder_settings, web_settings
from app.container import Container
from app.db import crud_kb, crud_kb_admin, crud_sources
from app.db.base import utcnow
from app.db.models import KbSource, KbSourceSync
from app.errors import AppError, ErrorCode
from app.kb import ingest as kb_ingest
from app.kb import versions as kb_versions
from app.kb.job_recovery import beating
from app.kb.versions import Actor

logger = logging.getLogger(__name__)

SYNC_JOB = "source_sync_job"
MAX_REPORTED_ITEMS = 2000
QUEUED_STALE = timedelta(hours=1)
FINISHED = ("succeeded", "failed")


@dataclass(frozen=True, slots=True)
class SyncOutcome:
    sync_id: str
    status: str
    version: str | None
    published: bool
    active: bool  # the sync's version is the tenant's active version now


# ------------------------------------------------------------------------------------------------- start


async def start_sync(
    container: Container,
    *,
    tenant_id: str,
    source_id: str,
    actor: Actor,
    trigger: str = "manual",
    enqueue: bool = True,
) -> str:
    """Record a sync run of the source and start it (the worker, or an in-process task; with
    ``enqueue=False`` the caller runs it: ``run_sync``). Raises ``AppError`` 404 for an unknown source,
    409 ``sync_in_progress`` while another run of it is open."""
    async with container.sessions() as session:
        source = await crud_sources.get_source(session, tenant_id=tenant_id, source_id=source_id)
        if source is None:
            raise AppError(ErrorCode.NOT_FOUND, "no such source")
        name = source.name
        await _close_stale(container, session, tenant_id, source_id)
        try:
            row = await crud_sources.create_sync(
                session, tenant_id=tenant_id, source_id=source_id, trigger=trigger, created_by=actor.user_id
            )
            await crud_sources.mark_source_synced(
                session, tenant_id=tenant_id, source_id=source_id, at=utcnow()
            )
            await session.commit()
        except IntegrityError:
            await session.rollback()
            raise AppError(ErrorCode.SYNC_IN_PROGRESS, f"a sync of {name!r} is already running") from None
        sync_id = row.id
    if enqueue:
        await container.jobs.enqueue(SYNC_JOB, tenant_id=tenant_id, sync_id=sync_id)
    return sync_id


async def _close_stale(container: Container, session: Any, tenant_id: str, source_id: str) -> None:
    now = utcnow()
    stale_after = timedelta(seconds=container.settings.jobs_stale_after_s)
    for run in await crud_sources.unfinished_syncs(session, tenant_id=tenant_id, source_id=source_id):
        if (run.status == "running" and run.updated_at < now - stale_after) or (
            run.status == "queued" and run.created_at < now - QUEUED_STALE
        ):
            await crud_sources.update_sync(
                session, tenant_id=tenant_id, sync_id=run.id, expect_status=run.status,
                values={"status": "failed", "stage": "failed", "error_code": "interrupted",
                        "error_detail": "the process running this sync stopped before it finished"},
            )  # fmt: skip
    await session.flush()


# ---------------------------------------------------------------------------------------------------- run


async def run_sync(container: Container, *, tenant_id: str, sync_id: str) -> SyncOutcome:
    """Run a queued sync (once: it is claimed first) to its end; the report is on its row."""
    async with container.sessions() as session:
        claimed = await crud_sources.update_sync(
            session, tenant_id=tenant_id, sync_id=sync_id, expect_status="queued",
            values={"status": "running", "stage": "fetching"},
        )  # fmt: skip
        await session.commit()
        run = await crud_sources.get_sync(session, tenant_id=tenant_id, sync_id=sync_id)
        if run is None:
            raise ValueError(f"no sync {sync_id} for tenant {tenant_id}")
        if not claimed:
            logger.warning("sync %s is %s already: not run again", sync_id, run.status)
            return await outcome_of(container, tenant_id=tenant_id, sync_id=sync_id)
        source = await crud_sources.get_source(session, tenant_id=tenant_id, source_id=run.source_id)
        assert source is not None
        actor = Actor("user", run.created_by) if run.created_by else kb_versions.SYSTEM
    t0 = time.monotonic()
    progress = _Progress(container, tenant_id, sync_id)
    try:
        async with _heartbeat(container, tenant_id, sync_id):
            values = await _run(container, source, actor, progress)
    except BaseException as exc:
        code = getattr(exc, "code", None)
        code = code.code if isinstance(code, ErrorCode) else code
        if not isinstance(code, str) or not code:
            code = "interrupted" if isinstance(exc, asyncio.CancelledError) else "sync_failed"
        detail = str(getattr(exc, "detail", "") or exc)[:500] or type(exc).__name__
        logger.error("sync %s of source %s failed (%s): %s", sync_id, source.id, code, detail)
        with contextlib.suppress(Exception):
            await _finish(container, tenant_id, sync_id, {
                "status": "failed", "stage": "failed", "error_code": code, "error_detail": detail,
                "elapsed_s": round(time.monotonic() - t0, 3),
            })  # fmt: skip
        if isinstance(exc, (asyncio.CancelledError, KeyboardInterrupt)) or not isinstance(exc, Exception):
            raise
        return await outcome_of(container, tenant_id=tenant_id, sync_id=sync_id)
    values["elapsed_s"] = round(time.monotonic() - t0, 3)
    await _finish(container, tenant_id, sync_id, values)
    return await outcome_of(container, tenant_id=tenant_id, sync_id=sync_id)


async def _finish(container: Container, tenant_id: str, sync_id: str, values: dict[str, Any]) -> None:
    async with container.sessions() as session:
        await crud_sources.update_sync(
            session, tenant_id=tenant_id, sync_id=sync_id, expect_status="running", values=values
        )
        await session.commit()


async def outcome_of(container: Container, *, tenant_id: str, sync_id: str) -> SyncOutcome:
    async with container.sessions() as session:
        run = await crud_sources.get_sync(session, tenant_id=tenant_id, sync_id=sync_id)
        if run is None:
            raise AppError(ErrorCode.NOT_FOUND, "no such sync")
        active = await crud_kb.get_active_version(session, tenant_id=tenant_id)
    is_active = run.status == "succeeded" and active is not None and run.version == active.label
    return SyncOutcome(run.id, run.status, run.version, run.published, is_active)


async def wait(container: Container, *, tenant_id: str, sync_id: str, poll_s: float = 0.5) -> KbSourceSync:
    """Wait until the sync has finished (the CLI's ``--wait``); returns its row."""
    while True:
        async with container.sessions() as session:
            run = await crud_sources.get_sync(session, tenant_id=tenant_id, sync_id=sync_id)
        if run is None:
            raise AppError(ErrorCode.NOT_FOUND, "no such sync")
        if run.status in FINISHED:
            return run
        await asyncio.sleep(poll_s)


class _Progress:
    """Moves the sync row (at most every half second, and at every stage change)."""

    def __init__(self, container: Container, tenant_id: str, sync_id: str) -> None:
        self._c, self._tenant, self.sync_id = container, tenant_id, sync_id
        self._last = 0.0
        self._stage = ""

    async def __call__(self, stage: str, fraction: float, current: str = "", seen: int | None = None) -> None:
        now = time.monotonic()
        if stage == self._stage and now - self._last < 0.5:
            return
        self._stage, self._last = stage, now
        values: dict[str, Any] = {"stage": stage, "progress": round(min(1.0, max(0.0, fraction)), 4),
                                  "current": current[:1000]}  # fmt: skip
        if seen is not None:
            values["items_seen"] = seen
        async with self._c.sessions() as session:
            await crud_sources.update_sync(
                session, tenant_id=self._tenant, sync_id=self.sync_id, expect_status="running", values=values
            )
            await session.commit()


@contextlib.asynccontextmanager
async def _heartbeat(container: Container, tenant_id: str, sync_id: str) -> AsyncIterator[None]:
    async def touch(session: AsyncSession) -> bool:
        await crud_sources.update_sync(
            session, tenant_id=tenant_id, sync_id=sync_id, expect_status="running", values={}
        )
        return True  # a sync that is no longer running finds out at its next progress write

    async with beating(container, touch, what=f"sync {sync_id}", task_name=f"sync-heartbeat:{sync_id}"):
        yield


# ------------------------------------------------------------------------------------------- the work


async def _known(container: Container, source: KbSource) -> dict[str, Known]:
    working = await kb_versions.working_document_ids(container, source.tenant_id)
    async with container.sessions() as session:
        rows = await crud_sources.list_items(session, tenant_id=source.tenant_id, source_id=source.id)
    return {
        r.key: Known(
            key=r.key,
            document_id=r.document_id,
            etag=r.etag,
            last_modified=r.last_modified,
            content_hash=r.content_hash,
            links=tuple(str(u) for u in r.links or ()),
            in_kb=r.document_id is not None and r.document_id in working,
        )
        for r in rows
    }


async def scan_source(container: Container, source: KbSource, known: dict[str, Known], progress: Any) -> Scan:
    settings = container.settings
    max_bytes = settings.retrieval.max_file_bytes

    async def on_scan(seen: int, expected: int, current: str) -> None:
        await progress("fetching", 0.5 * seen / max(1, expected, seen), current, seen)

    if source.kind == "folder":
        fs = folder_settings(source)
        return await folder_scan.scan_folder(
            fs, known, max_files=settings.connectors.max_files, max_bytes=max_bytes, progress=on_scan
        )
    ws = web_settings(source.config)
    async with web.fetcher_for(ws, settings.connectors, max_bytes) as fetcher:
        return await web.scan_web(ws, settings.connectors, fetcher, known, on_scan)


async def _run(container: Container, source: KbSource, actor: Actor, progress: _Progress) -> dict[str, Any]:
    tenant_id = source.tenant_id
    known = await _known(container, source)
    await progress("fetching", 0.0, source.name, 0)
    scan = await scan_source(container, source, known, progress)
    changed = [c for c in scan.changes if c.outcome in ("added", "changed")]
    removed = [c for c in scan.changes if c.outcome == "removed"]
    fetched_any = any(c.outcome != "failed" for c in scan.changes)
    if not fetched_any and scan.changes:  # the site is down, or refused: nothing is changed
        first = next(c for c in scan.changes if c.outcome == "failed")
        detail = f"no page or file could be read; {first.key}: {first.code} {first.detail}"
        return {**_report(scan, {}), "status": "failed", "stage": "failed", "progress": 1.0,
                "error_code": "nothing_fetched", "error_detail": detail[:500]}  # fmt: skip
    remove_ids = [
        k.document_id for c in removed if (k := known.get(c.key)) is not None and k.document_id and k.in_kb
    ]
    parse_failed: dict[str, tuple[str, str]] = {}
    doc_ids: dict[str, str] = {}
    values: dict[str, Any] = {}
    if changed or remove_ids:
        job_id, doc_ids = await _store(container, source, changed, remove_ids, actor)
        async with container.sessions() as session:
            await crud_sources.update_sync(
                session, tenant_id=tenant_id, sync_id=progress.sync_id, expect_status="running",
                values={"job_id": job_id, "stage": "ingesting", "progress": 0.5},
            )  # fmt: skip
            await session.commit()

        def on_ingest(p: kb_ingest.Progress) -> None:
            pending.append(p)

        pending: list[kb_ingest.Progress] = []

        async def forward() -> None:
            while True:
                await asyncio.sleep(0.5)
                if pending:
                    p = pending[-1]
                    pending.clear()
                    await progress("ingesting", 0.5 + 0.45 * p.percent / 100.0, p.current)

        forwarder = asyncio.create_task(forward())
        try:
            result = await kb_ingest.run_ingestion_job(
                container, tenant_id=tenant_id, job_id=job_id, publish=source.auto_publish,
                progress=on_ingest, actor=actor,
            )  # fmt: skip
        finally:
            forwarder.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await forwarder
        async with container.sessions() as session:
            docs = await crud_kb_admin.job_documents(session, tenant_id=tenant_id, job_id=job_id)
        by_doc = {d.id: d for d in docs}
        for key, doc_id in doc_ids.items():
            d = by_doc.get(doc_id)
            if d is not None and d.status == "failed":
                parse_failed[key] = (d.error_code or "rejected", d.error_detail or "")
        values.update(version=result.get("version"), published=bool(result.get("published")),
                      note=str(result.get("note", "")))  # fmt: skip
    await progress("gate", 0.96, source.name)
    values.update(await _gate(container, source, values))
    await _record_items(container, source, scan, known, doc_ids, parse_failed)
    report = _report(scan, parse_failed)
    values.update(report)
    values.update(status="succeeded", stage="done", progress=1.0, current="")
    async with container.sessions() as session:
        await record_by(
            session, actor, tenant_id=tenant_id,
            action="kb.source_sync", target_type="kb_source", target_id=source.id,
            data={"counts": report["counts"], "version": values.get("version"),
                  "published": values.get("published", False)},
        )  # fmt: skip
        await session.commit()
    return values


async def _store(
    container: Container, source: KbSource, changed: list[Change], remove_ids: list[str], actor: Actor
) -> tuple[str, dict[str, str]]:
    """One ingestion job holding the changed documents (queued) and the removals; removed documents are
    marked deleted (the active version serves them until the draft without them is published)."""
    tenant_id = source.tenant_id
    async with container.sessions() as session:
        coll = await crud_kb.get_or_create_collection(session, tenant_id=tenant_id, name=source.name[:200])
        job = await crud_kb.create_job(
            session, tenant_id=tenant_id, documents_total=len(changed), created_by=actor.user_id
        )
        job.result = {
            "kind": "sync",
            "source_id": source.id,
            "remove": remove_ids,
            "pii_policy": container.settings.privacy.ingestion_policy,
        }
        doc_ids: dict[str, str] = {}
        for c in changed:
            doc = await crud_kb.create_document(
                session, tenant_id=tenant_id, collection_id=coll.id, job_id=job.id, source=c.name[:500],
                mime_type=c.mime_type, content_hash=hashlib.sha256(c.data).hexdigest(), raw=c.data,
            )  # fmt: skip
            doc_ids[c.key] = doc.id
        for doc_id in remove_ids:
            await crud_kb.set_document_status(
                session, tenant_id=tenant_id, document_id=doc_id, status="deleted"
            )
        await session.commit()
        return job.id, doc_ids


async def _gate(container: Container, source: KbSource, values: dict[str, Any]) -> dict[str, Any]:
    """The version this sync leaves (its draft, or when nothing changed the open draft or the active
    version) and the golden-question report: stored by the publish (passed or refused) or, without
    ``auto_publish``, computed here for the admin who will publish."""
    tenant_id = source.tenant_id
    async with container.sessions() as session:
        active = await crud_kb.get_active_version(session, tenant_id=tenant_id)
        draft = await crud_kb_admin.get_open_draft(session, tenant_id=tenant_id)
        versions = {v.label: v for v in await crud_kb.list_versions(session, tenant_id=tenant_id)}
    label = values.get("version")
    if label is None:  # nothing changed: what holds the source's content now
        current = draft or active
        return {"version": current.label if current else None, "published": False,
                "note": "no change" if current is None or current.is_active else
                f"no change; the earlier draft {current.label} is not published"}  # fmt: skip
    row = versions.get(label)
    if row is None:
        return {}
    if row.golden_report:
        return {"gate": dict(row.golden_report)}
    if row.status == "draft":
        gate = await kb_versions.golden_gate(container, tenant_id, row, active)
        return {"gate": kb_versions.gate_json(gate, row.label, active.label if active else None)}
    return {}


async def _record_items(
    container: Container,
    source: KbSource,
    scan: Scan,
    known: dict[str, Known],
    doc_ids: dict[str, str],
    parse_failed: dict[str, tuple[str, str]],
) -> None:
    tenant_id = source.tenant_id
    gone: list[str] = []
    async with container.sessions() as session:
        for c in scan.changes:
            k = known.get(c.key)
            if c.outcome == "removed":
                gone.append(c.key)
            elif c.outcome == "unchanged" and k is not None and c.code != "not_checked":
                await crud_sources.upsert_item(
                    session, tenant_id=tenant_id, source_id=source.id, key=c.key, document_id=k.document_id,
                    etag=c.etag, last_modified=c.last_modified, content_hash=c.content_hash,
                    links=list(c.links),
                )  # fmt: skip
            elif c.outcome in ("added", "changed") and c.key not in parse_failed and c.key in doc_ids:
                await crud_sources.upsert_item(
                    session, tenant_id=tenant_id, source_id=source.id, key=c.key, document_id=doc_ids[c.key],
                    etag=c.etag, last_modified=c.last_modified, content_hash=c.content_hash,
                    links=list(c.links),
                )  # fmt: skip
        await crud_sources.delete_items(session, tenant_id=tenant_id, source_id=source.id, keys=gone)
        await session.commit()


def _report(scan: Scan, parse_failed: dict[str, tuple[str, str]]) -> dict[str, Any]:
    counts = {"added": 0, "changed": 0, "removed": 0, "unchanged": 0, "failed": 0}
    items: list[dict[str, str]] = []
    for c in scan.changes:
        outcome, code, detail = c.outcome, c.code, c.detail
        if c.key in parse_failed:
            outcome, (code, detail) = "failed", parse_failed[c.key]
        counts[outcome] += 1
        if outcome != "unchanged" and len(items) < MAX_REPORTED_ITEMS:
            items.append({"key": c.key, "outcome": outcome, "code": code, "detail": detail[:300]})
    order = {"failed": 0, "removed": 1, "changed": 2, "added": 3}
    items.sort(key=lambda i: (order.get(i["outcome"], 9), i["key"]))
    counts["capped"] = int(scan.capped)
    return {"counts": counts, "items": items, "items_seen": len(scan.changes)}
