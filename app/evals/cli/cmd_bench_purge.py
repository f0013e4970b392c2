"""``kefu bench purge``: the retention purge's speed on seeded conversations (``app.evals.purge_bench``;
docs/BENCHMARKS.md, "Compliance")."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import platform
import tempfile
from pathlib import Path

import typer

from app.cli import Clis


def register(cli: Clis) -> None:
    @cli.bench.command("purge")
    def bench_purge(
        conversations: int = typer.Option(10_000, min=10, help="Expired conversations to seed and purge"),
        database_url: str | None = typer.Option(
            None, help="An EMPTY scratch database to migrate and fill (default: a temporary SQLite file)"
        ),
        redis_url: str | None = typer.Option(
            None, help="Keep vaults and hot state in this Redis (own namespace)"
        ),
        batch_size: int = typer.Option(500, min=1, help="Conversations per purge transaction"),
    ) -> None:
        """Seed expired conversations (10 % held), purge them once, print the time as JSON."""
        from app.db.migrate import upgrade
        from app.evals.purge_bench import bench

        with tempfile.TemporaryDirectory(prefix="kefu-bench-purge-") as tmp:
            url = database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
            upgrade(url.replace("postgresql://", "postgresql+psycopg://", 1))
            result = asyncio.run(
                bench(
                    n=conversations,
                    database_url=url,
                    data_dir=Path(tmp),
                    redis_url=redis_url,
                    batch_size=batch_size,
                )
            )
        result = {
            "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}",
            **result,
        }
        typer.echo(json.dumps(result, ensure_ascii=False))
