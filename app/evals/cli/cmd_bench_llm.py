"""``kefu bench llm-*``: LLM backend benchmarks (figures go to docs/BENCHMARKS.md, "LLM backend").

- ``llm-cpu``: the CPU default (llama.cpp in-process): TTFT and tokens/s, zh and en; prefix reuse.
- ``llm-client``: openai SDK vs LangChain ChatOpenAI against the same vLLM server, side by side.
- ``llm-prefix``: prefix-cache hit rate on real vLLM (CPU) replaying 50 multi-turn conversations.
- ``llm-cache``: semantic answer cache hit rate and wrong hits on a 200-question replay.
Each prints a Markdown block and writes it under ``var/bench/``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import platform
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from app.cli import Clis

if TYPE_CHECKING:
    from llm_backend.serving import ManagedServer


def _save(name: str, command: str, body: str) -> None:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = f"### {name}\n\n`{command}` — {stamp}, {platform.node()} ({_cpus()} vCPU, shared)\n\n{body}\n"
    out = Path("var/bench") / f"{name}.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    typer.echo(text)


def _cpus() -> int:
    return len(os.sched_getaffinity(0))


def _local_vllm(block_size: int | None = None) -> ManagedServer:
    """Start vLLM (CPU) on the tiny MoE, preparing its venv and model first (cached per machine).

    ``block_size``: ``--block-size`` for the KV cache; ``None``, the server's default (128 on CPU)."""
    import subprocess
    import sys

    from llm_backend.serving import ManagedServer, free_port, vllm_cpu_command, vllm_cpu_env

    out = subprocess.run(
        ["scripts/prepare_vllm.sh", str(Path(sys.executable).parents[1])],
        capture_output=True, text=True, check=True, timeout=3600,
    )  # fmt: skip
    found = dict(line.split("=", 1) for line in out.stdout.splitlines() if "=" in line)
    port = free_port()
    command = vllm_cpu_command(
        Path(found["VLLM_PYTHON"]),
        Path(found["TINY_MOE_DIR"]),
        served_name=TINY_MOE,
        port=port,
        block_size=block_size,
    )
    log = Path("var/log") / f"vllm-bench-{port}.log"
    return ManagedServer(command, port, log, env=vllm_cpu_env(), ready_path="/health", startup_timeout_s=900)


TINY_MOE = "kefu-tiny-moe"


def register(cli: Clis) -> None:
    @cli.bench.command("llm-cpu")
    def llm_cpu(
        runs: int = typer.Option(2, help="Repetitions of each question"),
        pairs: int = typer.Option(2, help="Questions (with their follow-up) per language, 1-2"),
    ) -> None:
        """CPU default: TTFT and decode tokens/s for a typical RAG prompt (zh, en) and prefix reuse."""
        from app.settings import get_settings
        from llm_backend.evaluation.cpu_default import run_cpu_default
        from llm_backend.evaluation.speed import StreamTiming

        settings = get_settings()
        # Generous deadlines: this measures speed, it must not give up on a busy shared CPU.
        config = settings.llm.model_copy(
            update={
                "backend": "llama_cpp",
                "max_tokens": 128,
                "timeout_s": 900.0,
                "first_token_timeout_s": 600.0,
                "stream_idle_timeout_s": 120.0,
            }  # fmt: skip
        )

        def progress(label: str, t: StreamTiming) -> None:
            typer.echo(
                f"{label}: prompt {t.prompt_tokens} tok, TTFT {t.ttft_s:.2f} s, {t.answer_tokens} tok "
                f"at {t.decode_tokens_per_s:.1f} tok/s, load {os.getloadavg()[0]:.1f}",
                err=True,
            )

        report = asyncio.run(
            run_cpu_default(
                config, settings.data_dir, settings.demo_kb_dir, runs=runs, pairs=pairs, on_timing=progress
            )
        )
        body = f"Model {report.model}, llama.cpp n_threads={report.threads}, max_tokens=128.\n\n{report.markdown()}"
        _save("llm-cpu", f"kefu bench llm-cpu --runs {runs} --pairs {pairs}", body)

    @cli.bench.command("llm-cache")
    def llm_cache(
        threshold: float = typer.Option(None, help="Override LLM__CACHE__THRESHOLD"),
        calibrate: bool = typer.Option(True, help="Also sweep thresholds on held-out BQ pairs"),
    ) -> None:
        """Semantic answer cache: hit rate and wrong cached answers on a 200-question replay."""
        from app.settings import get_settings
        from llm_backend.evaluation.cache_replay import bq_pairs, build_replay, replay
        from llm_backend.evaluation.cache_replay import calibrate as sweep
        from retrieval.embedders import build_embedder

        settings = get_settings()
        cfg = (
            settings.llm.cache
            if threshold is None
            else settings.llm.cache.model_copy(update={"threshold": threshold})
        )
        embedder = build_embedder(settings.retrieval.embedder)
        embedder.warm_up()
        asks = build_replay(settings.demo_kb_dir)
        result = asyncio.run(replay(asks, embedder.embed_queries, cfg))
        lines = [
            f"Embedder {settings.retrieval.embedder}, threshold {cfg.threshold}, guard on. Replay: {result.asks} "
            "questions on the demo KB FAQ (64 FAQ questions, 60 paraphrases, 36 repeats typed differently, "
            "40 near misses that need another answer; zh + en; seeded).",
            "",
            "| asks | hits | hit rate | exact | semantic | wrong cached answers | missed (same intent cached) |",
            "|---|---|---|---|---|---|---|",
            f"| {result.asks} | {result.hits} | {result.hits / result.asks:.1%} | {result.exact} | {result.semantic} "
            f"| {len(result.wrong)} | {result.missed} |",
            "",
            "| kind | asks | hits |",
            "|---|---|---|",
        ]
        lines += [f"| {kind} | {n} | {h} |" for kind, (h, n) in sorted(result.by_kind.items())]
        for question, matched, sim in result.wrong:
            lines.append(f"- WRONG: {question!r} answered with the answer of {matched!r} (sim {sim:.3f})")
        if calibrate:
            data = settings.eval_data_dir
            if not (data / "bq_corpus").is_dir():
                raise typer.BadParameter(f"calibration needs bq_corpus under EVAL_DATA_DIR ({data})")
            thresholds = [0.86, 0.88, 0.90, 0.92, 0.93, 0.94, 0.95, 0.96, 0.97]
            rows = sweep(bq_pairs(data), embedder.embed_queries, thresholds)
            lines += ["", "Threshold sweep, guard on, 600 BQ Corpus pairs (zh; labels: same / different meaning):",
                      "", "| threshold | same-meaning pairs matched | different-meaning pairs matched |",
                      "|---|---|---|"]  # fmt: skip
            lines += [f"| {t:.2f} | {r:.1%} | {f:.1%} ({n}) |" for t, r, f, n in rows]
        _save("llm-cache", "kefu bench llm-cache", "\n".join(lines))

    @cli.bench.command("llm-prefix")
    def llm_prefix(
        base_url: str = typer.Option(
            "", help="An OpenAI-compatible vLLM URL (…/v1); default: start vLLM-CPU"
        ),
        model: str = typer.Option(TINY_MOE, help="Served model name"),
        conversations: int = typer.Option(50, help="Conversations to replay"),
        layouts: str = typer.Option(
            "kefu,kefu-prev,kefu-no-carry,context-last",
            help="Comma-separated layouts (see prefix_replay.LAYOUTS)",
        ),
        block_sizes: str = typer.Option(
            "default",
            help="Comma-separated KV block sizes, one local vLLM-CPU server each, one after the other "
            "('default': the server's own, 128 on CPU; the CPU attention kernel needs multiples of 32)",
        ),
        simulate_blocks: str = typer.Option(
            "16",
            help="Comma-separated block sizes to replay offline on the first server's exact token "
            "streams (e.g. 16, GPU vLLM's default, which vLLM-CPU refuses); '' for none",
        ),
    ) -> None:
        """Prefix-cache hit rate on real vLLM replaying multi-turn conversations built by our prompt builder."""
        from app.settings import get_settings
        from llm_backend.config import LLMConfig
        from llm_backend.evaluation.prefix_replay import (
            LAYOUTS,
            PrefixReport,
            esun_conversations,
            replay_prefix,
        )
        from llm_backend.factory import build_llm_client

        names = [name.strip() for name in layouts.split(",") if name.strip()]
        unknown = [name for name in names if name not in LAYOUTS]
        if unknown:
            raise typer.BadParameter(f"unknown layouts {unknown}; known: {', '.join(LAYOUTS)}")
        try:
            sizes = [None if s.strip() == "default" else int(s) for s in block_sizes.split(",") if s.strip()]
            simulated = [int(s) for s in simulate_blocks.split(",") if s.strip()]
        except ValueError as exc:
            raise typer.BadParameter(f"block sizes are 'default' or integers: {exc}") from exc
        if base_url and sizes != [None]:
            raise typer.BadParameter("--block-sizes needs the local server (no --base-url)")
        settings = get_settings()
        convs, ranker = esun_conversations(settings.eval_data_dir, count=conversations)

        async def run(url: str) -> PrefixReport:
            cfg = LLMConfig(backend="openai", base_url=url, model=model, timeout_s=300, max_tokens=64)
            client = build_llm_client(cfg, settings.data_dir)
            await client.warm_up()
            try:
                return await replay_prefix(client, url.removesuffix("/v1"), convs, ranker, layouts=names)
            finally:
                await client.aclose()

        reports: list[PrefixReport] = []
        if base_url:
            reports.append(asyncio.run(run(base_url)))
        else:
            for size in sizes:
                with _local_vllm(size) as server:
                    reports.append(asyncio.run(run(server.base_url)))
        tables, misses, checks = [], [], []
        kept = reports[0].answers_kept()
        for report in reports:
            label = f", block {report.block_size or '?'} (server)"
            tables.append(report.markdown(label))
            misses.append(report.misses(label))
            same, total = report.simulation_check()
            checks.append(f"block {report.block_size}: {same} of {total} turns")
        for block in simulated:
            tables.append(reports[0].simulated(block).markdown(f", block {block} (simulated)"))
        turns = sum(len(c) for c in convs)
        body = (
            f"Server: vLLM at {'a given URL' if base_url else 'CPU, tiny Qwen2-MoE (8 experts, top-2)'}, "
            f"--enable-prefix-caching. {len(convs)} conversations from the E.SUN FAQ, {turns} turns per "
            "layout, answers capped at 24 tokens. '(server)': measured on the server; '(simulated)': the "
            "first server's exact prompt and answer tokens replayed through a block-hash prefix cache model "
            f"(it reproduces the server's own cached-token counts exactly on {'; '.join(checks)}).\n\n"
            + "\n".join([tables[0], *(t.split("\n", 2)[2] for t in tables[1:])])
            + "\n\nUncached prompt tokens of the turns after the first, by where the prompt first differs "
            "from the previous turn's:\n\n"
            + "\n".join([misses[0], *(t.split("\n", 2)[2] for t in misses[1:])])
            + "\n\nPrevious answers' generated tokens that the next prompt repeats exactly (the history "
            f"holds the answer as text, re-tokenised; first server): {kept}."
        )
        _save(
            "llm-prefix",
            f"kefu bench llm-prefix --conversations {conversations} --layouts {layouts} "
            f"--block-sizes {block_sizes} --simulate-blocks {simulate_blocks}",
            body,
        )

    @cli.bench.command("llm-client")
    def llm_client(
        base_url: str = typer.Option("", help="An OpenAI-compatible URL (…/v1); default: start vLLM-CPU"),
        model: str = typer.Option(TINY_MOE, help="Served model name"),
        rounds: int = typer.Option(20, help="Requests per client"),
    ) -> None:
        """openai SDK vs LangChain ChatOpenAI against the same server, alternated, side by side."""
        from llm_backend.evaluation.client_choice import compare_clients, import_seconds, markdown
        from llm_backend.types import ChatMessage

        messages = [
            ChatMessage("system", "You are a bank's customer-service assistant."),
            ChatMessage("user", "What is the annual fee of the Gold credit card, and how can it be waived?"),
        ]
        imports = {
            "openai SDK": import_seconds("import openai"),
            "LangChain ChatOpenAI": import_seconds("from langchain_openai import ChatOpenAI"),
        }

        def run(url: str) -> str:
            results = asyncio.run(compare_clients(url, model, messages, rounds=rounds))
            return markdown(results, imports)

        if base_url:
            body = run(base_url)
        else:
            with _local_vllm() as server:
                body = run(server.base_url)
        _save("llm-client", f"kefu bench llm-client --rounds {rounds}", body)
