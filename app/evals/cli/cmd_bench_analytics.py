"""``kefu bench analytics``: the near-duplicate rule on real labelled question pairs, its speed, and the
report's time over seeded conversations (``app.evals.analytics_bench``; docs/BENCHMARKS.md)."""

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
    @cli.bench.command("analytics")
    def bench_analytics(
        conversations: str = typer.Option("2000,10000", help="Comma-separated conversation counts"),
        questions: int = typer.Option(5000, min=100, help="Distinct questions to group"),
        database_url: str | None = typer.Option(
            None, help="An EMPTY scratch database to migrate and fill (default: a temporary SQLite file)"
        ),
        as_json: bool = typer.Option(False, "--json", help="One JSON object on stdout"),
    ) -> None:
        """Grouping precision/recall on BQ corpus and AFQMC, grouping time, report time."""
        from app.evals import analytics_bench as ab
        from app.settings import get_settings

        data = get_settings().eval_data_dir
        if not (data / "bq_corpus").is_dir():
            raise typer.BadParameter(f"needs bq_corpus (and afqmc) under EVAL_DATA_DIR ({data})")
        result: dict[str, object] = {
            "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}",
        }
        pairs = {name: ab.load_pairs(data, name) for name in ("bq_corpus", "afqmc") if (data / name).is_dir()}
        result["pairs"] = {name: ab.pair_agreement(p) for name, p in pairs.items()}
        real = ab.distinct_questions(pairs["bq_corpus"])
        result["grouping"] = [ab.grouping_time(real, n) for n in sorted({1000, questions})]
        counts = [int(c) for c in conversations.split(",") if c.strip()]
        result["report"] = asyncio.run(_reports(real, counts, database_url))
        if as_json:
            typer.echo(json.dumps(result, ensure_ascii=False))
            return
        typer.echo(json.dumps(result, ensure_ascii=False, indent=1))


async def _reports(
    questions: list[str], counts: list[int], database_url: str | None
) -> list[dict[str, object]]:
    from app.db.engine import create_engine, session_factory
    from app.db.migrate import upgrade
    from app.evals import analytics_bench as ab

    with tempfile.TemporaryDirectory(prefix="kefu-bench-analytics-") as tmp:
        url = database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        engine = create_engine(url)
        try:
            sessions = session_factory(engine)
            end = dt.date.today()
            out: list[dict[str, object]] = []
            for n in counts:
                tenant = await ab.seed_conversations(sessions, questions, n, end)
                out.append({"backend": engine.dialect.name, **await ab.report_time(sessions, tenant, end)})
            return out
        finally:
            await engine.dispose()
