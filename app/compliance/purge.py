"""The retention purge: for each tenant, delete what its policy says has expired, everywhere it lives.

Per tenant, in this order (each step in batches of ``COMPLIANCE__BATCH_SIZE``, one transaction each):

1. conversations last active more than ``transcripts_days`` ago: hot state, vault, rate-limit key and
   answer-cache entries first, then, in one transaction, what the admin analytics report of them is
   added to the tenant's counts-only aggregates (``app.analytics.aggregates.fold``) and the rows
   (messages, dialog events, feedback, handoffs, the conversation) are deleted;
2. vaults and hot state of conversations idle more than ``vault_days`` (the masked transcript stays);
3. feedback older than ``feedback_days``; handoff packages (the context copy) older than
   ``handoff_packages_days`` — the handoff row itself (reason, status, times) stays for the figures;
4. stored originals of documents removed from the knowledge base, finished job records, audit events.

A conversation under an active legal hold (its own, or its customer's) is skipped by every step; that is
decided inside each SQL statement. Each tenant's run writes one audit event, ``retention.purge``, with
what was deleted (counts), the cutoffs and how long it took. Leftover upload files (``data_dir/uploads``)
older than the deployment's ``uploaded_originals_days`` are removed once per run.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.analytics.aggregates import fold
from app.auth.audit import record_by
from app.compliance.config import RetentionPolicy, tenant_policy
from app.compliance.hot import forget_hot
from app.container import Container
from app.db import crud_compliance
from app.db.base import utcnow
from app.kb.versions import SYSTEM, Actor

logger = logging.getLogger(__name__)


@dataclass
class PurgeReport:
    tenant_id: str
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    cutoffs: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, n: int) -> None:
        self.counts[name] = self.counts.get(name, 0) + int(n)


async def run_purge(
    container: Container, *, tenant_id: str | None = None, actor: Actor = SYSTEM
) -> list[PurgeReport]:
    """Purge every tenant (or one); returns each tenant's report (also in its audit log)."""
    async with container.sessions() as session:
        tenants = await crud_compliance.tenant_settings(session)
    default = container.settings.compliance.retention
    reports = []
    for tid, settings in tenants:
        if tenant_id is not None and tid != tenant_id:
            continue
        reports.append(
            await purge_tenant(container, tenant_id=tid, policy=tenant_policy(settings, default), actor=actor)
        )
    files = await asyncio.to_thread(
        remove_old_uploads,
        container.settings.data_dir / "uploads",
        utcnow() - timedelta(days=default.uploaded_originals_days),
    )
    if files:
        logger.info("retention purge: %d leftover upload folders removed", files)
    return reports


async def purge_tenant(
    container: Container, *, tenant_id: str, policy: RetentionPolicy, actor: Actor = SYSTEM
) -> PurgeReport:
    started = time.perf_counter()
    now = utcnow()
    report = PurgeReport(tenant_id)

    def cutoff(name: str, days: int) -> datetime:
        at = now - timedelta(days=days)
        report.cutoffs[name] = at.isoformat()
        return at

    window = timedelta(minutes=container.settings.admin.resolution_window_minutes)

    async def fold_and_delete(
        session: AsyncSession, *, tenant_id: str, conversation_ids: list[str]
    ) -> dict[str, int]:
        """The analytics of the conversations kept as counts, then their rows deleted (one transaction)."""
        kept = await fold(
            session, tenant_id=tenant_id, conversation_ids=conversation_ids, window=window, now=now
        )
        rows = await crud_compliance.delete_conversations(
            session, tenant_id=tenant_id, conversation_ids=conversation_ids
        )
        return {**rows, "analytics_aggregates": kept}

    await _in_batches(
        container, report, tenant_id, cutoff("transcripts", policy.transcripts_days),
        crud_compliance.expired_conversation_ids, fold_and_delete,
    )  # fmt: skip
    await _in_batches(
        container, report, tenant_id, cutoff("vault", policy.vault_days),
        crud_compliance.vault_due_ids, _mark_vault_purged,
    )  # fmt: skip

    # (report row, cutoff name, the sweep, its age in days), in this order
    sweeps = (
        ("feedback", "feedback", crud_compliance.delete_feedback_before, policy.feedback_days),
        ("handoff_packages", "handoff_packages", crud_compliance.clear_handoff_packages_before,
         policy.handoff_packages_days),
        ("uploaded_originals", "uploaded_originals", crud_compliance.drop_uploaded_originals_before,
         policy.uploaded_originals_days),
        ("job_records", "job_records", crud_compliance.delete_job_records_before, policy.job_records_days),
        ("audit_events", "audit", crud_compliance.delete_audit_before, policy.audit_days),
    )  # fmt: skip
    async with container.sessions() as session:
        for name, cutoff_name, sweep, days in sweeps:
            report.add(name, await sweep(session, tenant_id=tenant_id, before=cutoff(cutoff_name, days)))
        report.seconds = round(time.perf_counter() - started, 3)
        data: dict[str, Any] = {
            "counts": report.counts,
            "seconds": report.seconds,
            "cutoffs": report.cutoffs,
            "policy": policy.model_dump(),
        }
        await record_by(
            session,
            actor,
            tenant_id=tenant_id,
            action="retention.purge",
            target_type="tenant",
            target_id=tenant_id,
            data=data,
        )
        await session.commit()
    logger.info("retention purge of tenant %s: %s in %.3f s", tenant_id, report.counts, report.seconds)
    return report


async def _in_batches(
    container: Container,
    report: PurgeReport,
    tenant_id: str,
    before: datetime,
    due: Callable[..., Awaitable[list[str]]],
    purge: Callable[..., Awaitable[dict[str, int]]],
) -> None:
    """Until fewer than a batch are left: the next batch of conversations ``due`` before ``before`` loses
    its hot copies first, then ``purge`` runs on them in one transaction; every count goes to the report."""
    batch = container.settings.compliance.batch_size
    while True:
        async with container.sessions() as session:
            ids = await due(session, tenant_id=tenant_id, before=before, limit=batch)
        if not ids:
            return
        for name, n in (await forget_hot(container, tenant_id=tenant_id, conversation_ids=ids)).items():
            report.add(name, n)
        async with container.sessions() as session:
            counts = await purge(session, tenant_id=tenant_id, conversation_ids=ids)
            await session.commit()
        for name, n in counts.items():
            report.add(name, n)
        if len(ids) < batch:
            return


async def _mark_vault_purged(
    session: AsyncSession, *, tenant_id: str, conversation_ids: list[str]
) -> dict[str, int]:
    """The vault step: the rows stay, marked purged (nothing of theirs is counted)."""
    await crud_compliance.mark_vault_purged(session, tenant_id=tenant_id, conversation_ids=conversation_ids)
    return {}


def remove_old_uploads(root: Path, before: datetime) -> int:
    """Remove upload folders (``data_dir/uploads/<id>``) last modified before ``before``."""
    if not root.is_dir():
        return 0
    removed = 0
    limit = before.timestamp()
    for child in root.iterdir():
        try:
            if child.stat().st_mtime < limit:
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child)
                else:
                    child.unlink()
                removed += 1
        except OSError as exc:  # pragma: no cover - a file vanishing under us
            logger.warning("retention purge: cannot remove %s (%s)", child, type(exc).__name__)
    return removed
