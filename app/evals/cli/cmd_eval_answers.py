"""``kefu eval answers``: the answers a customer gets, end to end through the served HTTP API.

Each case of ``--data`` (JSONL, ``data/answers/README.md``) is a fresh widget conversation: the demo
tenant's widget key starts it, its customer turns go to the SSE route, and its last reply is graded: every
gold fact present and no contradicting figure (answerable), a refusal (unanswerable), a clear reply or a
clear error (bad input); the times to the first text and to the whole reply of every turn are reported
(``app/evals/answer_report.py``). Without ``--base-url`` the embedded default is started as ``make run``
starts it (migrate, demo, serve) in a temporary DATA_DIR and stopped at the end
(``app/evals/embedded_server.py``). ``--background-load N`` keeps N extra processes spinning on a core each
during the run.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer

from app.cli import Clis

DEFAULT_DATA = (Path("data/answers/answers_dev.jsonl"), Path("data/answers/bad_input.jsonl"))


def _env_pairs(values: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"--env wants KEY=VALUE, got {item!r}")
        out[key] = value
    return out


def _print_text(out: dict[str, Any]) -> None:
    typer.echo(f"answers: {', '.join(out['meta']['data'])} via {out['meta']['base_url']} "
               f"({out['meta']['route']}, background load: {out['meta']['background_load']})")  # fmt: skip
    typer.echo(
        f"  answerable  {out['answered_correctly']}/{out['answerable']} correct "
        f"(facts present {out['facts_present']}, contradictions {out['contradictions']})"
    )
    typer.echo(f"  unanswerable {out['refused_correctly']}/{out['unanswerable']} refused")
    if out["bad_input"]:
        typer.echo(f"  bad input   {out['clear_replies']}/{out['bad_input']} clear")
    typer.echo(
        f"  first text p50 {out['first_text_p50_ms']} ms p95 {out['first_text_p95_ms']} ms; "
        f"final p50 {out['final_p50_ms']} ms p95 {out['final_p95_ms']} ms ({out['turns_timed']} turns)"
    )
    for name, part in out["by_set"].items():
        typer.echo(
            f"  [{name}] answerable {part['answered_correctly']}/{part['answerable']} "
            f"contradictions {part['contradictions']} refused {part['refused_correctly']}/{part['unanswerable']} "
            f"clear {part['clear_replies']}/{part['bad_input']} final p50 {part['final_p50_ms']} ms"
        )
    typer.echo(f"  failures: {out['failure_reasons']}")
    for f in out["failures"]:
        extra = f" missing={f['missing']}" if f["missing"] else ""
        extra += f" off={f['off_figures']}" if f["off_figures"] else ""
        extra += f" forbidden={f['forbidden']}" if f["forbidden"] else ""
        reply = f["reply"][:160].replace("\n", " ")
        typer.echo(f"  FAIL {f['id']} {f['reason']} {f['decision']}/{f['decision_reason']}{extra} "
                   f"| {' / '.join(f['turns'])[:120]} -> {reply}")  # fmt: skip


def register(cli: Clis) -> None:
    @cli.eval.command("answers")
    def answers(
        data: list[Path] = typer.Option(
            None,
            "--data",
            exists=True,
            dir_okay=False,
            help="JSONL case file (repeat for several); default: data/answers/answers_dev.jsonl and bad_input.jsonl",
        ),  # fmt: skip
        base_url: str = typer.Option(None, help="A running server (default: start the embedded default)"),
        widget_key: str = typer.Option(
            None,
            help="The demo tenant's widget key (with --base-url; default: DATA_DIR/demo_credentials.txt)",
        ),
        route: str = typer.Option("stream", help="stream (SSE, times the first token) or json"),
        background_load: int = typer.Option(
            0,
            "--background-load",
            min=0,
            max=8,
            help="Extra processes spinning on one core each during the run",
        ),
        data_dir: Path = typer.Option(
            None, help="Embedded server: DATA_DIR to use and keep (default: a temporary folder, removed)"
        ),
        env: list[str] = typer.Option(
            None, "--env", help="Embedded server: extra KEY=VALUE settings (e.g. LLM__BACKEND=extractive)"
        ),
        banking77: int = typer.Option(
            0, min=0, help="Add this many BANKING77 test utterances (EVAL_DATA_DIR) mapped to gold facts"
        ),
        only: str = typer.Option(None, help="Only cases whose id contains this"),
        stride: int = typer.Option(1, min=1, help="Every N-th case only (a spread-out subset)"),
        limit: int = typer.Option(0, min=0, help="At most this many cases (0: all)"),
        timeout_s: float = typer.Option(180.0, min=1, help="Per customer turn"),
        output: Path = typer.Option(None, help="Also write the JSON report here"),
        as_json: bool = typer.Option(False, "--json", help="One JSON object on stdout (failures included)"),
    ) -> None:
        """Fresh widget conversations through the HTTP API: gold facts, contradictions, refusals, times."""
        import httpx

        from app.evals.answer_cases import CaseError, read_all
        from app.evals.answer_driver import CaseRun, run_cases
        from app.evals.answer_report import judge, report
        from app.evals.embedded_server import (
            BackgroundLoad,
            EmbeddedServer,
            ServerStartError,
            read_widget_key,
        )

        if route not in ("stream", "json"):
            raise typer.BadParameter("--route must be stream or json")
        paths = list(data) if data else ([] if banking77 else [p for p in DEFAULT_DATA if p.is_file()])
        if not paths and not banking77:
            raise typer.BadParameter("no --data given and no default case file found")
        try:
            cases = read_all(paths)
            if banking77:
                from app.evals.banking77_answers import banking77_cases
                from app.settings import get_settings

                cases += banking77_cases(get_settings().eval_data_dir, sample=banking77)
        except CaseError as exc:
            raise typer.BadParameter(str(exc)) from exc
        if only:
            cases = [c for c in cases if only in c.id]
        cases = cases[::stride]
        if limit:
            cases = cases[:limit]
        if not cases:
            raise typer.BadParameter("no case selected")

        def progress(i: int, n: int, run: CaseRun) -> None:
            last = run.last
            ms = f"{last.final_ms:.0f}" if last.final_ms is not None else "-"
            typer.echo(
                f"[{i}/{n}] {run.case.id} {last.status} {last.decision}/{last.reason} {ms} ms", err=True
            )

        async def drive(url: str, key: str) -> list[CaseRun]:
            async with httpx.AsyncClient(base_url=url) as client:
                return await run_cases(client, cases, widget_key=key, route=route,  # type: ignore[arg-type]
                                       timeout_s=timeout_s, progress=progress)  # fmt: skip

        meta: dict[str, Any] = {
            "data": [str(p) for p in paths] + ([f"banking77 sample {banking77}"] if banking77 else []), "route": route, "cases": len(cases),
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"), "cpus": os.cpu_count(),
            "selection": {"only": only, "stride": stride, "limit": limit},
            "background_load": "none", "loadavg_start": [round(x, 2) for x in os.getloadavg()],
        }  # fmt: skip
        load = BackgroundLoad(background_load)
        t0 = time.perf_counter()
        try:
            if base_url:
                from app.settings import get_settings

                key = widget_key or read_widget_key(get_settings().data_dir)
                if not key:
                    raise typer.BadParameter("--widget-key is needed (no DATA_DIR/demo_credentials.txt)")
                meta["base_url"] = base_url
                if background_load:
                    meta["background_load"] = load.describe()
                    with load:
                        runs = asyncio.run(drive(base_url, key))
                else:
                    runs = asyncio.run(drive(base_url, key))
            else:
                extra = _env_pairs(env or [])
                meta["base_url"] = "embedded default (migrate, demo --if-empty, serve; SQLite, in-process)"
                meta["env"] = extra
                with EmbeddedServer(data_dir=data_dir, env=extra) as server:
                    if background_load:  # after the start-up: the load is on the answers, not the seeding
                        meta["background_load"] = load.describe()
                        with load:
                            runs = asyncio.run(drive(server.base_url, server.widget_key))
                    else:
                        runs = asyncio.run(drive(server.base_url, server.widget_key))
        except ServerStartError as exc:
            typer.echo(f"kefu eval answers: {exc}", err=True)
            raise typer.Exit(2) from None
        meta["duration_s"] = round(time.perf_counter() - t0, 1)
        meta["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
        out = report([judge(r) for r in runs], runs)
        out["meta"] = meta
        if output is not None:
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        if as_json:
            sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        else:
            _print_text(out)

    @cli.eval.command("answers-banking77")
    def answers_banking77(
        sample: int = typer.Option(60, min=1, help="How many utterances (spread over the mapped intents)"),
        seed: int = typer.Option(77, help="Sampling seed"),
        out: Path = typer.Option(None, help="Write the JSONL here (default: stdout)"),
    ) -> None:
        """Write the BANKING77 answer cases (from EVAL_DATA_DIR) as JSONL, to read or to pass as --data."""
        from app.evals.answer_cases import CaseError
        from app.evals.banking77_answers import banking77_cases, to_jsonl
        from app.settings import get_settings

        try:
            cases = banking77_cases(get_settings().eval_data_dir, sample=sample, seed=seed)
        except CaseError as exc:
            raise typer.BadParameter(str(exc)) from exc
        text = to_jsonl(cases)
        if out is None:
            sys.stdout.write(text)
        else:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text, encoding="utf-8")
            typer.echo(f"{len(cases)} cases -> {out}")
