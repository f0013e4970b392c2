"""``kefu bench load``: concurrent SSE conversations against the served app (``bench/load/runner.py``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from app.cli import Clis


def register(cli: Clis) -> None:
    @cli.bench.command("load")
    def bench_load(
        levels: str = typer.Option("50,100,200,300,400", help="Concurrent conversations per step, rising"),
        step_s: float = typer.Option(45.0, min=5, help="Seconds per step"),
        think_s: float = typer.Option(15.0, min=0, help="Mean think time between a customer's turns"),
        turns: int = typer.Option(3, min=1, help="Turns per conversation"),
        idle_turns: int = typer.Option(30, min=5, help="Turns of the idle baseline"),
        ttft_s: float = typer.Option(0.3, min=0, help="Model server: time to first token"),
        interval_s: float = typer.Option(0.03, min=0, help="Model server: seconds between tokens"),
        tokens: int = typer.Option(30, min=1, help="Model server: tokens per answer"),
        max_ratio: float = typer.Option(2.0, help="A step holds while overhead p95 <= this x idle p95"),
        max_total_s: float = typer.Option(900.0, min=30, help="Stop the whole run after this long"),
        all_levels: bool = typer.Option(False, "--all-levels", help="Run every level, even after a break"),
        database_server: str = typer.Option(
            None, help="PostgreSQL URL: run on a fresh database created there (default: SQLite)"
        ),
        redis_url: str = typer.Option(None, help="Redis URL for state, vault and limits (own namespace)"),
        workers: int = typer.Option(1, min=1, max=64, help="App worker processes (> 1 needs the two above)"),
        as_json: bool = typer.Option(False, "--json", help="One JSON object on stdout"),
    ) -> None:
        """Open N concurrent customer conversations over SSE against `kefu serve` (loopback only), the model
        side served by a stub OpenAI-compatible server with the latency given; print turns/s, the
        platform's overhead p50/p95/p99 against its idle value, errors and memory, and where it breaks."""
        _importable_bench()
        from bench.load.runner import LoadConfig, run, table

        config = LoadConfig(
            levels=tuple(int(x) for x in levels.split(",") if x.strip()),
            step_s=step_s,
            think_s=think_s,
            turns_per_conversation=turns,
            idle_turns=idle_turns,
            ttft_s=ttft_s,
            interval_s=interval_s,
            tokens=tokens,
            max_ratio=max_ratio,
            max_total_s=max_total_s,
            stop_at_break=not all_levels,
            database_server=database_server,
            redis_url=redis_url,
            workers=workers,
        )
        report = run(config)
        if as_json:
            typer.echo(json.dumps(report.as_json()))
            return
        typer.echo(table(report))
        typer.echo(
            "overhead = customer-side turn time (send -> final event) less the model server's time for it; "
            "cpu = the app's CPU (cores, all its processes), gen cpu = this load generator's"
        )


def _importable_bench() -> None:
    """``bench/`` lives in the source checkout, not in the installed package."""
    root = Path(__file__).resolve().parents[3]
    if not (root / "bench" / "load" / "runner.py").is_file():
        raise typer.BadParameter("kefu bench load runs from a source checkout (bench/load is not installed)")
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
