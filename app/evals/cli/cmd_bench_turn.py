"""``kefu bench turn``: per-stage latency of N chat turns through the real layers (docs/BENCHMARKS.md)."""

from __future__ import annotations

import asyncio
import json

import typer

from app.cli import Clis


def register(cli: Clis) -> None:
    @cli.bench.command("turn")
    def bench_turn(
        turns: int = typer.Option(200, min=1, help="Turns to run"),
        per_conversation: int = typer.Option(4, min=1, help="Turns per conversation"),
        llm: bool = typer.Option(
            True, "--llm/--no-llm", help="Include the configured LLM, or answer extractively"
        ),
        tenant: str = typer.Option("harbor", help="Tenant slug (the demo tenant by default)"),
        cache: bool = typer.Option(
            False, "--cache/--no-cache", help="Let the semantic answer cache answer repeats"
        ),
        as_json: bool = typer.Option(False, "--json", help="One JSON object on stdout"),
    ) -> None:
        """Run TURNS customer turns (the demo KB's golden questions, zh and en) and print p50/p95 per stage."""
        result = asyncio.run(_run(turns, per_conversation, llm, tenant, cache))
        if as_json:
            typer.echo(json.dumps(result, ensure_ascii=False))
            return
        typer.echo(
            f"{result['turns']} turns in {result['wall_s']} s; models {result['models']}; "
            f"decisions {result['decisions']}; reasons {result['reasons']}; with a citation {result['with_citation']}"
        )
        typer.echo(f"{'stage':<14}{'p50 ms':>10}{'p95 ms':>10}{'mean ms':>10}")
        for name, s in result["stages_ms"].items():  # type: ignore[attr-defined]
            typer.echo(f"{name:<14}{s['p50']:>10.1f}{s['p95']:>10.1f}{s['mean']:>10.1f}")


async def _run(
    turns: int, per_conversation: int, llm: bool, tenant_slug: str, cache: bool
) -> dict[str, object]:
    from app.db import crud_tenancy
    from app.demo import golden_queries
    from app.evals import bench_turn
    from app.settings import get_settings
    from app.wiring import build_container

    settings = get_settings()
    llm_config = settings.llm.model_copy(
        update={
            "backend": settings.llm.backend if llm else "extractive",
            "cache": settings.llm.cache.model_copy(update={"enabled": cache}),
        }
    )
    settings = settings.model_copy(update={"llm": llm_config})
    container = await build_container(settings)
    try:
        async with container.sessions() as session:
            tenant = await crud_tenancy.get_tenant_by_slug(session, slug=tenant_slug)
        if tenant is None:
            raise typer.BadParameter(f"no tenant {tenant_slug!r}: run `kefu demo` first")
        questions = golden_queries(settings.demo_kb_dir)
        report = await bench_turn.run(
            container,
            tenant_id=tenant.id,
            questions=questions,
            turns=turns,
            per_conversation=per_conversation,
        )
        return report.as_json()
    finally:
        await container.aclose()
