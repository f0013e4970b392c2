"""Data-subject requests, by customer (the conversation's verified ``customer_id``) or by conversation id.

- **export**: one JSON document with every conversation of the subject: the transcript with the
  customer's own values restored from the vault, feedback, handoffs (their context package restored the
  same way), the audit events about it (what staff and the system did), timestamps.
- **erasure**: every conversation of the subject, everywhere: hot state, vault, rate-limit key and
  answer-cache entries first (``app.compliance.hot``), then in one transaction per batch the rows
  (messages, dialog events, feedback, handoffs, the audit events about them, the conversation), after
  adding what the admin analytics report of them to the tenant's aggregates (``app.analytics.aggregates``:
  counts and sums per hour, no text, no ids), so the figures do not change. The request's row and its
  ``dsr.erase`` audit event hold counts, never text.

Both are audited and idempotent (erasing again finds nothing more to erase and says so). An erasure
records its progress per batch on its ``dsr_requests`` row; an interrupted one is resumed by the same
request (same subject), which continues on that row. An active legal hold on any of the subject's
conversations, or on the customer, refuses an erasure with ``legal_hold_active`` and the hold's reason;
the hold is checked again inside each batch's transaction. An export changes nothing and is allowed
under a hold (a hold is about keeping data).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal

from app.analytics.aggregates import fold
from app.auth.audit import record_by
from app.compliance.holds import refusal
from app.compliance.hot import forget_hot
from app.container import Container
from app.db import crud_compliance
from app.db.base import utcnow
from app.db.models import Conversation, DsrRequest
from app.errors import AppError, ErrorCode
from app.kb.versions import Actor

EXPORT_FORMAT = "kefu.dsr-export/1"
MAX_SUBJECT = 200


@dataclass(frozen=True, slots=True)
class Subject:
    """Whom a request is about: a customer id, or one conversation id (exactly one)."""

    customer_id: str | None = None
    conversation_id: str | None = None

    def __post_init__(self) -> None:
        value = self.customer_id if self.customer_id is not None else self.conversation_id
        if (
            (self.customer_id is None) == (self.conversation_id is None)
            or not value
            or len(value) > MAX_SUBJECT
        ):
            raise AppError(
                ErrorCode.VALIDATION_ERROR,
                f"name either a customer or a conversation (1..{MAX_SUBJECT} characters)",
            )

    @property
    def kind(self) -> Literal["customer", "conversation"]:
        return "customer" if self.customer_id is not None else "conversation"

    def digest(self, secret: str) -> str:
        value = self.customer_id if self.customer_id is not None else self.conversation_id
        return hmac.new(secret.encode(), f"{self.kind}:{value}".encode(), hashlib.sha256).hexdigest()


@dataclass
class ErasureResult:
    request_id: str
    status: str
    conversations: int
    counts: dict[str, int] = field(default_factory=dict)
    resumed: bool = False


async def erase(
    container: Container,
    *,
    tenant_id: str,
    subject: Subject,
    actor: Actor,
    stop_after_batches: int | None = None,
) -> ErasureResult:
    """Erase everything of ``subject``. ``stop_after_batches`` stops early, leaving the request
    ``running`` (what an interruption does; tests use it to prove the resumption)."""
    secret = container.settings.secret_key.get_secret_value()
    digest = subject.digest(secret)
    batch = container.settings.compliance.batch_size
    async with container.sessions() as session:
        convs = await _subject_conversations(session, tenant_id, subject)
        ids = [c.id for c in convs]
        await _refuse_if_held(session, tenant_id, subject, convs, actor)
        if (
            subject.conversation_id is not None
            and not ids
            and not await _erased_before(session, tenant_id, digest)
        ):
            raise AppError(ErrorCode.CONVERSATION_NOT_FOUND, "no such conversation")
        request = await crud_compliance.open_request(
            session, tenant_id=tenant_id, kind="erase", subject_type=subject.kind, subject_hash=digest
        )
        resumed = request is not None
        if request is None:
            request = await crud_compliance.create_request(
                session,
                tenant_id=tenant_id,
                kind="erase",
                subject_type=subject.kind,
                subject_hash=digest,
                requested_by=actor.actor_id,
            )
        request_id = request.id
        await session.commit()

    for start in range(0, len(ids), batch):
        if stop_after_batches is not None and start // batch >= stop_after_batches:
            return await _result(container, tenant_id, request_id, resumed)
        chunk = ids[start : start + batch]
        hot = await forget_hot(container, tenant_id=tenant_id, conversation_ids=chunk)
        async with container.sessions() as session:
            held = await crud_compliance.holds_applying(
                session, tenant_id=tenant_id, conversation_ids=chunk, customer_ids=_customers(subject, convs)
            )
            if held:  # placed while this erasure ran: stop here, the request stays open
                raise refusal(held)
            await fold(
                session,
                tenant_id=tenant_id,
                conversation_ids=chunk,
                window=timedelta(minutes=container.settings.admin.resolution_window_minutes),
                now=utcnow(),
            )
            rows = await crud_compliance.delete_conversations(
                session, tenant_id=tenant_id, conversation_ids=chunk, with_audit=True
            )
            await crud_compliance.redact_released_holds(
                session,
                tenant_id=tenant_id,
                customer_id=None,
                customer_stand_in="",
                conversation_stand_ins={
                    cid: Subject(conversation_id=cid).digest(secret)[:32] for cid in chunk
                },
            )
            await crud_compliance.record_progress(
                session, request_id=request_id, add_counts={**rows, **hot}, done=len(chunk), finished=False
            )
            await session.commit()

    async with container.sessions() as session:
        for customer_id in [subject.customer_id] if subject.customer_id is not None else []:
            await crud_compliance.redact_released_holds(
                session,
                tenant_id=tenant_id,
                customer_id=customer_id,
                customer_stand_in="erased:" + Subject(customer_id=customer_id).digest(secret)[:32],
                conversation_stand_ins={},
            )
        await crud_compliance.record_progress(
            session, request_id=request_id, add_counts={}, done=0, finished=True
        )
        row = await crud_compliance.get_request(session, tenant_id=tenant_id, request_id=request_id)
        assert row is not None
        await record_by(
            session,
            actor,
            tenant_id=tenant_id,
            action="dsr.erase",
            target_type="dsr_request",
            target_id=request_id,
            data={
                "subject_type": subject.kind,
                "conversations": row.conversations_done,
                "counts": row.counts,
                "resumed": resumed,
            },
        )
        await session.commit()
    return await _result(container, tenant_id, request_id, resumed)


async def export(container: Container, *, tenant_id: str, subject: Subject, actor: Actor) -> dict[str, Any]:
    """The subject's data as one JSON-ready document (see the module docstring)."""
    async with container.sessions() as session:
        convs = await _subject_conversations(session, tenant_id, subject)
        if subject.conversation_id is not None and not convs:
            raise AppError(ErrorCode.CONVERSATION_NOT_FOUND, "no such conversation")
        out = [await _export_conversation(container, session, tenant_id, conv) for conv in convs]
        request = await crud_compliance.create_request(
            session,
            tenant_id=tenant_id,
            kind="export",
            subject_type=subject.kind,
            subject_hash=subject.digest(container.settings.secret_key.get_secret_value()),
            requested_by=actor.actor_id,
        )
        counts = {
            "conversations": len(out),
            "messages": sum(len(c["messages"]) for c in out),
            "feedback": sum(len(c["feedback"]) for c in out),
            "handoffs": sum(len(c["handoffs"]) for c in out),
        }
        await crud_compliance.record_progress(
            session, request_id=request.id, add_counts=counts, done=len(out), finished=True
        )
        await record_by(
            session,
            actor,
            tenant_id=tenant_id,
            action="dsr.export",
            target_type="dsr_request",
            target_id=request.id,
            data={"subject_type": subject.kind, "counts": counts},
        )
        await session.commit()
    return {
        "format": EXPORT_FORMAT,
        "request_id": request.id,
        "tenant_id": tenant_id,
        "subject": {subject.kind + "_id": subject.customer_id or subject.conversation_id},
        "exported_at": utcnow().isoformat(),
        "conversations": out,
    }


async def _export_conversation(
    container: Container, session: Any, tenant_id: str, conv: Conversation
) -> dict[str, Any]:
    messages, feedback, handoffs, audit = await crud_compliance.conversation_records(
        session, tenant_id=tenant_id, conversation_id=conv.id
    )
    vault = await container.vaults.load(conv.id)
    masker = container.masker

    def restore(value: Any) -> Any:
        if isinstance(value, str):
            return masker.unmask(value, vault)
        if isinstance(value, list):
            return [restore(v) for v in value]
        if isinstance(value, dict):
            return {k: restore(v) for k, v in value.items()}
        return value

    texts, contexts = await asyncio.to_thread(
        lambda: ([restore(m.text) for m in messages], [restore(h.context) for h in handoffs])
    )
    return {
        "id": conv.id,
        "customer_id": conv.customer_id,
        "channel": conv.channel,
        "lang": conv.lang,
        "status": conv.status,
        "outcome": conv.outcome,
        "created_at": conv.created_at.isoformat(),
        "last_activity_at": conv.updated_at.isoformat(),
        "closed_at": conv.closed_at.isoformat() if conv.closed_at else None,
        "values_restored": len(vault.by_placeholder),
        "messages": [
            {
                "id": m.id,
                "role": m.role,
                "text": text,
                "lang": m.lang,
                "created_at": m.created_at.isoformat(),
                "decision": m.decision,
                "citations": [c.get("title", "") for c in (m.citations or []) if isinstance(c, dict)],
            }
            for m, text in zip(messages, texts, strict=True)
        ],
        "feedback": [
            {
                "message_id": f.message_id,
                "thumbs": f.thumbs,
                "csat": f.csat,
                "created_at": f.created_at.isoformat(),
            }
            for f in feedback
        ],
        "handoffs": [
            {
                "id": h.id,
                "reason": h.reason,
                "status": h.status,
                "created_at": h.created_at.isoformat(),
                "assigned_at": h.assigned_at.isoformat() if h.assigned_at else None,
                "closed_at": h.closed_at.isoformat() if h.closed_at else None,
                "context": context,
            }
            for h, context in zip(handoffs, contexts, strict=True)
        ],
        "actions": [
            {
                "action": a.action,
                "actor_type": a.actor_type,
                "target_type": a.target_type,
                "created_at": a.created_at.isoformat(),
                "data": a.data,
            }
            for a in audit
        ],
    }


async def _subject_conversations(session: Any, tenant_id: str, subject: Subject) -> Sequence[Conversation]:
    return await crud_compliance.subject_conversations(
        session, tenant_id=tenant_id, customer_id=subject.customer_id, conversation_id=subject.conversation_id
    )


def _customers(subject: Subject, convs: list[Conversation] | Any) -> list[str]:
    found = {c.customer_id for c in convs if c.customer_id}
    if subject.customer_id is not None:
        found.add(subject.customer_id)
    return sorted(found)


async def _refuse_if_held(session: Any, tenant_id: str, subject: Subject, convs: Any, actor: Actor) -> None:
    """Refuse (and audit the refusal: which holds, never the subject) while a hold applies."""
    held = await crud_compliance.holds_applying(
        session,
        tenant_id=tenant_id,
        conversation_ids=[c.id for c in convs],
        customer_ids=_customers(subject, convs),
    )
    if held:
        await record_by(
            session,
            actor,
            tenant_id=tenant_id,
            action="dsr.erase_refused",
            target_type="legal_hold",
            target_id=held[0].id,
            data={"subject_type": subject.kind, "holds": [h.id for h in held]},
        )
        await session.commit()
        raise refusal(held)


async def _erased_before(session: Any, tenant_id: str, digest: str) -> bool:
    return await crud_compliance.has_request(session, tenant_id=tenant_id, kind="erase", subject_hash=digest)


async def _result(container: Container, tenant_id: str, request_id: str, resumed: bool) -> ErasureResult:
    async with container.sessions() as session:
        row: DsrRequest | None = await crud_compliance.get_request(
            session, tenant_id=tenant_id, request_id=request_id
        )
    assert row is not None
    return ErasureResult(
        request_id=row.id,
        status=row.status,
        conversations=row.conversations_done,
        counts=dict(row.counts or {}),
        resumed=resumed,
    )
