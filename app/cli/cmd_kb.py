"""``kefu demo`` and ``kefu ingest``: fill a tenant's knowledge base from files, with a progress bar."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from app.cli import Clis

if TYPE_CHECKING:
    from app.container import Container

if TYPE_CHECKING:
    pass


def register(cli: Clis) -> None:
    @cli.root.command()
    def demo(
        if_empty: bool = typer.Option(False, "--if-empty", help="Do nothing when any tenant exists"),
    ) -> None:
        """Seed the demo bank: tenant, admin and agent users (passwords printed), widget key, knowledge base."""
        from app import demo as demo_service

        async def go() -> demo_service.DemoSeed | None:
            container = await _container()
            try:
                with _ProgressBar() as bar:
                    return await demo_service.seed(container, if_empty=if_empty, progress=bar.update)
            finally:
                await container.aclose()

        seeded = asyncio.run(go())
        if seeded is None:
            typer.echo(
                "database already has a tenant: demo not seeded (credentials: var/demo_credentials.txt)"
            )
            return
        typer.echo(seeded.credentials_text().rstrip())
        typer.echo(f"knowledge base: {seeded.documents} documents indexed, version {seeded.version}")
        for name, code in seeded.failed.items():
            typer.echo(f"  rejected {name}: {code}", err=True)
        typer.echo("credentials also written to DATA_DIR/demo_credentials.txt (mode 600)")

    @cli.root.command()
    def ingest(
        paths: list[Path] = typer.Argument(..., exists=True, help="Files or folders"),
        tenant: str = typer.Option(..., help="Tenant slug"),
        collection: str = typer.Option("default", help="Collection name"),
        publish: bool = typer.Option(True, "--publish/--no-publish", help="Make the new version active"),
        pii_policy: str = typer.Option(
            None, help="PII found in the files: flag, mask or reject (default PRIVACY__INGESTION_POLICY)"
        ),
    ) -> None:
        """Ingest files into a tenant's knowledge base (a new version; published unless --no-publish)."""
        from app.db import crud_tenancy
        from app.kb import ingest as kb_ingest

        async def go() -> tuple[dict[str, object], list[str]]:
            container = await _container()
            try:
                async with container.sessions() as session:
                    row = await crud_tenancy.get_tenant_by_slug(session, slug=tenant)
                if row is None:
                    raise typer.BadParameter(f"no tenant {tenant!r}")
                found = kb_ingest.collect_files(paths)
                files = [kb_ingest.IngestFile(name, p.read_bytes()) for name, p in found]
                if pii_policy not in (None, "flag", "mask", "reject"):
                    raise typer.BadParameter("--pii-policy must be flag, mask or reject")
                job_id, skipped = await kb_ingest.store_files(
                    container,
                    tenant_id=row.id,
                    files=files,
                    collection=collection,
                    pii_policy=pii_policy,  # type: ignore[arg-type]
                )
                with _ProgressBar() as bar:
                    result = await kb_ingest.run_ingestion_job(
                        container, tenant_id=row.id, job_id=job_id, publish=publish, progress=bar.update
                    )
                return result, skipped
            finally:
                await container.aclose()

        result, skipped = asyncio.run(go())
        typer.echo(
            f"indexed {result['indexed']} documents ({result['chunks']} chunks); version {result['version']}"
        )
        for name in skipped:
            typer.echo(f"  skipped {name}: already in the knowledge base")
        failed = result["failed"]
        assert isinstance(failed, dict)
        for name, code in failed.items():
            typer.echo(f"  rejected {name}: {code}", err=True)
        if failed and not result["indexed"]:
            raise typer.Exit(1)


async def _container() -> Container:
    from app.settings import get_settings
    from app.wiring import build_container

    return await build_container(get_settings(), role="cli")


class _ProgressBar:
    """A rich progress bar fed by ``kb_ingest.Progress`` reports."""

    def __enter__(self) -> _ProgressBar:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self._progress = Progress(
            TextColumn("{task.fields[stage]:<10}"),
            BarColumn(),
            TextColumn("{task.percentage:>5.1f}%  docs {task.fields[docs]}  chunks {task.fields[chunks]}"),
            TextColumn("{task.fields[current]}"),
            TimeElapsedColumn(),
        )
        self._progress.start()
        self._task = self._progress.add_task(
            "ingest", total=100, stage="queued", docs="0/0", chunks=0, current=""
        )
        return self

    def update(self, p: object) -> None:
        from app.kb.ingest import Progress as P

        assert isinstance(p, P)
        self._progress.update(
            self._task,
            completed=p.percent,
            stage=p.stage,
            docs=f"{p.documents_done}/{p.documents_total}",
            chunks=p.chunks,
            current=p.current[:40],
        )

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()
