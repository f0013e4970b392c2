"""SQL of compliance: legal holds, what the retention purge finds and deletes, a data-subject request's
conversations and records. Keyword-only, session first, every statement scoped by ``tenant_id``.

"Held" is decided in SQL (``_not_held``): a conversation is held while an unreleased hold names it or
its customer, so no purge or erasure can select it between a check and a delete.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Text, and_, cast, delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from app.db.base import utcnow
from app.db.crud_rows import added, in_tenant
from app.db.models import (
    AuditEvent,
    Conversation,
    CuratedAnswer,
    DialogEventRow,
    Document,
    DsrRequest,
    Feedback,
    Handoff,
    IngestionJob,
    KbSourceSync,
    LegalHold,
    Message,
    Tenant,
)

FINISHED_JOB_STATUSES = ("succeeded", "failed")
REMOVED_DOCUMENT_STATUSES = ("deleted", "failed")


# --- legal holds ---------------------------------------------------------------------------------------


async def create_hold(
    session: AsyncSession,
    *,
    tenant_id: str,
    conversation_id: str | None,
    customer_id: str | None,
    reason: str,
    created_by: str | None,
) -> LegalHold:
    hold = LegalHold(
        tenant_id=tenant_id,
        conversation_id=conversation_id,
        customer_id=customer_id,
        reason=reason,
        created_by=created_by,
    )
    return await added(session, hold)


async def get_hold(session: AsyncSession, *, tenant_id: str, hold_id: str) -> LegalHold | None:
    return await in_tenant(session, LegalHold, tenant_id=tenant_id, row_id=hold_id)


async def release_hold(session: AsyncSession, *, hold: LegalHold, released_by: str | None) -> None:
    hold.released_at = utcnow()
    hold.released_by = released_by
    await session.flush()


async def list_holds(
    session: AsyncSession, *, tenant_id: str, active_only: bool = True, limit: int = 500
) -> Sequence[LegalHold]:
    stmt = select(LegalHold).where(LegalHold.tenant_id == tenant_id)
    if active_only:
        stmt = stmt.where(LegalHold.released_at.is_(None))
    stmt = stmt.order_by(LegalHold.created_at.desc()).limit(limit)
    return (await session.execute(stmt)).scalars().all()


async def holds_applying(
    session: AsyncSession, *, tenant_id: str, conversation_ids: Sequence[str], customer_ids: Sequence[str]
) -> Sequence[LegalHold]:
    """Active holds on any of these conversations or customers."""
    subjects: list[ColumnElement[bool]] = []
    if conversation_ids:
        subjects.append(LegalHold.conversation_id.in_(list(conversation_ids)))
    if customer_ids:
        subjects.append(LegalHold.customer_id.in_(list(customer_ids)))
    if not subjects:
        return []
    stmt = select(LegalHold).where(
        LegalHold.tenant_id == tenant_id, LegalHold.released_at.is_(None), or_(*subjects)
    )
    return (await session.execute(stmt.order_by(LegalHold.created_at))).scalars().all()


async def redact_released_holds(
    session: AsyncSession,
    *,
    tenant_id: str,
    customer_id: str | None,
    customer_stand_in: str,
    conversation_stand_ins: dict[str, str],
) -> int:
    """Released holds keep their record (reason, who, when) but no longer name an erased customer or
    conversation: the names are replaced by stand-ins (HMACs). Active holds are never touched."""
    n = 0
    released = (LegalHold.tenant_id == tenant_id, LegalHold.released_at.is_not(None))
    if customer_id is not None:
        stmt = (
            update(LegalHold)
            .where(*released, LegalHold.customer_id == customer_id)
            .values(customer_id=customer_stand_in)
        )
        n += int((await session.execute(stmt.execution_options(synchronize_session=False))).rowcount or 0)  # type: ignore[attr-defined]
    for conversation_id, stand_in in conversation_stand_ins.items():
        stmt = (
            update(LegalHold)
            .where(*released, LegalHold.conversation_id == conversation_id)
            .values(conversation_id=stand_in)
        )
        n += int((await session.execute(stmt.execution_options(synchronize_session=False))).rowcount or 0)  # type: ignore[attr-defined]
    return n


def _not_held(tenant_id: str) -> ColumnElement[bool]:
    held = exists().where(
        LegalHold.tenant_id == tenant_id,
        LegalHold.released_at.is_(None),
        or_(
            LegalHold.conversation_id == Conversation.id,
            and_(Conversation.customer_id.is_not(None), LegalHold.customer_id == Conversation.customer_id),
        ),
    )
    return ~held


def _held_conversation_ids(tenant_id: str) -> Any:
    return select(Conversation.id).where(Conversation.tenant_id == tenant_id, ~_not_held(tenant_id))


# --- retention -----------------------------------------------------------------------------------------


async def tenant_settings(session: AsyncSession) -> Sequence[tuple[str, dict[str, Any]]]:
    rows = (await session.execute(select(Tenant.id, Tenant.settings).order_by(Tenant.id))).all()
    return [(r[0], dict(r[1] or {})) for r in rows]


async def set_tenant_setting(session: AsyncSession, *, tenant_id: str, key: str, value: Any) -> bool:
    """Set ``tenants.settings[key]`` (the row locked while it changes, so two admins cannot lose one
    another's keys); False when there is no such tenant."""
    stmt = select(Tenant).where(Tenant.id == tenant_id).with_for_update()
    tenant = (await session.execute(stmt)).scalar_one_or_none()
    if tenant is None:
        return False
    tenant.settings = {**(tenant.settings or {}), key: value}
    await session.flush()
    return True


async def expired_conversation_ids(
    session: AsyncSession, *, tenant_id: str, before: datetime, limit: int
) -> list[str]:
    """Conversations of the tenant last active before ``before`` and not held (at most ``limit``)."""
    stmt = (
        select(Conversation.id)
        .where(Conversation.tenant_id == tenant_id, Conversation.updated_at < before, _not_held(tenant_id))
        .order_by(Conversation.updated_at)
        .limit(limit)
    )
    return list((await session.execute(stmt)).scalars().all())


async def vault_due_ids(session: AsyncSession, *, tenant_id: str, before: datetime, limit: int) -> list[str]:
    """Conversations last active before ``before`` whose vault and hot state were not purged yet."""
    stmt = (
        select(Conversation.id)
        .where(
            Conversation.tenant_id == tenant_id,
            Conversation.updated_at < before,
            # never purged, or active again since (a later turn filled the vault anew)
            or_(
                Conversation.vault_purged_at.is_(None), Conversation.vault_purged_at < Conversation.updated_at
            ),
            _not_held(tenant_id),
        )
        .order_by(Conversation.updated_at)
        .limit(limit)
    )
    return list((await session.execute(stmt)).scalars().all())


async def mark_vault_purged(session: AsyncSession, *, tenant_id: str, conversation_ids: Sequence[str]) -> int:
    stmt = (
        update(Conversation)
        .where(Conversation.tenant_id == tenant_id, Conversation.id.in_(list(conversation_ids)))
        # updated_at kept as it is: it is the last activity the periods count from (onupdate would move it)
        .values(vault_purged_at=utcnow(), updated_at=Conversation.updated_at)
        .execution_options(synchronize_session=False)
    )
    return int((await session.execute(stmt)).rowcount or 0)  # type: ignore[attr-defined]


async def delete_conversations(
    session: AsyncSession, *, tenant_id: str, conversation_ids: Sequence[str], with_audit: bool = False
) -> dict[str, int]:
    """Delete these conversations and everything stored under them (dialog events, messages, feedback,
    handoffs; curated proposals keep their scrubbed text but lose the link); ``with_audit`` also deletes
    the audit events about them (erasure). Returns rows deleted per table."""
    ids = list(conversation_ids)
    if not ids:
        return {}
    counts: dict[str, int] = {}

    async def run(name: str, stmt: Any) -> None:
        result = await session.execute(stmt.execution_options(synchronize_session=False))
        counts[name] = counts.get(name, 0) + int(result.rowcount or 0)  # type: ignore[attr-defined]

    if with_audit:
        message_ids = select(Message.id).where(
            Message.tenant_id == tenant_id, Message.conversation_id.in_(ids)
        )
        await run(
            "audit_events",
            delete(AuditEvent).where(
                AuditEvent.tenant_id == tenant_id,
                or_(AuditEvent.target_id.in_(ids), AuditEvent.target_id.in_(message_ids)),
            ),
        )
    await run(
        "feedback", delete(Feedback).where(Feedback.tenant_id == tenant_id, Feedback.conversation_id.in_(ids))
    )
    await run(
        "handoffs", delete(Handoff).where(Handoff.tenant_id == tenant_id, Handoff.conversation_id.in_(ids))
    )
    await run(
        "messages", delete(Message).where(Message.tenant_id == tenant_id, Message.conversation_id.in_(ids))
    )
    owned = select(Conversation.id).where(Conversation.tenant_id == tenant_id, Conversation.id.in_(ids))
    await run("dialog_events", delete(DialogEventRow).where(DialogEventRow.conversation_id.in_(owned)))
    await session.execute(
        update(CuratedAnswer)
        .where(CuratedAnswer.tenant_id == tenant_id, CuratedAnswer.conversation_id.in_(ids))
        .values(conversation_id=None)
        .execution_options(synchronize_session=False)
    )
    await run(
        "conversations",
        delete(Conversation).where(Conversation.tenant_id == tenant_id, Conversation.id.in_(ids)),
    )
    return counts


async def delete_feedback_before(session: AsyncSession, *, tenant_id: str, before: datetime) -> int:
    stmt = delete(Feedback).where(
        Feedback.tenant_id == tenant_id,
        Feedback.created_at < before,
        Feedback.conversation_id.not_in(_held_conversation_ids(tenant_id)),
    )
    result = await session.execute(stmt.execution_options(synchronize_session=False))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def clear_handoff_packages_before(session: AsyncSession, *, tenant_id: str, before: datetime) -> int:
    """Empty the context package (the transcript copy, summary, slots) of older handoffs; the row (reason,
    status, times) stays for the figures. Held conversations' packages stay."""
    stmt = (
        update(Handoff)
        .where(
            Handoff.tenant_id == tenant_id,
            Handoff.created_at < before,
            func.length(cast(Handoff.context, Text)) > 2,  # not already "{}"
            Handoff.conversation_id.not_in(_held_conversation_ids(tenant_id)),
        )
        .values(context={})
        .execution_options(synchronize_session=False)
    )
    return int((await session.execute(stmt)).rowcount or 0)  # type: ignore[attr-defined]


async def drop_uploaded_originals_before(session: AsyncSession, *, tenant_id: str, before: datetime) -> int:
    """The stored original bytes of documents removed from the knowledge base (deleted or failed)."""
    stmt = (
        update(Document)
        .where(
            Document.tenant_id == tenant_id,
            Document.status.in_(REMOVED_DOCUMENT_STATUSES),
            Document.updated_at < before,
            Document.raw.is_not(None),
        )
        .values(raw=None)
        .execution_options(synchronize_session=False)
    )
    return int((await session.execute(stmt)).rowcount or 0)  # type: ignore[attr-defined]


async def delete_job_records_before(session: AsyncSession, *, tenant_id: str, before: datetime) -> int:
    """Finished ingestion jobs and source sync runs created before ``before``."""
    jobs = delete(IngestionJob).where(
        IngestionJob.tenant_id == tenant_id,
        IngestionJob.created_at < before,
        IngestionJob.status.in_(FINISHED_JOB_STATUSES),
    )
    syncs = delete(KbSourceSync).where(
        KbSourceSync.tenant_id == tenant_id,
        KbSourceSync.created_at < before,
        KbSourceSync.status.in_(FINISHED_JOB_STATUSES),
    )
    n = 0
    for stmt in (jobs, syncs):
        result = await session.execute(stmt.execution_options(synchronize_session=False))
        n += int(result.rowcount or 0)  # type: ignore[attr-defined]
    return n


async def delete_audit_before(session: AsyncSession, *, tenant_id: str, before: datetime) -> int:
    """Audit events older than ``before``, except those about a held conversation."""
    stmt = delete(AuditEvent).where(
        AuditEvent.tenant_id == tenant_id,
        AuditEvent.created_at < before,
        or_(AuditEvent.target_id.is_(None), AuditEvent.target_id.not_in(_held_conversation_ids(tenant_id))),
    )
    result = await session.execute(stmt.execution_options(synchronize_session=False))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# --- data-subject requests -----------------------------------------------------------------------------


async def set_customer_id(
    session: AsyncSession, *, tenant_id: str, conversation_id: str, customer_id: str | None
) -> bool:
    stmt = (
        update(Conversation)
        .where(Conversation.tenant_id == tenant_id, Conversation.id == conversation_id)
        .values(customer_id=customer_id, updated_at=Conversation.updated_at)
        .execution_options(synchronize_session=False)
    )
    return bool((await session.execute(stmt)).rowcount)  # type: ignore[attr-defined]


async def subject_conversations(
    session: AsyncSession, *, tenant_id: str, customer_id: str | None, conversation_id: str | None
) -> Sequence[Conversation]:
    """The conversations a request names: all of a customer's, or the one conversation (oldest first)."""
    stmt = select(Conversation).where(Conversation.tenant_id == tenant_id)
    if customer_id is not None:
        stmt = stmt.where(Conversation.customer_id == customer_id)
    else:
        stmt = stmt.where(Conversation.id == conversation_id)
    return (await session.execute(stmt.order_by(Conversation.created_at, Conversation.id))).scalars().all()


async def conversation_records(
    session: AsyncSession, *, tenant_id: str, conversation_id: str
) -> tuple[Sequence[Message], Sequence[Feedback], Sequence[Handoff], Sequence[AuditEvent]]:
    """A conversation's messages (transcript order), feedback, handoffs and the audit events about it."""
    messages = await session.execute(
        select(Message)
        .where(Message.tenant_id == tenant_id, Message.conversation_id == conversation_id)
        .order_by(Message.event_seq)
    )
    feedback = await session.execute(
        select(Feedback)
        .where(Feedback.tenant_id == tenant_id, Feedback.conversation_id == conversation_id)
        .order_by(Feedback.created_at)
    )
    handoffs = await session.execute(
        select(Handoff)
        .where(Handoff.tenant_id == tenant_id, Handoff.conversation_id == conversation_id)
        .order_by(Handoff.created_at)
    )
    message_ids = select(Message.id).where(
        Message.tenant_id == tenant_id, Message.conversation_id == conversation_id
    )
    audit = await session.execute(
        select(AuditEvent)
        .where(
            AuditEvent.tenant_id == tenant_id,
            or_(AuditEvent.target_id == conversation_id, AuditEvent.target_id.in_(message_ids)),
        )
        .order_by(AuditEvent.id)
    )
    return (
        messages.scalars().all(),
        feedback.scalars().all(),
        handoffs.scalars().all(),
        audit.scalars().all(),
    )


async def open_request(
    session: AsyncSession, *, tenant_id: str, kind: str, subject_type: str, subject_hash: str
) -> DsrRequest | None:
    """The unfinished request for this subject, if an earlier run was interrupted."""
    stmt = (
        select(DsrRequest)
        .where(
            DsrRequest.tenant_id == tenant_id,
            DsrRequest.kind == kind,
            DsrRequest.subject_type == subject_type,
            DsrRequest.subject_hash == subject_hash,
            DsrRequest.status == "running",
        )
        .order_by(DsrRequest.created_at.desc())
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def create_request(
    session: AsyncSession,
    *,
    tenant_id: str,
    kind: str,
    subject_type: str,
    subject_hash: str,
    requested_by: str | None,
) -> DsrRequest:
    row = DsrRequest(
        tenant_id=tenant_id,
        kind=kind,
        subject_type=subject_type,
        subject_hash=subject_hash,
        requested_by=requested_by,
        status="running",
        conversations_done=0,
        counts={},
    )
    return await added(session, row)


async def has_request(session: AsyncSession, *, tenant_id: str, kind: str, subject_hash: str) -> bool:
    stmt = select(DsrRequest.id).where(
        DsrRequest.tenant_id == tenant_id, DsrRequest.kind == kind, DsrRequest.subject_hash == subject_hash
    )
    return (await session.execute(stmt.limit(1))).first() is not None


async def get_request(session: AsyncSession, *, tenant_id: str, request_id: str) -> DsrRequest | None:
    return await in_tenant(session, DsrRequest, tenant_id=tenant_id, row_id=request_id)


async def list_requests(session: AsyncSession, *, tenant_id: str, limit: int = 100) -> Sequence[DsrRequest]:
    stmt = (
        select(DsrRequest)
        .where(DsrRequest.tenant_id == tenant_id)
        .order_by(DsrRequest.created_at.desc())
        .limit(limit)
    )
    return (await session.execute(stmt)).scalars().all()


async def record_progress(
    session: AsyncSession, *, request_id: str, add_counts: dict[str, int], done: int, finished: bool
) -> None:
    row = await session.get(DsrRequest, request_id)
    assert row is not None
    counts = dict(row.counts or {})
    for name, n in add_counts.items():
        counts[name] = int(counts.get(name, 0)) + int(n)
    row.counts = counts
    row.conversations_done = int(row.conversations_done) + done
    if finished:
        row.status = "done"
        row.finished_at = utcnow()
    await session.flush()


async def seed_conversations(session: AsyncSession, *, rows: Sequence[dict[str, Any]]) -> None:
    """Bulk insert of prepared conversation, message and event rows (``kefu bench purge``): each dict
    has ``table`` ("conversations", "messages", "dialog_events") and the row's values."""
    by_table: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        values = dict(row)
        by_table.setdefault(values.pop("table"), []).append(values)
    models = {"conversations": Conversation, "messages": Message, "dialog_events": DialogEventRow}
    for name in ("conversations", "messages", "dialog_events"):
        if by_table.get(name):
            await session.execute(models[name].__table__.insert(), by_table[name])  # type: ignore[attr-defined]
