"""``kefu eval llm-answers``: answer quality of the configured model on the demo KB's grounded set, graded
on the model's raw answer and on the answer the chat turn serves."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import typer

from app.cli import Clis


def register(cli: Clis) -> None:
    @cli.eval.command("llm-answers")
    def llm_answers(
        limit: int = typer.Option(
            0,
            help="A smaller sample: the first N answerable questions (zh and en alternate) plus every "
            "question the KB does not answer (0: all)",
        ),
        max_tokens: int = typer.Option(160, help="Answer length cap"),
        answerable_only: bool = typer.Option(
            False, help="Leave out the questions the KB does not answer (a short run of a slow model)"
        ),
    ) -> None:
        """Cites the right passage + contains the gold facts; says so when the KB lacks the answer."""
        from app.evals.bench_grounded import turn_server
        from app.settings import get_settings
        from llm_backend.evaluation.grounded import Graded, GroundedReport, evaluate, load_items
        from llm_backend.factory import build_llm_client

        settings = get_settings()
        config = settings.llm.model_copy(update={"max_tokens": max_tokens, "timeout_s": 600.0,
                                                 "first_token_timeout_s": 600.0})  # fmt: skip

        items, ranker = load_items(settings.demo_kb_dir)
        if limit:
            answerable = [i for i in items if i["relevant"]][:limit]
            items = answerable + [i for i in items if not i["relevant"]]
        if answerable_only:
            items = [i for i in items if i["relevant"]]

        started = time.perf_counter()

        def progress(row: Graded) -> None:
            typer.echo(
                f"{row.id} {row.lang} cites={row.cites_relevant} facts={row.has_facts} "
                f"no_answer={row.said_no_answer} | served: cites={row.served_cites_relevant} "
                f"facts={row.served_has_facts} no_answer={row.served_no_answer} {row.served_reason} "
                f"{row.error} [{time.perf_counter() - started:.0f} s]",
                err=True,
            )

        async def run() -> tuple[str, GroundedReport]:
            client = build_llm_client(config, settings.data_dir)
            await client.warm_up()
            try:
                report = await evaluate(
                    client, config, items, ranker, on_graded=progress, serve=turn_server(config)
                )
            finally:
                await client.aclose()
            return client.model_name, report

        model, report = asyncio.run(run())
        out = Path("var/bench")
        out.mkdir(parents=True, exist_ok=True)
        rows = "\n".join(json.dumps(r.__dict__, ensure_ascii=False) for r in report.rows)
        (out / "llm-answers.jsonl").write_text(rows + "\n", encoding="utf-8")
        sample = f"first {limit} answerable" if limit else "all answerable"
        sample += "" if answerable_only else " + all unanswerable" if limit else " + unanswerable"
        body = (
            f"`kefu eval llm-answers{f' --limit {limit}' if limit else ''}`: model {model} ({config.backend}), "
            f"max_tokens={max_tokens}, questions: {sample} ({len(items)}), "
            f"wall time {time.perf_counter() - started:.0f} s.\n\n{report.markdown()}"
        )
        (out / "llm-answers.md").write_text(body + "\n", encoding="utf-8")
        typer.echo(body)
