"""``kefu eval actions``: actions done for a customer, end to end (``app/evals/actions_eval.py``).

Without ``--base-url`` the demo bank (``kefu fake-bank``) and the embedded default (migrate, demo, serve,
as ``make run``) are started in a temporary DATA_DIR, the demo tenant's actions pointing at that bank, and
stopped at the end. With ``--base-url`` (and ``--widget-key``, ``--bank-url``) a running stack is used.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import typer

from app.cli import Clis

DEFAULT_DATA = (Path("data/actions/actions_dev.jsonl"),)


def register(cli: Clis) -> None:
    @cli.eval.command("actions")
    def eval_actions(
        data: list[Path] = typer.Option(list(DEFAULT_DATA), "--data", help="JSONL case files"),
        as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON"),
        base_url: str = typer.Option("", help="A running kefu (else the embedded default is started)"),
        widget_key: str = typer.Option("", help="The demo tenant's widget key (with --base-url)"),
        bank_url: str = typer.Option("", help="A running demo bank (else one is started)"),
    ) -> None:
        """Action and argument accuracy, and what must never happen (executed without confirmation,
        unverified, twice), over each case as a widget conversation against the demo bank."""
        import httpx

        from app.evals.actions_eval import Bank, Runner, load_cases, summarise
        from app.evals.embedded_server import _CLI, REPO_ROOT, EmbeddedServer, free_port
        from app.settings import get_settings

        cfg = get_settings().actions
        cases = load_cases(data)
        with ExitStack() as stack:
            if not bank_url:
                port = free_port()
                proc = subprocess.Popen(
                    [sys.executable, "-c", _CLI, "fake-bank", "--port", str(port)], cwd=REPO_ROOT
                )
                stack.callback(proc.wait, 10)
                stack.callback(proc.terminate)
                bank_url = f"http://127.0.0.1:{port}"
                for _ in range(100):
                    try:
                        httpx.get(bank_url + "/sms", timeout=1)
                        break
                    except httpx.HTTPError:
                        time.sleep(0.1)
            if not base_url:
                server = EmbeddedServer(env={"ACTIONS__FAKE_BANK_PORT": bank_url.rsplit(":", 1)[1]})
                stack.enter_context(server)
                base_url, widget_key = server.base_url, server.widget_key
            bank = Bank(bank_url, cfg.demo_bank_secret.get_secret_value())
            stack.callback(bank.close)
            runner = Runner(
                base_url=base_url, widget_key=widget_key, bank=bank,
                token_key=cfg.demo_token_key.get_secret_value(),
            )  # fmt: skip
            stack.callback(runner.close)
            t0 = time.perf_counter()
            results = [runner.run(c) for c in cases]
            out = summarise(results)
            out["meta"] = {
                "data": [str(p) for p in data],
                "seconds": round(time.perf_counter() - t0, 1),
                "date": datetime.now(UTC).date().isoformat(),
            }
        if as_json:
            typer.echo(json.dumps(out, ensure_ascii=False, indent=2))
            return
        typer.echo(
            f"actions: n={out['n']} action {out['action_accuracy']} args {out['args_accuracy']} "
            f"executed {out['executed_correctly']} | without confirmation {out['executed_without_confirmation']} "
            f"unverified {out['executed_unverified']} duplicates {out['duplicate_executions']}"
        )
        for f in out["failures"]:
            typer.echo(f"  FAIL {f['id']}: {f['action']} {f['args']} executed={f['executed']}")
