"""SQL of the action catalogue (``actions``). Keyword-only, session first, tenant-scoped."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import ActionDef


async def list_actions(
    session: AsyncSession, *, tenant_id: str, enabled_only: bool = False
) -> Sequence[ActionDef]:
    q = select(ActionDef).where(ActionDef.tenant_id == tenant_id)
    if enabled_only:
        q = q.where(ActionDef.enabled.is_(True))
    return (await session.scalars(q.order_by(ActionDef.name))).all()


async def get_action(session: AsyncSession, *, tenant_id: str, action_id: str) -> ActionDef | None:
    row = await session.get(ActionDef, action_id)
    return row if row is not None and row.tenant_id == tenant_id else None


async def get_action_by_name(session: AsyncSession, *, tenant_id: str, name: str) -> ActionDef | None:
    q = select(ActionDef).where(ActionDef.tenant_id == tenant_id, ActionDef.name == name)
    return (await session.scalars(q)).first()


async def create_action(session: AsyncSession, *, tenant_id: str, fields: dict[str, Any]) -> ActionDef:
    row = ActionDef(tenant_id=tenant_id, **fields)
    session.add(row)
    await session.flush()
    return row


async def update_action(session: AsyncSession, *, row: ActionDef, fields: dict[str, Any]) -> ActionDef:
    for name, value in fields.items():
        setattr(row, name, value)
    await session.flush()
    return row


async def delete_action(session: AsyncSession, *, tenant_id: str, action_id: str) -> bool:
    result = await session.execute(
        delete(ActionDef).where(ActionDef.tenant_id == tenant_id, ActionDef.id == action_id)
    )
    return bool(getattr(result, "rowcount", 0))
