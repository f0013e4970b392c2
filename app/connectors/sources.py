"""Adding, listing, changing and removing a tenant's knowledge sources, with their configuration checked.

A website source needs a start URL and/or a sitemap (http or https); its hosts are those two URLs' hosts
unless it names its own list (each URL must be on it); its start URL and sitemap must not resolve to a
private or loopback address unless ``allow_private``, which only the operator may set (``kefu source
add web --allow-private``), never the admin API. A folder source names an absolute folder; through the
admin API it must lie under one of ``CONNECTORS__FOLDER_ROOTS`` (the server's disk is the operator's).
Refusals are ``AppError`` 422 ``source_refused`` with the reason.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError

from app.auth.audit import record_by
from app.connectors.config import ConnectorsConfig
from app.connectors.folder import FolderSettings
from app.connectors.safety import FetchRefused, check_addresses, host_of, normalise_url, resolve
from app.connectors.web import WebSettings, default_hosts
from app.container import Container
from app.db import crud_sources
from app.db.models import KbSource
from app.errors import AppError, ErrorCode
from app.kb import admin as kb_admin
from app.kb.versions import Actor

MAX_PATTERNS = 20
MAX_PATTERN_CHARS = 300
_HOST = re.compile(r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$|^\[?[0-9a-f:.]+\]?$")
_NAME = re.compile(r"^[\w .:@()/-]{1,200}$")


def _refuse(detail: str) -> AppError:
    return AppError(ErrorCode.SOURCE_REFUSED, detail)


@dataclass(frozen=True, slots=True)
class WebSourceSpec:
    url: str = ""
    sitemap: str = ""
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ()
    allow_private: bool = False
    max_pages: int | None = None
    delay_s: float | None = None


def web_config(spec: WebSourceSpec, config: ConnectorsConfig) -> dict[str, Any]:
    """The stored configuration of a website source, checked (without the network)."""
    if not spec.url and not spec.sitemap:
        raise _refuse("a website source needs a start URL or a sitemap URL (or both)")
    try:
        url = normalise_url(spec.url) if spec.url else ""
        sitemap = normalise_url(spec.sitemap) if spec.sitemap else ""
    except FetchRefused as exc:
        raise _refuse(exc.detail) from None
    hosts = tuple(dict.fromkeys(h.strip().lower().strip("[]") for h in spec.hosts if h.strip()))
    for h in hosts:
        if not _HOST.match(h):
            raise _refuse(f"{h!r} is not a host name")
    hosts = hosts or default_hosts(url, sitemap)
    for u in (url, sitemap):
        if u and host_of(u) not in hosts:
            raise _refuse(f"{u} is not on the source's hosts ({', '.join(hosts)})")
    for patterns in (spec.include, spec.exclude):
        if len(patterns) > MAX_PATTERNS or any(not p or len(p) > MAX_PATTERN_CHARS for p in patterns):
            raise _refuse(f"at most {MAX_PATTERNS} patterns of 1 to {MAX_PATTERN_CHARS} characters")
    max_pages = config.default_max_pages if spec.max_pages is None else spec.max_pages
    if not 1 <= max_pages <= config.max_pages_limit:
        raise _refuse(f"the page cap is 1 to {config.max_pages_limit}")
    delay = config.default_delay_s if spec.delay_s is None else spec.delay_s
    if not 0 <= delay <= 60:
        raise _refuse("the delay between requests is 0 to 60 seconds")
    return {
        "url": url, "sitemap": sitemap, "include": list(spec.include), "exclude": list(spec.exclude),
        "hosts": list(hosts), "allow_private": spec.allow_private, "max_pages": max_pages, "delay_s": delay,
    }  # fmt: skip


async def check_reachable(config: dict[str, Any]) -> None:
    """Refuse a start URL or sitemap whose host resolves to a private address (unless allowed). A name
    that does not resolve now is accepted: the sync reports it."""
    for u in (config["url"], config["sitemap"]):
        if not u:
            continue
        host = host_of(u)
        try:
            addresses = await asyncio.to_thread(resolve, host, 443)
            check_addresses(host, addresses, allow_private=bool(config["allow_private"]))
        except FetchRefused as exc:
            if exc.code == "private_address":
                raise _refuse(exc.detail) from None


def web_settings(config: dict[str, Any]) -> WebSettings:
    return WebSettings(
        url=str(config.get("url", "")),
        sitemap=str(config.get("sitemap", "")),
        include=tuple(config.get("include", ())),
        exclude=tuple(config.get("exclude", ())),
        hosts=tuple(config.get("hosts", ())),
        allow_private=bool(config.get("allow_private", False)),
        max_pages=int(config.get("max_pages", 200)),
        delay_s=float(config.get("delay_s", 1.0)),
    )


def folder_config(path: str, glob: str, config: ConnectorsConfig, *, operator: bool) -> dict[str, Any]:
    """The stored configuration of a folder source, checked. ``operator``: added from the command line
    (any folder); otherwise the folder must lie under ``CONNECTORS__FOLDER_ROOTS``."""
    p = Path(path).expanduser()
    if not p.is_absolute():
        raise _refuse("the folder must be an absolute path on the server")
    real = p.resolve()
    if not real.is_dir():
        raise _refuse(f"{real} is not a folder on the server")
    if not operator and not any(real.is_relative_to(Path(r).resolve()) for r in config.folder_roots):
        raise _refuse(
            "folder sources through the admin API must lie under CONNECTORS__FOLDER_ROOTS"
            + (
                f" ({', '.join(str(r) for r in config.folder_roots)})"
                if config.folder_roots
                else " (none set)"
            )
        )
    glob = glob.strip() or "**/*"
    if glob.startswith("/") or ".." in Path(glob).parts or len(glob) > 200:
        raise _refuse("the glob is relative to the folder, without '..'")
    return {"path": str(real), "glob": glob}


def folder_settings(source: KbSource) -> FolderSettings:
    return FolderSettings(path=str(source.config["path"]), glob=str(source.config.get("glob", "**/*")),
                          prefix=source.name)  # fmt: skip


def default_name(kind: str, config: dict[str, Any]) -> str:
    if kind == "folder":
        return Path(str(config["path"])).name or "folder"
    return host_of(config["url"] or config["sitemap"])


async def add_source(
    container: Container,
    *,
    tenant_id: str,
    kind: str,
    config: dict[str, Any],
    actor: Actor,
    name: str = "",
    schedule_minutes: int = 0,
    auto_publish: bool = True,
) -> KbSource:
    """Store a checked configuration (``web_config`` / ``folder_config``) as a new source."""
    name = (name or default_name(kind, config)).strip()
    if not _NAME.match(name):
        raise _refuse("a source name is 1 to 200 letters, digits, spaces or . : @ ( ) / -")
    if not 0 <= schedule_minutes <= 60 * 24 * 31:
        raise _refuse("the schedule is 0 (only when asked) to 44640 minutes")
    if kind == "web":
        await check_reachable(config)
    async with container.sessions() as session:
        if await crud_sources.get_source_by_name(session, tenant_id=tenant_id, name=name) is not None:
            raise AppError(ErrorCode.CONFLICT, f"a source named {name!r} exists already")
        try:
            row = await crud_sources.create_source(
                session, tenant_id=tenant_id, name=name, kind=kind, config=config,
                schedule_minutes=schedule_minutes, auto_publish=auto_publish, created_by=actor.user_id,
            )  # fmt: skip
            await record_by(
                session, actor, tenant_id=tenant_id,
                action="kb.source_add", target_type="kb_source", target_id=row.id,
                data={"kind": kind, "name": name},
            )  # fmt: skip
            await session.commit()
        except IntegrityError:
            raise AppError(ErrorCode.CONFLICT, f"a source named {name!r} exists already") from None
        await session.refresh(row)
        return row


async def update_source(
    container: Container, *, tenant_id: str, source_id: str, actor: Actor, values: dict[str, Any]
) -> KbSource:
    """Change ``enabled``, ``schedule_minutes``, ``auto_publish`` and, for a website source, ``include``,
    ``exclude``, ``max_pages`` and ``delay_s`` (checked as when added)."""
    async with container.sessions() as session:
        row = await crud_sources.get_source(session, tenant_id=tenant_id, source_id=source_id)
        if row is None:
            raise AppError(ErrorCode.NOT_FOUND, "no such source")
        if "schedule_minutes" in values and not 0 <= int(values["schedule_minutes"]) <= 60 * 24 * 31:
            raise _refuse("the schedule is 0 (only when asked) to 44640 minutes")
        for key in ("enabled", "schedule_minutes", "auto_publish"):
            if key in values:
                setattr(row, key, values[key])
        web_keys = {k: values[k] for k in ("include", "exclude", "max_pages", "delay_s") if k in values}
        if web_keys:
            if row.kind != "web":
                raise _refuse("include, exclude, max_pages and delay_s are website settings")
            cfg = dict(row.config)
            spec = WebSourceSpec(
                url=cfg["url"], sitemap=cfg["sitemap"], hosts=tuple(cfg["hosts"]),
                allow_private=bool(cfg["allow_private"]),
                include=tuple(web_keys.get("include", cfg["include"])),
                exclude=tuple(web_keys.get("exclude", cfg["exclude"])),
                max_pages=int(web_keys.get("max_pages", cfg["max_pages"])),
                delay_s=float(web_keys.get("delay_s", cfg["delay_s"])),
            )  # fmt: skip
            row.config = web_config(spec, container.settings.connectors)
        await record_by(
            session, actor, tenant_id=tenant_id,
            action="kb.source_update", target_type="kb_source", target_id=row.id,
            data={k: v for k, v in values.items() if k != "config"},
        )  # fmt: skip
        await session.commit()
        await session.refresh(row)
        return row


async def remove_source(
    container: Container, *, tenant_id: str, source_id: str, actor: Actor, documents: bool = False
) -> str | None:
    """Forget the source and its sync history. Its documents stay in the knowledge base unless
    ``documents``: then they are deleted too (``kb.admin.delete_documents``: a job builds a draft without
    them, published as the tenant publishes any draft; the active version serves them until then) and the
    job's id is returned. Refused (nothing written) while the source syncs, and with ``documents`` when its
    pages are all the knowledge base holds."""
    async with container.sessions() as session:
        row = await crud_sources.get_source(session, tenant_id=tenant_id, source_id=source_id)
        if row is None:
            raise AppError(ErrorCode.NOT_FOUND, "no such source")
        if await crud_sources.unfinished_syncs(session, tenant_id=tenant_id, source_id=source_id):
            raise AppError(ErrorCode.SYNC_IN_PROGRESS, "the source is syncing; remove it when it is done")
        name = row.name
        doc_ids = [
            i.document_id
            for i in await crud_sources.list_items(session, tenant_id=tenant_id, source_id=source_id)
            if i.document_id
        ]
    job_id = None
    if documents and doc_ids:
        job_id = await kb_admin.delete_documents(
            container, tenant_id=tenant_id, actor=actor, document_ids=doc_ids, strict=False
        )
    async with container.sessions() as session:
        await crud_sources.delete_source(session, tenant_id=tenant_id, source_id=source_id)
        await record_by(
            session, actor, tenant_id=tenant_id,
            action="kb.source_remove", target_type="kb_source", target_id=source_id,
            data={"name": name, "documents": "deleted" if documents else "kept", "job_id": job_id},
        )  # fmt: skip
        await session.commit()
    return job_id
