"""A tenant's retention policy and widget disclosure: read (saved values over the deployment's
defaults) and changed by its admins, each change audited with the old and new values."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pydantic import BaseModel

from app.auth.audit import record_by
from app.compliance.config import (
    DISCLOSURE_SETTING,
    RETENTION_SETTING,
    DisclosureText,
    RetentionPolicy,
    tenant_disclosure,
    tenant_policy,
)
from app.container import Container
from app.db import crud_compliance, crud_tenancy
from app.errors import AppError, ErrorCode
from app.kb.versions import Actor

_Setting = TypeVar("_Setting", bound=BaseModel)


async def _tenant_settings(container: Container, tenant_id: str) -> dict[str, Any]:
    async with container.sessions() as session:
        tenant = await crud_tenancy.get_tenant(session, tenant_id=tenant_id)
    if tenant is None:
        raise AppError(ErrorCode.NOT_FOUND, "no such tenant")
    return dict(tenant.settings or {})


async def retention(container: Container, *, tenant_id: str) -> RetentionPolicy:
    return tenant_policy(
        await _tenant_settings(container, tenant_id), container.settings.compliance.retention
    )


async def disclosure(container: Container, *, tenant_id: str) -> DisclosureText:
    return tenant_disclosure(
        await _tenant_settings(container, tenant_id), container.settings.compliance.disclosure
    )


async def set_retention(
    container: Container, *, tenant_id: str, actor: Actor, policy: RetentionPolicy
) -> RetentionPolicy:
    return await _save(container, tenant_id, actor, RETENTION_SETTING, policy, retention, "retention.update")


async def set_disclosure(
    container: Container, *, tenant_id: str, actor: Actor, text: DisclosureText
) -> DisclosureText:
    return await _save(container, tenant_id, actor, DISCLOSURE_SETTING, text, disclosure, "disclosure.update")


async def _save(
    container: Container,
    tenant_id: str,
    actor: Actor,
    key: str,
    new: _Setting,
    current: Callable[..., Awaitable[_Setting]],
    action: str,
) -> _Setting:
    """Store ``new`` as the tenant's ``key`` setting and audit the change from what ``current`` reads."""
    before = (await current(container, tenant_id=tenant_id)).model_dump()
    value = new.model_dump()
    async with container.sessions() as session:
        if not await crud_compliance.set_tenant_setting(session, tenant_id=tenant_id, key=key, value=value):
            raise AppError(ErrorCode.NOT_FOUND, "no such tenant")
        await record_by(
            session,
            actor,
            tenant_id=tenant_id,
            action=action,
            target_type="tenant",
            target_id=tenant_id,
            data={"before": before, "after": value},
        )
        await session.commit()
    return new
