"""``bench/gpu/load.py`` end to end against the real vLLM (CPU) server, run by vLLM's own Python.

On a GPU host only vLLM's venv exists, so the script must run there with the repository on PYTHONPATH.
A small load (3 conversations, 8 tokens per answer) checks the whole path: prompts built by
``build_rag_prompt``, streamed answers, TTFT / inter-token figures and the prefix-cache hit rate read from
the server's ``/metrics``. The figures themselves are the GPU run's business, not this test's.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from llm_backend.serving import ManagedServer
from tests.integration.llm.conftest import ROOT, TINY_MOE_NAME

pytestmark = pytest.mark.vllm

DATA = Path(os.environ.get("EVAL_DATA_DIR", ROOT / ".." / "shared" / "data"))


def test_gpu_load_script_runs_against_real_vllm(
    tiny_moe: tuple[Path, Path], vllm_server: ManagedServer
) -> None:
    if not (DATA / "esun_aicup2024_faq").is_dir():
        pytest.skip(f"no E.SUN FAQ under EVAL_DATA_DIR={DATA}")
    python, _ = tiny_moe
    out = subprocess.run(
        [
            str(python),
            "bench/gpu/load.py",
            "--base-url",
            vllm_server.base_url,
            "--model",
            TINY_MOE_NAME,
            "--data",
            str(DATA),
            "--conversations",
            "3",
            "--concurrency",
            "3",
            "--max-tokens",
            "8",
            "--context",
            "1536",  # below the served 2048: the script counts tokens by estimate
        ],  # fmt: skip
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    report = json.loads(out.stdout)
    assert report["failures"] == 0, out.stderr[-3000:]
    assert report["conversations"] == 3
    assert report["requests"] >= 9  # every conversation has at least 3 turns
    assert 0 < report["ttft_p50_ms"] <= report["ttft_p95_ms"]
    assert report["itl_p50_ms"] > 0
    assert report["output_tokens_per_s"] > 0
    # Follow-up turns extend the previous prompt, so some prompt tokens come from the cache.
    assert 0 < report["prefix_cache_hit_rate"] < 1
