"""SQL for knowledge sources, what their syncs saw (items) and their sync runs.

Keyword-only functions, session first; every one is scoped by ``tenant_id`` except ``due_sources`` (the
scheduler's look across tenants).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.base import utcnow
from app.db.crud_rows import added, in_tenant
from app.db.models import KbSource, KbSourceItem, KbSourceSync

# --- sources ---------------------------------------------------------------------------------------------


async def create_source(
    session: AsyncSession,
    *,
    tenant_id: str,
    name: str,
    kind: str,
    config: dict[str, Any],
    schedule_minutes: int = 0,
    auto_publish: bool = True,
    created_by: str | None = None,
) -> KbSource:
    row = KbSource(
        tenant_id=tenant_id,
        name=name,
        kind=kind,
        config=config,
        schedule_minutes=schedule_minutes,
        auto_publish=auto_publish,
        enabled=True,
        created_by=created_by,
    )
    return await added(session, row)


async def get_source(session: AsyncSession, *, tenant_id: str, source_id: str) -> KbSource | None:
    return await in_tenant(session, KbSource, tenant_id=tenant_id, row_id=source_id)


async def get_source_by_name(session: AsyncSession, *, tenant_id: str, name: str) -> KbSource | None:
    stmt = select(KbSource).where(KbSource.name == name, KbSource.tenant_id == tenant_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_sources(session: AsyncSession, *, tenant_id: str) -> Sequence[KbSource]:
    stmt = (
        select(KbSource).where(KbSource.tenant_id == tenant_id).order_by(KbSource.created_at, KbSource.name)
    )
    return (await session.execute(stmt)).scalars().all()


async def delete_source(session: AsyncSession, *, tenant_id: str, source_id: str) -> bool:
    await session.execute(
        delete(KbSourceItem).where(KbSourceItem.source_id == source_id, KbSourceItem.tenant_id == tenant_id)
    )
    await session.execute(
        delete(KbSourceSync).where(KbSourceSync.source_id == source_id, KbSourceSync.tenant_id == tenant_id)
    )
    stmt = delete(KbSource).where(KbSource.id == source_id, KbSource.tenant_id == tenant_id)
    return bool((await session.execute(stmt)).rowcount)  # type: ignore[attr-defined]


async def due_sources(session: AsyncSession, *, now: datetime) -> list[KbSource]:
    """Enabled sources with a schedule whose last sync started at least ``schedule_minutes`` ago (or never
    ran), every tenant."""
    stmt = select(KbSource).where(KbSource.enabled.is_(True), KbSource.schedule_minutes > 0)
    rows = (await session.execute(stmt)).scalars().all()
    return [
        r
        for r in rows
        if r.last_sync_at is None or r.last_sync_at + timedelta(minutes=r.schedule_minutes) <= now
    ]


# --- items -----------------------------------------------------------------------------------------------


async def list_items(session: AsyncSession, *, tenant_id: str, source_id: str) -> Sequence[KbSourceItem]:
    stmt = select(KbSourceItem).where(
        KbSourceItem.source_id == source_id, KbSourceItem.tenant_id == tenant_id
    )
    return (await session.execute(stmt.order_by(KbSourceItem.key))).scalars().all()


async def upsert_item(
    session: AsyncSession,
    *,
    tenant_id: str,
    source_id: str,
    key: str,
    document_id: str | None,
    etag: str,
    last_modified: str,
    content_hash: str,
    links: list[str],
) -> None:
    stmt = select(KbSourceItem).where(KbSourceItem.source_id == source_id, KbSourceItem.key == key)
    row = (await session.execute(stmt)).scalar_one_or_none()
    if row is None:
        row = KbSourceItem(tenant_id=tenant_id, source_id=source_id, key=key)
        session.add(row)
    row.document_id = document_id
    row.etag = etag[:300]
    row.last_modified = last_modified[:100]
    row.content_hash = content_hash
    row.links = links
    row.updated_at = utcnow()


async def delete_items(session: AsyncSession, *, tenant_id: str, source_id: str, keys: Sequence[str]) -> None:
    if keys:
        await session.execute(
            delete(KbSourceItem).where(
                KbSourceItem.tenant_id == tenant_id,
                KbSourceItem.source_id == source_id,
                KbSourceItem.key.in_(list(keys)),
            )
        )


async def count_items(session: AsyncSession, *, tenant_id: str, source_ids: Sequence[str]) -> dict[str, int]:
    from sqlalchemy import func

    if not source_ids:
        return {}
    stmt = (
        select(KbSourceItem.source_id, func.count())
        .where(KbSourceItem.tenant_id == tenant_id, KbSourceItem.source_id.in_(list(source_ids)))
        .group_by(KbSourceItem.source_id)
    )
    return {str(s): int(n) for s, n in (await session.execute(stmt)).all()}


# --- syncs -----------------------------------------------------------------------------------------------


async def create_sync(
    session: AsyncSession, *, tenant_id: str, source_id: str, trigger: str, created_by: str | None
) -> KbSourceSync:
    row = KbSourceSync(
        tenant_id=tenant_id,
        source_id=source_id,
        trigger=trigger,
        status="queued",
        stage="queued",
        progress=0.0,
        counts={},
        items=[],
        gate={},
        created_by=created_by,
    )
    return await added(session, row)


async def get_sync(session: AsyncSession, *, tenant_id: str, sync_id: str) -> KbSourceSync | None:
    return await in_tenant(session, KbSourceSync, tenant_id=tenant_id, row_id=sync_id)


async def list_syncs(
    session: AsyncSession, *, tenant_id: str, source_id: str | None = None, limit: int = 20
) -> Sequence[KbSourceSync]:
    stmt = select(KbSourceSync).where(KbSourceSync.tenant_id == tenant_id)
    if source_id is not None:
        stmt = stmt.where(KbSourceSync.source_id == source_id)
    stmt = stmt.order_by(KbSourceSync.created_at.desc()).limit(limit)
    return (await session.execute(stmt)).scalars().all()


async def unfinished_syncs(
    session: AsyncSession, *, tenant_id: str, source_id: str
) -> Sequence[KbSourceSync]:
    stmt = select(KbSourceSync).where(
        KbSourceSync.tenant_id == tenant_id,
        KbSourceSync.source_id == source_id,
        KbSourceSync.status.in_(("queued", "running")),
    )
    return (await session.execute(stmt)).scalars().all()


async def update_sync(
    session: AsyncSession,
    *,
    tenant_id: str,
    sync_id: str,
    expect_status: str | None = None,
    values: dict[str, Any],
) -> bool:
    """Update a sync row; with ``expect_status`` only while it has that status. Returns whether it did."""
    values = {**values, "updated_at": utcnow()}
    if values.get("status") in ("succeeded", "failed"):
        values["finished_at"] = utcnow()
    stmt = update(KbSourceSync).where(KbSourceSync.id == sync_id, KbSourceSync.tenant_id == tenant_id)
    if expect_status is not None:
        stmt = stmt.where(KbSourceSync.status == expect_status)
    result = await session.execute(stmt.values(**values))
    return int(getattr(result, "rowcount", 0) or 0) == 1


async def mark_source_synced(session: AsyncSession, *, tenant_id: str, source_id: str, at: datetime) -> None:
    await session.execute(
        update(KbSource)
        .where(KbSource.id == source_id, KbSource.tenant_id == tenant_id)
        .values(last_sync_at=at)
    )
