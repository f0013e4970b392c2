"""Sources and sync runs as the admin API shows them (``app.schemas.admin_sources``)."""

from __future__ import annotations

from app.container import Container
from app.db import crud_kb, crud_sources
from app.db.models import KbSourceSync
from app.errors import AppError, ErrorCode
from app.schemas.admin_sources import SourcePublic, SyncPublic


def _sync_public(run: KbSourceSync, active_label: str | None) -> SyncPublic:
    return SyncPublic(
        id=run.id,
        source_id=run.source_id,
        trigger=run.trigger,
        status=run.status,
        stage=run.stage,
        progress=run.progress,
        items_seen=run.items_seen,
        current=run.current,
        counts={str(k): int(v) for k, v in (run.counts or {}).items()},
        items=[{str(k): str(v) for k, v in i.items()} for i in run.items or []],
        job_id=run.job_id,
        version=run.version,
        published=run.published,
        active=run.status == "succeeded" and run.version is not None and run.version == active_label,
        gate=dict(run.gate or {}),
        note=run.note,
        error_code=run.error_code,
        error_detail=run.error_detail,
        elapsed_s=run.elapsed_s,
        created_at=run.created_at,
        finished_at=run.finished_at,
    )


async def _active_label(container: Container, tenant_id: str) -> str | None:
    async with container.sessions() as session:
        active = await crud_kb.get_active_version(session, tenant_id=tenant_id)
    return active.label if active else None


async def sync_view(container: Container, *, tenant_id: str, sync_id: str) -> SyncPublic:
    async with container.sessions() as session:
        run = await crud_sources.get_sync(session, tenant_id=tenant_id, sync_id=sync_id)
    if run is None:
        raise AppError(ErrorCode.NOT_FOUND, "no such sync")
    return _sync_public(run, await _active_label(container, tenant_id))


async def sync_views(container: Container, *, tenant_id: str, source_id: str, limit: int) -> list[SyncPublic]:
    async with container.sessions() as session:
        if await crud_sources.get_source(session, tenant_id=tenant_id, source_id=source_id) is None:
            raise AppError(ErrorCode.NOT_FOUND, "no such source")
        runs = await crud_sources.list_syncs(session, tenant_id=tenant_id, source_id=source_id, limit=limit)
    active = await _active_label(container, tenant_id)
    return [_sync_public(r, active) for r in runs]


async def source_views(container: Container, *, tenant_id: str) -> list[SourcePublic]:
    async with container.sessions() as session:
        rows = await crud_sources.list_sources(session, tenant_id=tenant_id)
        counts = await crud_sources.count_items(session, tenant_id=tenant_id, source_ids=[r.id for r in rows])
        last = {}
        for r in rows:
            runs = await crud_sources.list_syncs(session, tenant_id=tenant_id, source_id=r.id, limit=1)
            if runs:
                last[r.id] = runs[0]
    active = await _active_label(container, tenant_id)
    return [
        SourcePublic(
            id=r.id,
            name=r.name,
            kind=r.kind,
            config=dict(r.config),
            schedule_minutes=r.schedule_minutes,
            auto_publish=r.auto_publish,
            enabled=r.enabled,
            items=counts.get(r.id, 0),
            last_sync_at=r.last_sync_at,
            last_sync=_sync_public(last[r.id], active) if r.id in last else None,
            created_at=r.created_at,
        )
        for r in rows
    ]
