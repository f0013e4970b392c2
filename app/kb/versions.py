"""Knowledge-base versions: uploads and deletions build a **draft**; **publish** makes the draft the
active version after the golden-question gate; **rollback** re-activates an earlier published version.

Versions are immutable: every change builds a new version (its index under its own name, renamed into
place only when complete) and the active pointer moves in SQL in one statement, so a query in flight keeps
the index it opened and never sees a half-built one. At most one draft is open per tenant: a new change
builds on it (or on the active version when there is none) and the previous draft is archived as
superseded. All of it runs under the tenant's KB write lock (``kb_lock``), so two changes never build
from the same base and lose one another.

Publishing also calibrates the version's retrieval floor on its own content (``retrieval.calibration``)
and stores it with the version; the publish report shows it beside the golden-question gate.

Golden questions name expected documents by id; a re-uploaded file is a new document with the same source
(file name), so the gate compares versions by source: replacing ``faq.csv`` does not count as losing it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from app.answering import answer_cache
from app.auth.audit import record_by
from app.container import Container
from app.db import crud_kb, crud_kb_admin
from app.db.models import KbVersion
from app.errors import AppError, ErrorCode
from app.kb.index_kind import tenant_index_kind
from app.kb.lock import kb_write_lock
from retrieval.calibration import FloorCalibration, apply_floor, bounds_for, calibrate_floor
from retrieval.errors import IndexUnavailable, PublishRefused, VersionExists
from retrieval.golden import GateDecision, GoldenQuestion, check_publish
from retrieval.hybrid import HybridRetriever
from retrieval.protocols import Retriever
from retrieval.types import SearchFilters, SearchResult

logger = logging.getLogger(__name__)

# (stage, fraction 0..1 of the build, current item)
BuildProgress = Callable[[str, float, str], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Actor:
    actor_type: str  # user | api_key | system
    actor_id: str | None

    @property
    def user_id(self) -> str | None:
        return self.actor_id if self.actor_type == "user" else None


SYSTEM = Actor("system", None)


@dataclass(frozen=True, slots=True)
class DraftBuilt:
    version_id: str
    label: str
    documents: int
    chunks: int


def lock(container: Container, tenant_id: str) -> contextlib.AbstractAsyncContextManager[None]:
    s = container.settings
    return kb_write_lock(
        redis=container.redis,
        namespace=s.redis_namespace,
        data_dir=s.data_dir,
        tenant_id=tenant_id,
        lease_s=s.kb_lock_lease_s,
    )


async def working_document_ids(container: Container, tenant_id: str) -> set[str]:
    """Documents of the open draft, or of the active version when there is no draft."""
    async with container.sessions() as session:
        base = await crud_kb_admin.get_open_draft(session, tenant_id=tenant_id)
        base = base or await crud_kb.get_active_version(session, tenant_id=tenant_id)
        if base is None:
            return set()
        return set(await crud_kb.document_ids_of_version(session, version_id=base.id))


async def build_draft(
    container: Container,
    *,
    tenant_id: str,
    add: Sequence[str] = (),
    remove: Sequence[str] = (),
    actor: Actor = SYSTEM,
    progress: BuildProgress | None = None,
) -> DraftBuilt:
    """A new draft: the open draft (or the active version) plus ``add`` (replacing documents of the same
    source) minus ``remove``. Raises ``AppError(CONFLICT)`` when the result would hold no document (an
    empty knowledge base cannot be indexed: upload the replacement first). On a failed build the new
    version is archived with the reason and the error propagates; the previous draft stays open."""
    async with lock(container, tenant_id):
        return await _build_draft_locked(container, tenant_id, list(add), set(remove), actor, progress)


async def _build_draft_locked(
    c: Container,
    tenant_id: str,
    add: list[str],
    remove: set[str],
    actor: Actor,
    progress: BuildProgress | None,
) -> DraftBuilt:
    async with c.sessions() as session:
        draft = await crud_kb_admin.get_open_draft(session, tenant_id=tenant_id)
        base = draft or await crud_kb.get_active_version(session, tenant_id=tenant_id)
        base_ids = await crud_kb.document_ids_of_version(session, version_id=base.id) if base else []
        added = await crud_kb_admin.documents_by_ids(session, tenant_id=tenant_id, document_ids=add)
        new_sources = {d.source for d in added}
        kept = await crud_kb_admin.documents_by_ids(session, tenant_id=tenant_id, document_ids=base_ids)
        keep = [
            d.id
            for d in sorted(kept, key=lambda d: base_ids.index(d.id))
            if d.id not in remove and d.status != "deleted" and d.source not in new_sources
        ]
        doc_ids = [*keep, *(d.id for d in added if d.id not in keep)]
        if not doc_ids:
            raise AppError(
                ErrorCode.CONFLICT,
                "the knowledge base would be empty: upload a replacement before deleting the last document",
            )
        embedder = c.embedder.name if c.embedder is not None else ""
        version = await crud_kb.create_version(
            session,
            tenant_id=tenant_id,
            document_ids=doc_ids,
            embedder=embedder,
            chunk_count=0,
            created_by=actor.user_id,
            notes=_change_note(base, len(added), len(remove)),
        )
        await session.commit()
        version_id, label = version.id, version.label
    try:  # from here on, any failure or cancellation archives the draft
        async with c.sessions() as session:
            chunks = await crud_kb.chunks_of_version(session, tenant_id=tenant_id, version_id=version_id)
        await _build_index(c, tenant_id, label, chunks, progress)
    except BaseException as exc:
        async with c.sessions() as session:
            await crud_kb_admin.archive_version(
                session,
                tenant_id=tenant_id,
                version_id=version_id,
                notes=f"build failed: {type(exc).__name__}",
            )
            await session.commit()
        raise
    async with c.sessions() as session:
        built = await crud_kb.get_version(session, tenant_id=tenant_id, version_id=version_id)
        assert built is not None
        built.chunk_count = len(chunks)
        for doc in added:
            await crud_kb.set_document_status(
                session, tenant_id=tenant_id, document_id=doc.id, status="indexed"
            )
        if draft is not None:
            await crud_kb_admin.archive_version(
                session, tenant_id=tenant_id, version_id=draft.id, notes=f"superseded by draft {label}"
            )
        await record_by(
            session,
            actor,
            tenant_id=tenant_id,
            action="kb.draft",
            target_type="kb_version",
            target_id=version_id,
            data={"label": label, "documents": len(doc_ids), "added": len(added), "removed": len(remove)},
        )
        await session.commit()
    if draft is not None:  # its index is never read again (a draft is not a rollback target)
        with contextlib.suppress(OSError, ValueError):
            await asyncio.to_thread(c.index_store.delete_version, tenant_id, draft.label)
    return DraftBuilt(version_id, label, len(doc_ids), len(chunks))


def _change_note(base: KbVersion | None, added: int, removed: int) -> str:
    parts = [f"based on {base.label}" if base else "first version"]
    if added:
        parts.append(f"{added} document(s) added or replaced")
    if removed:
        parts.append(f"{removed} removed")
    return "; ".join(parts)


async def _build_index(
    c: Container, tenant_id: str, label: str, chunks: list[Any], progress: BuildProgress | None
) -> None:
    latest = [0, max(1, len(chunks))]  # written by the build thread, read by the poller

    def on_progress(stage: str, done: int, total: int) -> None:
        latest[0], latest[1] = (done, max(1, total)) if stage == "embedding" else (total, max(1, total))

    async def poll() -> None:
        while True:
            await asyncio.sleep(0.5)
            if progress is not None:
                await progress("embedding", latest[0] / latest[1], label)

    async with c.sessions() as session:
        kind = await tenant_index_kind(session, tenant_id)
    poller = asyncio.create_task(poll())
    try:
        build = functools.partial(c.index_store.build_version, tenant_id, label, chunks, progress=on_progress,
                                  index_kind=kind)  # fmt: skip
        await asyncio.to_thread(build)
    finally:
        poller.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await poller


async def open_version(c: Container, tenant_id: str, version: KbVersion) -> Retriever:
    """The version's retriever; an index missing or unreadable on this replica is rebuilt from SQL."""
    try:
        retriever: Retriever = await asyncio.to_thread(c.index_store.open, tenant_id, version.label)
        apply_floor(retriever, version.retrieval_floor, version.retrieval_margin)
        return retriever
    except IndexUnavailable:
        pass
    async with c.sessions() as session:
        chunks = await crud_kb.chunks_of_version(session, tenant_id=tenant_id, version_id=version.id)
        kind = await tenant_index_kind(session, tenant_id)
    await asyncio.to_thread(c.index_store.delete_version, tenant_id, version.label)
    with contextlib.suppress(VersionExists):
        await asyncio.to_thread(
            functools.partial(c.index_store.build_version, tenant_id, version.label, chunks, index_kind=kind)
        )
    reopened: Retriever = await asyncio.to_thread(c.index_store.open, tenant_id, version.label)
    apply_floor(reopened, version.retrieval_floor, version.retrieval_margin)
    return reopened


async def calibrate_version_floor(
    c: Container, tenant_id: str, version: KbVersion
) -> FloorCalibration | None:
    """The version's own floor and margin (None: calibration off, ``RETRIEVAL__FLOOR_PROBES=0``; a floor
    fixed by ``RETRIEVAL__SCORE_FLOOR``; an index that is not the hybrid retriever or an embedder without
    calibration bounds, as the test fakes)."""
    config = c.settings.retrieval
    if config.floor_probes == 0 or config.score_floor != 0:
        return None
    retriever = await open_version(c, tenant_id, version)
    if not isinstance(retriever, HybridRetriever) or bounds_for(retriever.embedder.name) is None:
        return None
    calibrate = functools.partial(calibrate_floor, retriever, max_probes=config.floor_probes)
    return await asyncio.to_thread(calibrate)


# ---------------------------------------------------------------------------------------------- publish


async def publish(container: Container, *, tenant_id: str, actor: Actor = SYSTEM) -> dict[str, Any]:
    """Make the open draft the active version. Raises ``AppError(NOT_FOUND)`` when there is no draft and
    ``PublishRefused`` (``report``: the gate's JSON report, also stored on the draft) when recall@5 on
    the golden questions falls below the active version's by more than ``RETRIEVAL__GATE_MARGIN``.
    Returns the gate report."""
    async with lock(container, tenant_id):
        async with container.sessions() as session:
            draft = await crud_kb_admin.get_open_draft(session, tenant_id=tenant_id)
            active = await crud_kb.get_active_version(session, tenant_id=tenant_id)
        if draft is None:
            raise AppError(ErrorCode.NOT_FOUND, "there is no draft to publish")
        gate = await golden_gate(container, tenant_id, draft, active)
        report = gate_json(gate, draft.label, active.label if active else None)
        floor = await calibrate_version_floor(container, tenant_id, draft)
        report["floor"] = floor.to_json() if floor is not None else None
        async with container.sessions() as session:
            row = await crud_kb.get_version(session, tenant_id=tenant_id, version_id=draft.id)
            assert row is not None
            audit = {"label": draft.label, "recall_at_5": gate.candidate_recall, "active": report["active"]}
            if not gate.allowed:
                row.golden_report = report
                await record_by(
                    session, actor, tenant_id=tenant_id,
                    action="kb.publish_refused", target_type="kb_version", target_id=draft.id, data=audit,
                )  # fmt: skip
                await session.commit()
                logger.warning("tenant %s: %s not published: %s", tenant_id, draft.label, gate.reason)
                raise PublishRefused(gate.reason, report)
            row.retrieval_floor = floor.floor if floor is not None else None
            row.retrieval_margin = floor.margin if floor is not None else None
            await crud_kb.activate_version(
                session, tenant_id=tenant_id, version_id=draft.id, golden_report=report
            )
            await record_by(
                session, actor, tenant_id=tenant_id,
                action="kb.publish", target_type="kb_version", target_id=draft.id,
                data={**audit, "chunks": row.chunk_count},
            )  # fmt: skip
            await session.commit()
        answer_cache.forget(container.answer_cache, tenant_id=tenant_id)
        return report


async def rollback(container: Container, *, tenant_id: str, version_id: str, actor: Actor = SYSTEM) -> str:
    """Re-activate an earlier published version (no gate: it was live before). Its index is opened (or
    rebuilt from SQL) before the switch, so the first query after it is not the one that pays. An open
    draft stays open. Returns the label."""
    async with lock(container, tenant_id):
        async with container.sessions() as session:
            target = await crud_kb.get_version(session, tenant_id=tenant_id, version_id=version_id)
            active = await crud_kb.get_active_version(session, tenant_id=tenant_id)
        if target is None:
            raise AppError(ErrorCode.NOT_FOUND, "no such version")
        if target.published_at is None:
            raise AppError(ErrorCode.CONFLICT, f"{target.label} was never published; publish a draft instead")
        if target.is_active:
            raise AppError(ErrorCode.CONFLICT, f"{target.label} is already the active version")
        await open_version(container, tenant_id, target)
        async with container.sessions() as session:
            await crud_kb.activate_version(session, tenant_id=tenant_id, version_id=target.id)
            await record_by(
                session, actor, tenant_id=tenant_id,
                action="kb.rollback", target_type="kb_version", target_id=target.id,
                data={"label": target.label, "from": active.label if active else None},
            )  # fmt: skip
            await session.commit()
        answer_cache.forget(container.answer_cache, tenant_id=tenant_id)
        return target.label


async def discard_draft(container: Container, *, tenant_id: str, actor: Actor = SYSTEM) -> str:
    """Archive the open draft. Documents that only it held are marked deleted (so the same file can be
    uploaded again). Returns the label."""
    async with lock(container, tenant_id):
        async with container.sessions() as session:
            draft = await crud_kb_admin.get_open_draft(session, tenant_id=tenant_id)
            if draft is None:
                raise AppError(ErrorCode.NOT_FOUND, "there is no draft to discard")
            active = await crud_kb.get_active_version(session, tenant_id=tenant_id)
            live = (
                set(await crud_kb.document_ids_of_version(session, version_id=active.id)) if active else set()
            )
            only_draft = set(await crud_kb.document_ids_of_version(session, version_id=draft.id)) - live
            for doc_id in only_draft:
                await crud_kb.set_document_status(
                    session, tenant_id=tenant_id, document_id=doc_id, status="deleted"
                )
            await crud_kb_admin.archive_version(
                session, tenant_id=tenant_id, version_id=draft.id, notes="draft discarded"
            )
            await record_by(
                session, actor, tenant_id=tenant_id,
                action="kb.draft_discard", target_type="kb_version", target_id=draft.id,
                data={"label": draft.label, "documents_dropped": len(only_draft)},
            )  # fmt: skip
            await session.commit()
            label = draft.label
        with contextlib.suppress(OSError, ValueError):
            await asyncio.to_thread(container.index_store.delete_version, tenant_id, label)
        return label


# ------------------------------------------------------------------------------------------------- gate


class _BySource:
    """A retriever whose hits name documents by source, so versions compare across re-uploads."""

    def __init__(self, inner: Retriever, sources: dict[str, str]) -> None:
        self._inner, self._sources = inner, sources

    def search(self, query: str, *, k: int = 5, filters: SearchFilters | None = None) -> SearchResult:
        res = self._inner.search(query, k=k, filters=filters)
        hits = [
            replace(h, chunk=replace(h.chunk, document_id=self._sources.get(h.chunk.document_id, "?")))
            for h in res.hits
        ]
        return replace(res, hits=hits)


async def golden_gate(
    c: Container, tenant_id: str, candidate: KbVersion, active: KbVersion | None
) -> GateDecision:
    """The tenant's golden questions on ``candidate`` against ``active``."""
    async with c.sessions() as session:
        rows = await crud_kb.list_golden_questions(session, tenant_id=tenant_id)
        sources = await crud_kb_admin.document_sources(session, tenant_id=tenant_id)
    questions = [
        GoldenQuestion(
            id=r.id,
            question=r.question,
            expected=tuple(dict.fromkeys(sources[d] for d in r.expected_document_ids if d in sources)),
        )
        for r in rows
        if any(d in sources for d in r.expected_document_ids)
    ]
    cand = _BySource(await open_version(c, tenant_id, candidate), sources)
    act = _BySource(await open_version(c, tenant_id, active), sources) if active is not None else None
    margin = c.settings.retrieval.gate_margin
    return await asyncio.to_thread(check_publish, cand, act, questions, margin)


def gate_json(gate: GateDecision, candidate: str, active: str | None) -> dict[str, Any]:
    return {
        "allowed": gate.allowed,
        "reason": gate.reason,
        "candidate": candidate,
        "active": active,
        "margin": gate.margin,
        "recall_at_5": gate.candidate_recall,
        "active_recall_at_5": gate.active_recall,
        "changes": [
            {
                "id": ch.id,
                "question": ch.question,
                "expected": list(ch.expected),
                "before": ch.active_recall,
                "after": ch.candidate_recall,
                "found_before": list(ch.active_found),
                "found_after": list(ch.candidate_found),
                "direction": ch.direction,
            }
            for ch in gate.changes
        ],
    }
