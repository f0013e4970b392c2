"""``kefu source ...`` (website and folder sources of a tenant's knowledge base), ``kefu search`` (the
active version's top hits, the hit-testing page from the command line) and ``kefu demo-site`` (the demo
bank's help centre on loopback, to sync from)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from app.cli import Clis
from app.cli.tenant_run import run_for_tenant, system_actor

if TYPE_CHECKING:
    from app.container import Container
    from app.db.models import KbSourceSync

OPERATOR = None  # the audit actor of command-line changes: the system (the operator has the shell)


def register(cli: Clis) -> None:
    source = typer.Typer(
        help="Website and folder sources of a tenant's knowledge base.", no_args_is_help=True
    )
    add = typer.Typer(help="Add a source.", no_args_is_help=True)
    source.add_typer(add, name="add")
    cli.root.add_typer(source, name="source")

    @add.command("web")
    def add_web(
        tenant: str = typer.Option(..., help="Tenant slug"),
        url: str = typer.Option("", help="Start URL: fetched, its links followed"),
        sitemap: str = typer.Option("", help="sitemap.xml URL (an index is followed)"),
        include: list[str] = typer.Option([], help="Only URLs matching (glob; '/path*' matches the path)"),
        exclude: list[str] = typer.Option([], help="Not URLs matching (glob)"),
        host: list[str] = typer.Option([], help="Allowed hosts (default: the URL's and sitemap's)"),
        allow_private: bool = typer.Option(
            False, help="Allow private and loopback addresses (intranet, demo)"
        ),
        max_pages: int = typer.Option(None, help="Pages fetched per sync at most"),
        delay: float = typer.Option(None, help="Seconds between two requests"),
        schedule: int = typer.Option(0, help="Sync every N minutes (0: only when asked)"),
        name: str = typer.Option("", help="Source name (default: the host)"),
        auto_publish: bool = typer.Option(
            True, "--auto-publish/--no-auto-publish", help="Publish when the golden-question gate passes"
        ),  # fmt: skip
        if_absent: bool = typer.Option(
            False, help="Do nothing when the tenant has a source of that --name already (make run)"
        ),
    ) -> None:
        """Add a website source (help centre): start URL and/or sitemap."""
        from app.connectors import sources

        async def go(c: Container, tenant_id: str) -> Any:
            if if_absent and name:
                from app.db import crud_sources

                async with c.sessions() as session:
                    found = await crud_sources.get_source_by_name(session, tenant_id=tenant_id, name=name)
                if found is not None:
                    return None
            spec = sources.WebSourceSpec(
                url=url, sitemap=sitemap, include=tuple(include), exclude=tuple(exclude), hosts=tuple(host),
                allow_private=allow_private, max_pages=max_pages, delay_s=delay,
            )  # fmt: skip
            config = sources.web_config(spec, c.settings.connectors)
            return await sources.add_source(
                c, tenant_id=tenant_id, kind="web", config=config, actor=system_actor(), name=name,
                schedule_minutes=schedule, auto_publish=auto_publish,
            )  # fmt: skip

        row = run_for_tenant(tenant, go)
        if row is None:
            typer.echo(f"web source {name} exists already")
            return
        typer.echo(f"added web source {row.name} ({row.id})")

    @add.command("folder")
    def add_folder(
        tenant: str = typer.Option(..., help="Tenant slug"),
        path: Path = typer.Option(..., help="Folder on this server (a mounted document share)"),
        glob: str = typer.Option("**/*", help="Files to read, relative to the folder"),
        schedule: int = typer.Option(0, help="Sync every N minutes (0: only when asked)"),
        name: str = typer.Option("", help="Source name (default: the folder's name)"),
        auto_publish: bool = typer.Option(
            True, "--auto-publish/--no-auto-publish", help="Publish when the golden-question gate passes"
        ),  # fmt: skip
    ) -> None:
        """Add a folder source."""
        from app.connectors import sources

        folder = str(path.absolute())

        async def go(c: Container, tenant_id: str) -> Any:
            config = await asyncio.to_thread(
                sources.folder_config, folder, glob, c.settings.connectors, operator=True
            )
            return await sources.add_source(
                c, tenant_id=tenant_id, kind="folder", config=config, actor=system_actor(), name=name,
                schedule_minutes=schedule, auto_publish=auto_publish,
            )  # fmt: skip

        row = run_for_tenant(tenant, go)
        typer.echo(f"added folder source {row.name} ({row.id})")

    @source.command("list")
    def list_sources(
        tenant: str = typer.Option(..., help="Tenant slug"),
        as_json: bool = typer.Option(False, "--json", help="JSON output"),
    ) -> None:
        """The tenant's sources and their last sync."""
        from app.connectors.views import source_views

        async def go(c: Container, tenant_id: str) -> Any:
            return await source_views(c, tenant_id=tenant_id)

        rows = run_for_tenant(tenant, go)
        if as_json:
            typer.echo(json.dumps([r.model_dump(mode="json") for r in rows], ensure_ascii=False, indent=1))
            return
        for r in rows:
            where = r.config.get("path") or r.config.get("url") or r.config.get("sitemap")
            last = r.last_sync
            state = (
                f"last sync {last.status} {_counts(last.counts)} {last.version or ''}"
                if last
                else "never synced"
            )
            typer.echo(f"{r.id}  {r.kind:<6} {r.name}  {where}  items {r.items}  {state}")

    @source.command("sync")
    def sync(
        tenant: str = typer.Option(..., help="Tenant slug"),
        source_id: str = typer.Option(
            None, "--source", help="Source id (default: every source of the tenant)"
        ),
        wait: bool = typer.Option(False, help="Wait for the end (with in-process jobs it always waits)"),
        as_json: bool = typer.Option(False, "--json", help="The report as JSON"),
    ) -> None:
        """Sync sources now. Exit 0 only when every sync finished and its version is active."""
        ok = run_for_tenant(tenant, lambda c, t: _sync(c, t, source_id, wait, as_json))
        if not ok:
            raise typer.Exit(1)

    @cli.root.command()
    def search(
        question: str = typer.Argument(..., help="The question"),
        tenant: str = typer.Option(..., help="Tenant slug"),
        k: int = typer.Option(5, min=1, max=50, help="Hits"),
        version: str = typer.Option("active", help="active, draft or a version id"),
        as_json: bool = typer.Option(False, "--json", help="JSON output"),
    ) -> None:
        """The top hits of a version for a question: document title, source URL or file name, scores."""
        from app.kb import admin as kb_admin

        async def go(c: Container, tenant_id: str) -> Any:
            return await kb_admin.hit_test(c, tenant_id=tenant_id, query=question, target=version, k=k)

        res = run_for_tenant(tenant, go)
        if as_json:
            body = {"version": res.version.label, "good_enough": res.good_enough, "elapsed_ms": res.elapsed_ms,
                    "hits": res.hits}  # fmt: skip
            typer.echo(json.dumps(body, ensure_ascii=False, indent=1))
            return
        typer.echo(f"{res.version.label}: {len(res.hits)} hits in {res.elapsed_ms} ms"
                   f"{'' if res.good_enough else ' (below the answer floor)'}")  # fmt: skip
        for h in res.hits:
            dense = "-" if h["dense_score"] is None else f"{h['dense_score']:.3f}"
            bm25 = "-" if h["bm25_score"] is None else f"{h['bm25_score']:.2f}"
            typer.echo(
                f"{h['rank']:>2}. {h['score']:.4f}  dense {dense}  bm25 {bm25}  {h['title'] or '(no title)'}"
            )
            typer.echo(f"    {h['source']}")

    @cli.root.command("demo-site")
    def demo_site(
        port: int = typer.Option(8010, help="Port on 127.0.0.1"),
        folder: Path = typer.Option(None, help="Site folder (default: data/demo_helpcentre)"),
    ) -> None:
        """Serve the demo bank's help centre (static pages + sitemap.xml) on loopback, to sync from:
        kefu source add web --tenant harbor --sitemap http://127.0.0.1:8010/sitemap.xml --allow-private."""
        from app.connectors.demo_site import DEFAULT_SITE, serve_forever

        serve_forever(folder or DEFAULT_SITE, port=port)


def _counts(counts: dict[str, int]) -> str:
    keys = ("added", "changed", "removed", "unchanged", "failed")
    return " ".join(f"{k[0]}{counts.get(k, 0)}" for k in keys) if counts else ""


async def _sync(c: Container, tenant_id: str, source_id: str | None, wait: bool, as_json: bool) -> bool:
    from app.connectors import sync as sync_service
    from app.db import crud_sources
    from app.runtime.jobs import InProcessJobQueue

    async with c.sessions() as session:
        if source_id:
            ids = [source_id]
        else:
            ids = [s.id for s in await crud_sources.list_sources(session, tenant_id=tenant_id)]
    if not ids:
        typer.echo("the tenant has no source (kefu source add ...)", err=True)
        return False
    here = isinstance(c.jobs, InProcessJobQueue)  # no worker: the sync runs in this process
    ok = True
    for sid in ids:
        sync_id = await sync_service.start_sync(
            c, tenant_id=tenant_id, source_id=sid, actor=system_actor(), enqueue=not here
        )
        if here:
            await sync_service.run_sync(c, tenant_id=tenant_id, sync_id=sync_id)
        elif not wait:
            typer.echo(f"sync {sync_id} started (the worker runs it)")
            ok = False  # not known to be active yet
            continue
        run = await sync_service.wait(c, tenant_id=tenant_id, sync_id=sync_id)
        outcome = await sync_service.outcome_of(c, tenant_id=tenant_id, sync_id=sync_id)
        _print_report(run, outcome.active, as_json)
        ok = ok and outcome.active
    return ok


def _print_report(run: KbSourceSync, active: bool, as_json: bool) -> None:
    if as_json:
        body = {
            "id": run.id, "status": run.status, "counts": run.counts, "items": run.items,
            "version": run.version, "published": run.published, "active": active, "gate": run.gate,
            "note": run.note, "error_code": run.error_code, "error_detail": run.error_detail,
            "elapsed_s": run.elapsed_s,
        }  # fmt: skip
        typer.echo(json.dumps(body, ensure_ascii=False, indent=1))
        return
    c = run.counts or {}
    typer.echo(
        f"sync {run.id}: {run.status} in {run.elapsed_s:.1f} s: added {c.get('added', 0)}, changed "
        f"{c.get('changed', 0)}, removed {c.get('removed', 0)}, unchanged {c.get('unchanged', 0)}, "
        f"failed {c.get('failed', 0)}{' (page cap reached)' if c.get('capped') else ''}"
    )
    if run.error_code:
        typer.echo(f"  error {run.error_code}: {run.error_detail}", err=True)
    for item in run.items or []:
        if item.get("outcome") == "failed":
            typer.echo(f"  failed {item['key']}: {item.get('code')} {item.get('detail', '')}", err=True)
    gate = run.gate or {}
    if gate:
        typer.echo(f"  gate: {'passed' if gate.get('allowed') else 'refused'}: {gate.get('reason', '')}")
    state = "active" if active else ("published" if run.published else "not active")
    typer.echo(f"  version {run.version or '-'} ({state}){': ' + run.note if run.note else ''}")
