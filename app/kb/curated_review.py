"""The admin's side of curated answers: approve one (it becomes an FAQ entry of the KB draft, through the
same ingestion job an upload uses, so it is chunked, embedded and PII-scanned like any FAQ file, and goes
live when the draft is published) or reject it. Agents propose them in the console (``curated``).

Deciding is one conditional UPDATE on a ``pending`` row, so two admins cannot both approve it; an approval
whose entry cannot be stored is put back to ``pending``.
"""

from __future__ import annotations

import asyncio
import csv
import io
from dataclasses import dataclass

from app.agent.curated import MAX_ANSWER_CHARS, MAX_QUESTION_CHARS, scrub
from app.auth.audit import record_audit
from app.auth.service import Principal
from app.container import Container
from app.db import crud_agent_desk
from app.db.models import CuratedAnswer
from app.errors import AppError, ErrorCode
from app.kb import admin as kb_admin
from app.kb import ingest as kb_ingest

CURATED_KIND = "curated"


@dataclass(frozen=True, slots=True)
class Approved:
    row: CuratedAnswer
    job_id: str
    source: str
    removed: dict[str, int]


def faq_csv(question: str, answer: str) -> bytes:
    """One FAQ row as the CSV the table loader reads (header ``question,answer``)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerows([("question", "answer"), (question, answer)])
    return buf.getvalue().encode("utf-8")


def _user(admin: Principal) -> str | None:
    return admin.actor_id if admin.actor_type == "user" else None


async def _load(container: Container, admin: Principal, curated_id: str) -> CuratedAnswer:
    async with container.sessions() as session:
        row = await crud_agent_desk.get_curated(session, tenant_id=admin.tenant_id, curated_id=curated_id)
    if row is None:
        raise AppError(ErrorCode.NOT_FOUND, "no such curated answer")
    if row.status != "pending":
        raise AppError(ErrorCode.CONFLICT, f"the curated answer is {row.status} already")
    return row


def _edited(text: str | None, original: str, *, field: str, limit: int) -> str:
    value = original if text is None else text.strip()
    if not value:
        raise AppError(ErrorCode.VALIDATION_ERROR, f"the {field} is empty")
    if len(value) > limit:
        raise AppError(ErrorCode.VALIDATION_ERROR, f"the {field} is over {limit} characters")
    return value


async def approve(
    container: Container,
    *,
    admin: Principal,
    curated_id: str,
    question: str | None = None,
    answer: str | None = None,
) -> Approved:
    """Approve a pending curated answer: an FAQ file of one row (``curated-<id>.csv``) is stored as an
    ingestion job into the draft. 404 unknown / another tenant's; 409 decided already, or the same entry
    is in the knowledge base already; 422 an empty or over-long edit."""
    row = await _load(container, admin, curated_id)
    q = _edited(question, row.question, field="question", limit=MAX_QUESTION_CHARS)
    a = _edited(answer, row.answer, field="answer", limit=MAX_ANSWER_CHARS)
    q, q_removed = await asyncio.to_thread(scrub, container.masker, q)
    a, a_removed = await asyncio.to_thread(scrub, container.masker, a)
    removed = {k: q_removed.get(k, 0) + a_removed.get(k, 0) for k in {*q_removed, *a_removed}}
    async with container.sessions() as session:
        if not await crud_agent_desk.claim_curated(
            session, tenant_id=admin.tenant_id, curated_id=row.id, status="approved", decided_by=_user(admin)
        ):
            raise AppError(ErrorCode.CONFLICT, "the curated answer was decided meanwhile")
        await session.commit()
    source = f"curated-{row.id[:12]}.csv"
    try:
        job_id, skipped = await kb_ingest.store_files(
            container,
            tenant_id=admin.tenant_id,
            files=[kb_ingest.IngestFile(source, faq_csv(q, a))],
            created_by=_user(admin),
            kind=CURATED_KIND,
        )
        if skipped:
            await kb_admin.start_job(container, admin.tenant_id, job_id)  # closes the empty job
            raise AppError(ErrorCode.CONFLICT, "the same entry is in the knowledge base already")
    except BaseException:
        async with container.sessions() as session:  # put it back: nothing half-done
            back = await crud_agent_desk.get_curated(session, tenant_id=admin.tenant_id, curated_id=row.id)
            if back is not None:
                back.status, back.decided_by, back.decided_at = "pending", None, None
                await session.commit()
        raise
    async with container.sessions() as session:
        decided = await crud_agent_desk.get_curated(session, tenant_id=admin.tenant_id, curated_id=row.id)
        assert decided is not None
        if (q, a) != (decided.question, decided.answer):
            decided.question, decided.answer = q, a
        await record_audit(
            session,
            admin,
            action="curated.approved",
            target_type="curated_answer",
            target_id=row.id,
            data={"job_id": job_id, "source": source, "edited": (q, a) != (row.question, row.answer)},
        )
        await session.commit()
    await kb_admin.start_job(container, admin.tenant_id, job_id)
    return Approved(row=decided, job_id=job_id, source=source, removed=removed)


async def reject(container: Container, *, admin: Principal, curated_id: str) -> CuratedAnswer:
    """Reject a pending curated answer. 404 unknown / another tenant's; 409 decided already."""
    await _load(container, admin, curated_id)
    async with container.sessions() as session:
        if not await crud_agent_desk.claim_curated(
            session,
            tenant_id=admin.tenant_id,
            curated_id=curated_id,
            status="rejected",
            decided_by=_user(admin),
        ):
            raise AppError(ErrorCode.CONFLICT, "the curated answer was decided meanwhile")
        await record_audit(
            session,
            admin,
            action="curated.rejected",
            target_type="curated_answer",
            target_id=curated_id,
        )
        await session.commit()
        row = await crud_agent_desk.get_curated(session, tenant_id=admin.tenant_id, curated_id=curated_id)
        assert row is not None
        return row
