"""``kefu bench pii``: PII latency per 200-character message, ours beside Presidio's default configuration.

Both run in this process on the same messages, interleaved message by message, so machine noise hits
both alike; the ratio is the figure to trust on a shared machine. Ours is measured for ``analyze``
(detection), ``mask`` (detection + placeholders + anonymizer) and ``check_output`` (what every model
reply goes through), in wall time and in CPU time of the calling thread (``time.thread_time``: on a
machine shared by several jobs wall time includes waiting for a core). The default configuration is
English-only: on the Chinese messages it is the
English engine run over Chinese text, which is what a stock deployment would do.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import time
from pathlib import Path

import typer

from app.cli import Clis


def register(cli: Clis) -> None:
    @cli.bench.command("pii")
    def bench_pii(
        n: int = typer.Option(200, min=10, help="Messages per language"),
        length: int = typer.Option(200, min=20, help="Characters per message"),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of Markdown"),
    ) -> None:
        """p50/p95 ms per message, en and zh, ours vs default Presidio."""
        from app.settings import get_settings
        from privacy import build_masker
        from privacy.evaluation.messages import bench_messages
        from privacy.evaluation.runner import DefaultPresidio, percentiles
        from privacy.types import VaultState

        settings = get_settings()
        started = time.perf_counter()
        masker = build_masker(settings.privacy, settings.data_dir)
        masker.warm_up()
        ours_load = time.perf_counter() - started
        started = time.perf_counter()
        base = DefaultPresidio(
            settings.data_dir, en_model=settings.privacy.en_model, entities=masker.entities
        )
        base.warm_up()
        base_load = time.perf_counter() - started

        results: dict[str, dict[str, dict[str, float]]] = {}
        for lang in ("en", "zh"):
            texts = bench_messages(lang, n, length=length)
            timings: dict[str, list[float]] = {
                k: [] for k in ("analyze", "mask", "check_output", "default", "analyze_cpu", "default_cpu")
            }
            for t in texts[:5]:  # warm caches of both engines
                masker.mask(t, VaultState())
                base.analyze_raw(t)
            for t in texts:
                for name, call in (
                    ("analyze", lambda t=t: masker.analyze(t)),
                    ("default", lambda t=t: base.analyze_raw(t)),
                    ("mask", lambda t=t: masker.mask(t, VaultState())),
                    ("check_output", lambda t=t: masker.check_output(t, VaultState())),
                ):
                    t0, c0 = time.perf_counter(), time.thread_time()
                    call()
                    timings[name].append((time.perf_counter() - t0) * 1000)
                    if name in ("analyze", "default"):
                        timings[f"{name}_cpu"].append((time.thread_time() - c0) * 1000)
            results[lang] = {k: percentiles(v) for k, v in timings.items()}

        if as_json:
            typer.echo(json.dumps({"load_s": {"ours": ours_load, "default": base_load}, **results}))
            return
        stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        cpus = len(os.sched_getaffinity(0))
        load = os.getloadavg()[0]
        lines = [
            f"`kefu bench pii --n {n} --length {length}` — {stamp}, {platform.node()} ({cpus} vCPU, shared; "
            f"load average {load:.1f} at the end)",
            "",
            "| lang | ours analyze p50 / p95 | ours mask p50 / p95 | ours check_output p50 / p95 "
            "| default analyze p50 / p95 | p95 ratio ours/default | CPU time analyze p50 / p95, ours · default |",
            "|---|---|---|---|---|---|---|",
        ]
        for lang, r in results.items():
            ratio = r["analyze"]["p95_ms"] / r["default"]["p95_ms"]
            lines.append(
                f"| {lang} | {r['analyze']['p50_ms']} / {r['analyze']['p95_ms']} ms "
                f"| {r['mask']['p50_ms']} / {r['mask']['p95_ms']} ms "
                f"| {r['check_output']['p50_ms']} / {r['check_output']['p95_ms']} ms "
                f"| {r['default']['p50_ms']} / {r['default']['p95_ms']} ms | {ratio:.2f} "
                f"| {r['analyze_cpu']['p50_ms']} / {r['analyze_cpu']['p95_ms']} · "
                f"{r['default_cpu']['p50_ms']} / {r['default_cpu']['p95_ms']} ms |"
            )
        lines += [
            "",
            f"engine load: ours {ours_load:.1f} s (en + zh), default {base_load:.1f} s (en). Wall times include "
            "waiting for a CPU on this shared machine; CPU time (thread_time) is the work itself.",
        ]
        body = "\n".join(lines)
        out = Path("var/bench/pii-latency.md")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(body + "\n", encoding="utf-8")
        typer.echo(body)
