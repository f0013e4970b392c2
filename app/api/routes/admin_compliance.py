"""Compliance for admins: the tenant's retention policy and a purge on demand, legal holds, data-subject
requests (export, erasure) and the widget's AI disclosure. Every change is audited by the services
(``app.compliance``); everything is scoped to the admin's tenant."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from app.api.routes._admin_common import actor_of
from app.compliance import dsr, holds, policies
from app.compliance.config import DisclosureText, RetentionPolicy
from app.compliance.purge import run_purge
from app.db import crud_compliance
from app.db.models import LegalHold
from app.deps import AdminDep, ContainerDep, SessionDep
from app.schemas.compliance import (
    DisclosurePublic,
    DsrRequestPublic,
    ErasurePublic,
    HoldCreate,
    HoldPublic,
    PurgeReportPublic,
    RetentionPublic,
    SubjectIn,
)

router = APIRouter(prefix="/admin/compliance", tags=["admin: compliance"])


@router.get("/retention", response_model=RetentionPublic)
async def get_retention(admin: AdminDep, container: ContainerDep) -> RetentionPublic:
    policy = await policies.retention(container, tenant_id=admin.tenant_id)
    return RetentionPublic(policy=policy, defaults=container.settings.compliance.retention)


@router.put("/retention", response_model=RetentionPublic)
async def put_retention(body: RetentionPolicy, admin: AdminDep, container: ContainerDep) -> RetentionPublic:
    """Periods in days (422 ``validation_error`` when vault, feedback or handoff packages would outlive
    the transcript). Applies from the next purge."""
    policy = await policies.set_retention(
        container, tenant_id=admin.tenant_id, actor=actor_of(admin), policy=body
    )
    return RetentionPublic(policy=policy, defaults=container.settings.compliance.retention)


@router.post("/purge", response_model=PurgeReportPublic)
async def purge_now(admin: AdminDep, container: ContainerDep) -> PurgeReportPublic:
    """Run the tenant's retention purge now (it also runs on its own, daily); returns its report."""
    [report] = await run_purge(container, tenant_id=admin.tenant_id, actor=actor_of(admin))
    return PurgeReportPublic.model_validate(report, from_attributes=True)


@router.get("/holds", response_model=list[HoldPublic])
async def list_holds(admin: AdminDep, container: ContainerDep) -> list[HoldPublic]:
    return [_hold(h) for h in await holds.active(container, tenant_id=admin.tenant_id)]


@router.post("/holds", status_code=201, response_model=HoldPublic)
async def place_hold(body: HoldCreate, admin: AdminDep, container: ContainerDep) -> HoldPublic:
    """Hold a conversation or all of a customer's conversations (exactly one of the two)."""
    hold = await holds.place(
        container,
        tenant_id=admin.tenant_id,
        actor=actor_of(admin),
        reason=body.reason,
        conversation_id=body.conversation_id,
        customer_id=body.customer_id,
    )
    return _hold(hold)


@router.post("/holds/{hold_id}/release", response_model=HoldPublic)
async def release_hold(
    hold_id: Annotated[str, Path(max_length=32)], admin: AdminDep, container: ContainerDep
) -> HoldPublic:
    return _hold(
        await holds.release(container, tenant_id=admin.tenant_id, actor=actor_of(admin), hold_id=hold_id)
    )


@router.post("/dsr/export")
async def export_subject(body: SubjectIn, admin: AdminDep, container: ContainerDep) -> dict[str, Any]:
    """One JSON document with the subject's conversations (values restored), feedback, handoffs, actions.
    Allowed while a legal hold applies (an export changes nothing; a hold only stops deletion); audited
    as ``dsr.export``. Values whose vault has expired (``PRIVACY__VAULT_TTL_S``, or the vault period of
    the retention policy) come back as their placeholders."""
    subject = dsr.Subject(customer_id=body.customer_id, conversation_id=body.conversation_id)
    return await dsr.export(container, tenant_id=admin.tenant_id, subject=subject, actor=actor_of(admin))


@router.post("/dsr/erase", response_model=ErasurePublic)
async def erase_subject(body: SubjectIn, admin: AdminDep, container: ContainerDep) -> ErasurePublic:
    """Erase the subject everywhere. 409 ``legal_hold_active`` (with the hold's reason) while held;
    repeating it is harmless, and resumes an interrupted erasure."""
    subject = dsr.Subject(customer_id=body.customer_id, conversation_id=body.conversation_id)
    out = await dsr.erase(container, tenant_id=admin.tenant_id, subject=subject, actor=actor_of(admin))
    return ErasurePublic.model_validate(out, from_attributes=True)


@router.get("/dsr", response_model=list[DsrRequestPublic])
async def list_requests(admin: AdminDep, session: SessionDep) -> list[DsrRequestPublic]:
    rows = await crud_compliance.list_requests(session, tenant_id=admin.tenant_id)
    return [
        DsrRequestPublic(
            id=r.id,
            kind=r.kind,
            subject_type=r.subject_type,
            status=r.status,
            conversations_done=r.conversations_done,
            counts=r.counts or {},
            requested_by=r.requested_by,
            created_at=r.created_at,
            finished_at=r.finished_at,
        )
        for r in rows
    ]


@router.get("/disclosure", response_model=DisclosurePublic)
async def get_disclosure(admin: AdminDep, container: ContainerDep) -> DisclosurePublic:
    text = await policies.disclosure(container, tenant_id=admin.tenant_id)
    return DisclosurePublic(text=text, defaults=container.settings.compliance.disclosure)


@router.put("/disclosure", response_model=DisclosurePublic)
async def put_disclosure(body: DisclosureText, admin: AdminDep, container: ContainerDep) -> DisclosurePublic:
    text = await policies.set_disclosure(
        container, tenant_id=admin.tenant_id, actor=actor_of(admin), text=body
    )
    return DisclosurePublic(text=text, defaults=container.settings.compliance.disclosure)


def _hold(h: LegalHold) -> HoldPublic:
    return HoldPublic.model_validate(h, from_attributes=True)
