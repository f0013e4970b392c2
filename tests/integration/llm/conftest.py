"""Real model servers for the LLM integration tests, each started once per test session.

- ``vllm_server``: vLLM (CPU) serving the seeded tiny Qwen2-MoE (marker ``vllm``). Needs the vLLM venv
  and model from ``scripts/prepare_vllm.sh`` (cached per machine; ``.ci/run`` runs it). Locally they are
  skipped when not prepared; in CI (``CI`` set) a missing venv fails instead of skipping.
- ``llama_gguf`` / ``llama_server``: the packaged Qwen2.5-0.5B GGUF, in-process and behind
  ``python -m llama_cpp.server`` (marker ``llama``).
Servers log to ``var/log/``; teardown ends each server's whole process group.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from llm_backend.serving import (
    ManagedServer,
    free_port,
    llama_server_command,
    vllm_cpu_command,
    vllm_cpu_env,
)

ROOT = Path(__file__).resolve().parents[3]
CACHE = Path(os.environ.get("KEFU_CACHE", str(Path.home() / ".cache" / "kefu")))
VLLM_VERSION = "0.32.0"
TINY_MOE_NAME = "kefu-tiny-moe"
LLAMA_NAME = "qwen2.5-0.5b"


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must prepare it: .ci/run runs scripts/prepare_vllm.sh)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def llama_gguf() -> Path:
    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        _missing("llama-cpp-python is not installed (make venv builds it)")
    from llm_backend.model_files import ensure_packaged_gguf

    return ensure_packaged_gguf(CACHE)


@pytest.fixture(scope="session")
def tiny_moe() -> tuple[Path, Path]:
    """(vLLM python, tiny MoE folder), prepared by scripts/prepare_vllm.sh."""
    venv = CACHE / f"venv-vllm-{VLLM_VERSION}"
    if not (venv / ".kefu-ready").is_file():
        _missing(f"the vLLM venv {venv} is not built: run scripts/prepare_vllm.sh (~3 min, once)")
    out = subprocess.run(
        ["scripts/prepare_vllm.sh", str(Path(sys.executable).parents[1])],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    if out.returncode != 0:
        pytest.fail(f"scripts/prepare_vllm.sh failed:\n{out.stderr[-3000:]}")
    found = dict(line.split("=", 1) for line in out.stdout.splitlines() if "=" in line)
    return Path(found["VLLM_PYTHON"]), Path(found["TINY_MOE_DIR"])


@pytest.fixture(scope="session")
def vllm_server(tiny_moe: tuple[Path, Path]) -> Iterator[ManagedServer]:
    python, model = tiny_moe
    port = free_port()
    server = ManagedServer(
        vllm_cpu_command(python, model, served_name=TINY_MOE_NAME, port=port),
        port,
        ROOT / "var" / "log" / f"vllm-test-{port}.log",
        env=vllm_cpu_env(),
        ready_path="/health",
        startup_timeout_s=900,  # ~50 s alone; much more while the shared CPUs are busy
    )
    with server:
        yield server


@pytest.fixture(scope="session")
def llama_server(llama_gguf: Path) -> Iterator[ManagedServer]:
    port = free_port()
    server = ManagedServer(
        llama_server_command(Path(sys.executable), llama_gguf, served_name=LLAMA_NAME, port=port),
        port,
        ROOT / "var" / "log" / f"llama-server-test-{port}.log",
        startup_timeout_s=300,
    )
    with server:
        yield server
