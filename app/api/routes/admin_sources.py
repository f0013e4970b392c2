"""Admin routes of knowledge sources: website and folder sources, their syncs with live progress and
reports. Admins only; scoped to the admin's tenant (another tenant's source or sync is a 404)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query
from sse_starlette import EventSourceResponse, ServerSentEvent

from app.api.routes._admin_common import actor_of
from app.connectors import sources as source_service
from app.connectors import sync as sync_service
from app.connectors.views import source_views, sync_view
from app.deps import AdminDep, ContainerDep
from app.schemas.admin_sources import (
    FolderSourceCreate,
    SourcePublic,
    SourceUpdate,
    SyncPublic,
    SyncStarted,
    WebSourceCreate,
)

router = APIRouter(prefix="/admin/sources", tags=["admin: knowledge sources"])

SourceCreate = Annotated[WebSourceCreate | FolderSourceCreate, Body(discriminator="kind")]


@router.get("", response_model=list[SourcePublic])
async def list_sources(admin: AdminDep, container: ContainerDep) -> list[SourcePublic]:
    return await source_views(container, tenant_id=admin.tenant_id)


@router.post("", status_code=201, response_model=SourcePublic)
async def add_source(body: SourceCreate, admin: AdminDep, container: ContainerDep) -> SourcePublic:
    """A website source (start URL and/or sitemap, include/exclude patterns, hosts, page cap, delay) or
    a folder source (under ``CONNECTORS__FOLDER_ROOTS``). 422 ``source_refused`` with the reason: not
    http(s), a host off the list, a private or loopback address, a folder outside the allowed roots."""
    settings = container.settings.connectors
    if isinstance(body, WebSourceCreate):
        spec = source_service.WebSourceSpec(
            url=body.url, sitemap=body.sitemap, include=tuple(body.include), exclude=tuple(body.exclude),
            hosts=tuple(body.hosts), max_pages=body.max_pages, delay_s=body.delay_s,
        )  # fmt: skip
        config = source_service.web_config(spec, settings)
    else:
        config = await asyncio.to_thread(
            source_service.folder_config, body.path, body.glob, settings, operator=False
        )
    row = await source_service.add_source(
        container, tenant_id=admin.tenant_id, kind=body.kind, config=config, actor=actor_of(admin),
        name=body.name, schedule_minutes=body.schedule_minutes, auto_publish=body.auto_publish,
    )  # fmt: skip
    return next(s for s in await source_views(container, tenant_id=admin.tenant_id) if s.id == row.id)


@router.patch("/{source_id}", response_model=SourcePublic)
async def update_source(
    source_id: str, body: SourceUpdate, admin: AdminDep, container: ContainerDep
) -> SourcePublic:
    await source_service.update_source(
        container, tenant_id=admin.tenant_id, source_id=source_id, actor=actor_of(admin),
        values=body.model_dump(exclude_none=True),
    )  # fmt: skip
    return next(s for s in await source_views(container, tenant_id=admin.tenant_id) if s.id == source_id)


@router.delete("/{source_id}", status_code=204)
async def remove_source(
    source_id: str,
    admin: AdminDep,
    container: ContainerDep,
    documents: Annotated[Literal["keep", "delete"], Query()] = "keep",
) -> None:
    """Forget the source and its history. ``documents=keep`` (default): its documents stay in the knowledge
    base; ``documents=delete``: they are deleted too, through a draft without them (published as any draft
    is; the job shows on the Documents page)."""
    await source_service.remove_source(
        container, tenant_id=admin.tenant_id, source_id=source_id, actor=actor_of(admin),
        documents=documents == "delete",
    )  # fmt: skip


@router.post("/{source_id}/sync", status_code=202, response_model=SyncStarted)
async def start_sync(source_id: str, admin: AdminDep, container: ContainerDep) -> SyncStarted:
    """Start a sync now; 409 ``sync_in_progress`` while one runs. Follow it at ``/admin/sources/syncs/{id}``
    (poll) or ``.../events`` (SSE)."""
    sync_id = await sync_service.start_sync(
        container, tenant_id=admin.tenant_id, source_id=source_id, actor=actor_of(admin)
    )
    return SyncStarted(sync_id=sync_id)


@router.get("/{source_id}/syncs", response_model=list[SyncPublic])
async def list_syncs(
    source_id: str, admin: AdminDep, container: ContainerDep, limit: Annotated[int, Query(ge=1, le=100)] = 20
) -> list[SyncPublic]:
    from app.connectors.views import sync_views

    return await sync_views(container, tenant_id=admin.tenant_id, source_id=source_id, limit=limit)


@router.get("/syncs/{sync_id}", response_model=SyncPublic)
async def get_sync(sync_id: str, admin: AdminDep, container: ContainerDep) -> SyncPublic:
    return await sync_view(container, tenant_id=admin.tenant_id, sync_id=sync_id)


@router.get(
    "/syncs/{sync_id}/events",
    response_class=EventSourceResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "sync events until it is done"}},
)
async def sync_events(sync_id: str, admin: AdminDep, container: ContainerDep) -> Any:
    """Server-Sent Events: a ``sync`` event (the ``SyncPublic`` JSON) whenever the run moves, the last one
    with its report. Read from the database, so any replica serves it."""
    first = await sync_view(container, tenant_id=admin.tenant_id, sync_id=sync_id)

    async def events() -> AsyncIterator[ServerSentEvent]:
        last = first.model_dump_json()
        yield ServerSentEvent(event="sync", data=last)
        current = first
        while current.status not in sync_service.FINISHED:
            await asyncio.sleep(0.5)
            current = await sync_view(container, tenant_id=admin.tenant_id, sync_id=sync_id)
            body = current.model_dump_json()
            if body != last:
                last = body
                yield ServerSentEvent(event="sync", data=body)

    return EventSourceResponse(events(), ping=15, send_timeout=30)
