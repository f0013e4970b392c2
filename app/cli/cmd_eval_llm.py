"""``kefu eval llm-answers``: answer quality of the configured model on the demo KB's grounded set."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import typer

from app.cli import Clis


def register(cli: Clis) -> None:
    @cli.eval.command("llm-answers")
    def llm_answers(
        limit: int = typer.Option(0, help="Only the first N questions (0: all)"),
        max_tokens: int = typer.Option(160, help="Answer length cap"),
    ) -> None:
        """Cites the right passage + contains the gold facts; says so when the KB lacks the answer."""
        from app.settings import get_settings
        from llm_backend.bench.grounded import GroundedReport, evaluate, load_items
        from llm_backend.factory import build_llm_client

        settings = get_settings()
        config = settings.llm.model_copy(update={"max_tokens": max_tokens, "timeout_s": 600.0,
                                                 "first_token_timeout_s": 600.0})  # fmt: skip

        items, ranker = load_items(settings.demo_kb_dir)

        async def run() -> tuple[str, GroundedReport]:
            client = build_llm_client(config, settings.data_dir)
            await client.warm_up()
            try:
                report = await evaluate(client, config, items[: limit or None], ranker)
            finally:
                await client.aclose()
            return client.model_name, report

        model, report = asyncio.run(run())
        out = Path("var/bench")
        out.mkdir(parents=True, exist_ok=True)
        rows = "\n".join(json.dumps(r.__dict__, ensure_ascii=False) for r in report.rows)
        (out / "llm-answers.jsonl").write_text(rows + "\n", encoding="utf-8")
        body = f"Model {model} ({config.backend}), max_tokens={max_tokens}.\n\n{report.markdown()}"
        (out / "llm-answers.md").write_text(body + "\n", encoding="utf-8")
        typer.echo(body)
