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


ACTION_EVENT_TYPES = (
    "customer_verified",
    "action_requested",
    "action_confirm_asked",
    "action_confirmed",
    "action_cancelled",
    "action_finished",
)


async def conversation_action_events(
    session: AsyncSession, *, conversation_id: str
) -> list[tuple[int, str, dict[str, Any], Any]]:
    """(seq, type, payload, created_at) of a conversation's action events, in order (the caller has
    checked the conversation is its tenant's)."""
    from app.db.models import DialogEventRow

    stmt = (
        select(DialogEventRow.seq, DialogEventRow.type, DialogEventRow.payload, DialogEventRow.created_at)
        .where(DialogEventRow.conversation_id == conversation_id)
        .where(DialogEventRow.type.in_(ACTION_EVENT_TYPES))
        .order_by(DialogEventRow.seq)
    )
    return [(int(r[0]), str(r[1]), dict(r[2]), r[3]) for r in (await session.execute(stmt)).all()]
