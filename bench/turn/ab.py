"""Side by side: the app CPU and latency per chat turn of two checkouts, in one run.

    python bench/turn/ab.py --a /path/to/before --b /path/to/after --data-dir var-bench [--rounds 4 --turns 50]
    python bench/turn/ab.py --a . --b . --b-env PRIVACY__OUTPUT_MEMO_SIZE=0 --data-dir var-bench   # a setting
    python bench/turn/ab.py --a . --b . --b-env RETRIEVAL__QUERY_ENGINE=onnx-int8 --data-dir var-bench \
        --fresh-queries --turns 40    # every question new text to the query embedder (query memo emptied)

Starts one worker process per checkout (``PYTHONPATH`` = the checkout, so each runs its own code), each
with its own copy of ``--data-dir`` (a data directory seeded by ``kefu migrate && kefu demo``: SQLite, the
demo tenant and its index). Both warm up (models, one round of turns), then they take turns, round after
round, in alternating order (A B, B A, ...), so both see the same moments of a shared machine; the idle
one waits on its stdin. Each round is ``kefu bench turn --no-llm``'s loop (``app.evals.bench_turn.run``:
the demo's golden questions, 4 turns a conversation, extractive answers, answer cache off) with the
process's CPU time (every thread, torch's included) measured around it. Serving's one model thread
(``SERVER__MODEL_THREADS=1``) is applied as ``kefu serve`` does, and the tenant's KB-aware tracker has
finished its one-time training before the first round.

Prints one JSON object: per side and round the CPU ms per turn, the turn's p50/p95 and the stages'
means, the medians over rounds, the B/A ratios, and the load average before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def _worker(tenant_slug: str, backend: str, fresh_queries: bool = False) -> None:
    """Read "run N" lines from stdin; answer each with one JSON line on stdout."""
    from app.db import crud_tenancy
    from app.demo import golden_queries
    from app.evals import bench_turn
    from app.settings import get_settings
    from app.wiring import build_container

    try:
        from app.edge.serving import limit_model_threads

        limit_model_threads(1)
    except ImportError:  # pragma: no cover - an older checkout
        pass

    async def main() -> None:
        settings = get_settings()
        llm = settings.llm.model_copy(
            update={
                "backend": backend,
                "cache": settings.llm.cache.model_copy(update={"enabled": False}),
            }
        )
        container = await build_container(settings.model_copy(update={"llm": llm}))
        try:
            async with container.sessions() as session:
                tenant = await crud_tenancy.get_tenant_by_slug(session, slug=tenant_slug)
            assert tenant is not None, f"no tenant {tenant_slug}: run `kefu demo` first"
            questions = golden_queries(settings.demo_kb_dir)
            # The tenant's KB-aware tracker trains once per process, in the background: wait for it, so
            # that the rounds measure turns (with the tracker production serves), not the training.
            from app.chat import tenant_trackers

            trackers = tenant_trackers.for_container(container)
            await trackers.get(tenant.id)
            await trackers.wait_ready(tenant.id)
            print(json.dumps({"ready": True}), flush=True)
            loop = asyncio.get_running_loop()
            while True:
                line = await loop.run_in_executor(None, sys.stdin.readline)
                if not line.strip():
                    return
                turns = int(line.split()[1])
                if fresh_queries:  # every question of the round is new text to the query embedder
                    forget = getattr(container.embedder, "clear", None)
                    if forget is not None:
                        forget()
                cpu0, wall0 = time.process_time(), time.perf_counter()
                report = await bench_turn.run(
                    container, tenant_id=tenant.id, questions=questions, turns=turns
                )
                cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
                out = report.as_json()
                out["cpu_ms_per_turn"] = round(cpu * 1000.0 / turns, 2)
                out["wall_ms_per_turn"] = round(wall * 1000.0 / turns, 2)
                print(json.dumps(out, ensure_ascii=False), flush=True)
        finally:
            await container.aclose()

    asyncio.run(main())


class _Side:
    def __init__(
        self,
        name: str,
        checkout: Path,
        data_dir: Path,
        tenant: str,
        backend: str,
        extra_env: dict[str, str],
        fresh_queries: bool = False,
    ) -> None:
        env = dict(os.environ, PYTHONPATH=str(checkout), DATA_DIR=str(data_dir), LOG_LEVEL="WARNING")
        env.update(extra_env)
        self.name = name
        self.proc = subprocess.Popen(
            [
                sys.executable,
                str(Path(__file__).resolve()),
                "--worker",
                "--tenant",
                tenant,
                "--backend",
                backend,
                *(["--fresh-queries"] if fresh_queries else []),
            ],
            cwd=checkout,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.rounds: list[dict[str, Any]] = []

    def wait_ready(self) -> None:
        while True:
            line = self._line()
            if json.loads(line).get("ready"):
                return

    def run(self, turns: int) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"run {turns}\n")
        self.proc.stdin.flush()
        return dict(json.loads(self._line()))

    def _line(self) -> str:
        assert self.proc.stdout is not None
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError(f"worker {self.name} exited ({self.proc.wait()})")
            if line.startswith("{"):
                return line

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=120)


def _summary(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    stages = sorted({k for r in rounds for k in r["stages_ms"]})
    return {
        "cpu_ms_per_turn": statistics.median(r["cpu_ms_per_turn"] for r in rounds),
        "total_p50": statistics.median(r["stages_ms"]["total"]["p50"] for r in rounds),
        "total_p95": statistics.median(r["stages_ms"]["total"]["p95"] for r in rounds),
        "stage_mean_ms": {
            s: round(statistics.median(r["stages_ms"][s]["mean"] for r in rounds if s in r["stages_ms"]), 2)
            for s in stages
        },
        "decisions": rounds[-1]["decisions"],
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--tenant", default="harbor")
    ap.add_argument(
        "--backend", default="extractive", help="LLM__BACKEND of both sides (no model: extractive, composer)"
    )
    ap.add_argument("--a", type=Path, help="the checkout before")
    ap.add_argument("--b", type=Path, help="the checkout after")
    ap.add_argument("--data-dir", type=Path, help="a seeded data directory (copied once per side)")
    ap.add_argument("--a-env", action="append", default=[], help="KEY=VALUE for side A only")
    ap.add_argument("--b-env", action="append", default=[], help="KEY=VALUE for side B only")
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--turns", type=int, default=50)
    ap.add_argument("--warm-turns", type=int, default=20)
    ap.add_argument(
        "--fresh-queries",
        action="store_true",
        help="empty the query memo before each round: each question is embedded once per round, as new "
        "text (use --turns <= the number of golden questions, 40)",
    )
    args = ap.parse_args()
    if args.worker:
        _worker(args.tenant, args.backend, args.fresh_queries)
        return
    if not (args.a and args.b and args.data_dir):
        ap.error("--a, --b and --data-dir are required")
    with tempfile.TemporaryDirectory(prefix="turn-ab-") as tmp:
        sides = []
        for name, checkout, env in (("a", args.a, args.a_env), ("b", args.b, args.b_env)):
            data = Path(tmp) / name
            shutil.copytree(args.data_dir, data)
            extra = dict(kv.split("=", 1) for kv in env)
            sides.append(
                _Side(name, checkout.resolve(), data, args.tenant, args.backend, extra, args.fresh_queries)
            )
        try:
            for side in sides:
                side.wait_ready()
            for side in sides:
                side.run(args.warm_turns)
            load_before = os.getloadavg()
            for i in range(args.rounds):
                for side in sides if i % 2 == 0 else sides[::-1]:
                    side.rounds.append(side.run(args.turns))
            load_after = os.getloadavg()
        finally:
            for side in sides:
                side.close()
    a, b = _summary(sides[0].rounds), _summary(sides[1].rounds)
    ratio = {k: round(b[k] / a[k], 3) for k in ("cpu_ms_per_turn", "total_p50", "total_p95") if a[k]}
    print(
        json.dumps(
            {
                "a": {
                    "checkout": str(args.a),
                    "env": args.a_env,
                    **a,
                    "cpu_rounds": [r["cpu_ms_per_turn"] for r in sides[0].rounds],
                },
                "b": {
                    "checkout": str(args.b),
                    "env": args.b_env,
                    **b,
                    "cpu_rounds": [r["cpu_ms_per_turn"] for r in sides[1].rounds],
                },
                "b_over_a": ratio,
                "backend": args.backend,
                "fresh_queries": args.fresh_queries,
                "rounds": args.rounds,
                "turns_per_round": args.turns,
                "loadavg_before": [round(x, 2) for x in load_before],
                "loadavg_after": [round(x, 2) for x in load_after],
            },
            ensure_ascii=False,
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
