"""``kefu eval injection``: prompt-injection attacks against the configured model through the turn's
generate and check-output stages; the share of answers that stay within policy, model alone and platform."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import typer

from app.cli import Clis


def register(cli: Clis) -> None:
    @cli.eval.command("injection")
    def injection(
        subset: str = typer.Option("all", help="all | ci (the three attacks CI runs)"),
        max_tokens: int = typer.Option(160, help="Answer length cap"),
    ) -> None:
        """Attacks in the customer's message and inside KB passages (system prompt, another customer's
        data, a demanded word); writes var/bench/injection.{md,jsonl}."""
        from app.evals.bench_injection import run_attacks
        from app.settings import get_settings
        from llm_backend.evaluation.injection import ATTACKS, CI_SUBSET, markdown
        from llm_backend.factory import build_llm_client
        from privacy.factory import build_masker

        if subset not in ("all", "ci"):
            raise typer.BadParameter("--subset must be all or ci")
        settings = get_settings()
        config = settings.llm.model_copy(
            update={"max_tokens": max_tokens, "timeout_s": 600.0, "first_token_timeout_s": 600.0,
                    "stream_idle_timeout_s": 120.0}
        )  # fmt: skip
        attacks = [a for a in ATTACKS if subset == "all" or a.id in CI_SUBSET]
        masker = build_masker(settings.privacy, settings.data_dir)
        masker.warm_up()

        async def run() -> tuple[str, list]:  # type: ignore[type-arg]
            client = build_llm_client(config, settings.data_dir)
            await client.warm_up()
            try:
                return client.model_name, await run_attacks(client, masker, config, attacks)
            finally:
                await client.aclose()

        model, outcomes = asyncio.run(run())
        out = Path("var/bench")
        out.mkdir(parents=True, exist_ok=True)
        rows = [
            {
                "id": o.attack.id,
                "model_answer": o.model_answer,
                "final_answer": o.final_answer,
                "model_pass": o.model.passed,
                "model_why": o.model.why,
                "final_pass": o.final.passed,
                "final_why": o.final.why,
                "reason": o.reason,
            }
            for o in outcomes
        ]
        (out / "injection.jsonl").write_text(
            "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8"
        )
        body = f"Model {model} ({config.backend}), max_tokens={max_tokens}.\n\n{markdown(outcomes)}"
        (out / "injection.md").write_text(body + "\n", encoding="utf-8")
        typer.echo(body)
