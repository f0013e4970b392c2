"""``kefu bench connectors``: a synthetic help centre on loopback synced twice (``app/evals/bench_connectors.py``)."""

from __future__ import annotations

import asyncio
import json

import typer

from app.cli import Clis


def register(cli: Clis) -> None:
    @cli.bench.command("connectors")
    def bench_connectors(
        pages: int = typer.Option(500, min=20, max=5000, help="Pages of the synthetic help centre"),
        changed: int = typer.Option(10, min=1, help="Pages changed before the second sync"),
        removed: int = typer.Option(5, min=0, help="Pages removed (410) before the second sync"),
        added: int = typer.Option(5, min=0, help="Pages added before the second sync"),
        k: int = typer.Option(5, min=1, max=20, help="Passages looked at per question"),
        as_json: bool = typer.Option(False, "--json", help="JSON output"),
    ) -> None:
        """A synthetic help centre on loopback synced twice: first sync vs raw parse+embed throughput, the
        incremental second sync, retrieval on the changed pages before and after (temporary database)."""
        from app.evals import bench_connectors as bench

        result = asyncio.run(bench.run(pages=pages, changed=changed, removed=removed, added=added, k=k,
                                       progress=lambda m: typer.echo(m, err=True)))  # fmt: skip
        body = bench.as_dict(result)
        if as_json:
            typer.echo(json.dumps(body, indent=1))
            return
        for key, value in body.items():
            typer.echo(f"{key:<28} {value}")
