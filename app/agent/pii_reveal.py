"""Revealing a placeholder's value to an agent: only with the permission, and only after the audit event
(who, when, which placeholder; never the value) is committed.

The permission belongs to roles, per tenant: ``tenants.settings["pii_reveal_roles"]`` (a list of roles),
``["admin"]`` when unset. Only people reveal (a user login, not an API key): the audit names a person.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.auth.audit import record_audit
from app.auth.service import ROLES, Principal
from app.container import Container
from app.db import crud_conversations, crud_tenancy
from app.errors import AppError, ErrorCode
from privacy.audit import reveal as reveal_value
from privacy.audit import reveal_event
from privacy.errors import UnknownPlaceholder

logger = logging.getLogger(__name__)

DEFAULT_REVEAL_ROLES: tuple[str, ...] = ("admin",)
SETTING = "pii_reveal_roles"


@dataclass(frozen=True, slots=True)
class Revealed:
    placeholder: str
    entity_type: str
    value: str  # the clear value: return it to the caller, never log or store it

    def __repr__(self) -> str:
        return f"Revealed({self.placeholder!r}, <value>)"


def reveal_roles(tenant_settings: Mapping[str, Any] | None) -> tuple[str, ...]:
    """The roles that may reveal, from the tenant's settings (unknown role names are ignored)."""
    configured = (tenant_settings or {}).get(SETTING)
    if not isinstance(configured, list):
        return DEFAULT_REVEAL_ROLES
    return tuple(r for r in configured if isinstance(r, str) and r in ROLES)


async def may_reveal(container: Container, principal: Principal) -> bool:
    if principal.actor_type != "user":
        return False
    async with container.sessions() as session:
        tenant = await crud_tenancy.get_tenant(session, tenant_id=principal.tenant_id)
    return tenant is not None and principal.role in reveal_roles(tenant.settings)


async def reveal(
    container: Container, *, agent: Principal, conversation_id: str, placeholder: str, reason: str = ""
) -> Revealed:
    """The value behind ``placeholder`` in this conversation.

    403 ``forbidden`` without the permission; 404 ``conversation_not_found`` for an unknown or another
    tenant's conversation; 404 ``not_found`` for a placeholder that is not this conversation's (or whose
    vault has expired). The ``pii.reveal`` audit event is committed before the value is returned.
    """
    if not await may_reveal(container, agent):
        raise AppError(ErrorCode.FORBIDDEN, "revealing personal data needs the reveal permission")
    async with container.sessions() as session:
        conv = await crud_conversations.get_conversation(
            session, tenant_id=agent.tenant_id, conversation_id=conversation_id
        )
    if conv is None:
        raise AppError(ErrorCode.CONVERSATION_NOT_FOUND, "no such conversation")
    vault = await container.vaults.load(conversation_id)
    try:
        value, event = reveal_value(
            vault, placeholder, actor=agent.actor_id, conversation_id=conversation_id, reason=reason
        )
    except UnknownPlaceholder as exc:
        raise AppError(ErrorCode.NOT_FOUND, "no such placeholder in this conversation") from exc
    async with container.sessions() as session:
        await record_audit(
            session,
            agent,
            action="pii.reveal",
            target_type="conversation",
            target_id=conversation_id,
            data=reveal_event(event),
        )
        await session.commit()
    logger.info(
        "pii reveal conversation=%s placeholder=%s actor=%s", conversation_id, placeholder, agent.actor_id
    )
    return Revealed(placeholder=placeholder, entity_type=event.entity_type, value=value)
