"""Side by side in one run: `kefu eval llm-answers` on each answer backend, the same questions for all.

    .venv/bin/python scripts/answer_side_by_side.py [--limit N] [--gguf-1p5b FILE] \
        [--vllm-python PY --vllm-model DIR] [--out var/bench/side-by-side]

Backends, in this order: the composer (no model, the default), a vLLM (CPU) server, llama.cpp with the packaged Qwen2.5 0.5B, llama.cpp with a
1.5B GGUF (``--gguf-1p5b``), and a vLLM (CPU) server started here on a free loopback port
(``--vllm-python`` / ``--vllm-model``; the tiny MoE of scripts/prepare_vllm.sh has random weights). Each
run's markdown and rows are kept under ``--out`` as ``<backend>.md`` / ``<backend>.jsonl``; a backend
whose prerequisites are not given is skipped. Nothing but loopback is contacted.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_eval(name: str, env: dict[str, str], limit: int, out: Path, *, answerable_only: bool = False) -> None:
    cmd = [str(ROOT / ".venv/bin/kefu"), "eval", "llm-answers"]
    if limit:
        cmd += ["--limit", str(limit)]
    if answerable_only:
        cmd += ["--answerable-only"]
    started = time.time()
    print(f"== {name}: {' '.join(cmd)} ({time.strftime('%H:%M:%S', time.gmtime())} UTC)", flush=True)
    done = subprocess.run(cmd, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), **env}, check=False)
    if done.returncode != 0:
        print(f"   {name} failed (exit {done.returncode})", flush=True)
        return
    for ext in ("md", "jsonl"):
        shutil.copy(ROOT / f"var/bench/llm-answers.{ext}", out / f"{name}.{ext}")
    print(f"   {name}: {time.time() - started:.0f} s", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--model-limit", type=int, default=0, help="for the CPU models only: first N answerable")
    ap.add_argument("--threads", type=int, default=0, help="LLM__N_THREADS for the CPU models (0: default)")
    ap.add_argument("--gguf-1p5b", type=Path)
    ap.add_argument("--vllm-python", type=Path)
    ap.add_argument("--vllm-model", type=Path)
    ap.add_argument("--only", default="composer,llama-0.5b,llama-1.5b,vllm")
    ap.add_argument("--out", type=Path, default=ROOT / "var/bench/side-by-side")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    only = set(args.only.split(","))
    base = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "LLM__CACHE__ENABLED": "false"}

    if "composer" in only:
        run_eval("composer", {**base, "LLM__BACKEND": "composer"}, args.limit, args.out)
    if "vllm" in only and args.vllm_python and args.vllm_model:
        sys.path.insert(0, str(ROOT))
        from llm_backend.serving import ManagedServer, free_port, vllm_cpu_command, vllm_cpu_env

        port = free_port()
        server = ManagedServer(
            vllm_cpu_command(args.vllm_python, args.vllm_model, served_name="kefu-tiny-moe", port=port),
            port,
            args.out / "vllm-server.log",
            env=vllm_cpu_env(),
            startup_timeout_s=900.0,  # a loaded shared machine: ~1 min quiet, several under load
        )
        with server:
            env = {
                **base,
                "LLM__BACKEND": "openai",
                "LLM__BASE_URL": server.base_url,
                "LLM__MODEL": "kefu-tiny-moe",
            }
            run_eval("vllm-tiny-moe", env, args.limit, args.out)
    cpu = {
        **base,
        "LLM__BACKEND": "llama_cpp",
        **({"LLM__N_THREADS": str(args.threads)} if args.threads else {}),
    }
    limit, short = (args.model_limit, True) if args.model_limit else (args.limit, False)
    if "llama-0.5b" in only:
        run_eval("llama-0.5b", cpu, limit, args.out, answerable_only=short)
    if "llama-1.5b" in only and args.gguf_1p5b:
        run_eval(
            "llama-1.5b",
            {**cpu, "LLM__GGUF_PATH": str(args.gguf_1p5b)},
            limit,
            args.out,
            answerable_only=short,
        )


if __name__ == "__main__":
    main()
