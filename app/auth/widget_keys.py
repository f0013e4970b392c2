"""Widget keys as admins manage them: the allowed origins (validated, normalised), a new name, disabling
and re-enabling. Every change is audited with the key's id and its new origins (never a customer value).
A change takes effect on the widget's next request: the key is read on every call (``app.deps``)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.audit import record_audit
from app.auth.service import Principal, normalise_origin
from app.db import crud_tenancy
from app.db.models import WidgetKey
from app.errors import AppError, ErrorCode


def validated_origins(origins: Sequence[str]) -> list[str]:
    """``scheme://host[:port]`` each (lower-cased, default port dropped) or ``"*"``; duplicates dropped.
    ``validation_error`` names the first entry that is not an origin."""
    out: list[str] = []
    for o in origins:
        norm = "*" if o.strip() == "*" else normalise_origin(o)
        if norm is None:
            raise AppError(ErrorCode.VALIDATION_ERROR, f"not an origin (scheme://host[:port]): {o!r}")
        if norm not in out:
            out.append(norm)
    if not out:
        raise AppError(ErrorCode.VALIDATION_ERROR, "a widget key needs at least one allowed origin")
    return out


async def update_widget_key(
    session: AsyncSession,
    *,
    actor: Principal,
    key_id: str,
    name: str | None = None,
    allowed_origins: Sequence[str] | None = None,
    is_active: bool | None = None,
) -> WidgetKey:
    """Change what was given (None = unchanged) on one of the actor's tenant's keys; commits.
    404 ``not_found`` for an unknown key or another tenant's."""
    key = await crud_tenancy.get_tenant_widget_key(session, tenant_id=actor.tenant_id, key_id=key_id)
    if key is None:
        raise AppError(ErrorCode.NOT_FOUND, "no such widget key")
    origins = validated_origins(allowed_origins) if allowed_origins is not None else None
    was_active = key.is_active
    await crud_tenancy.update_widget_key(
        session, key=key, name=name, allowed_origins=origins, is_active=is_active
    )
    if is_active is not None and is_active != was_active:
        action = "widget_key.enable" if is_active else "widget_key.disable"
    else:
        action = "widget_key.update"
    await record_audit(
        session,
        actor,
        action=action,
        target_type="widget_key",
        target_id=key.id,
        data={"origins": list(key.allowed_origins), "is_active": key.is_active},
    )
    await session.commit()
    return key
