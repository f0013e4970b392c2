"""Two steps every ``crud_*`` module takes: add a new row (flushed, so its id and defaults are set) and
read one row of a tenant by its id. Keyword-only after the session; no commit."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.base import Base

RowT = TypeVar("RowT", bound=Base)


async def added(session: AsyncSession, row: RowT) -> RowT:
    """``row``, added to the session and flushed."""
    session.add(row)
    await session.flush()
    return row


async def in_tenant(session: AsyncSession, model: type[RowT], *, tenant_id: str, row_id: str) -> RowT | None:
    """The ``model`` row with this id in this tenant; None when there is none (another tenant's included)."""
    columns = model.__table__.c
    stmt = select(model).where(columns.id == row_id, columns.tenant_id == tenant_id)
    return (await session.execute(stmt)).scalar_one_or_none()
