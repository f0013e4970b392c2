"""Start and stop a local OpenAI-compatible model server (vLLM on CPU, ``llama_cpp.server``).

For integration tests, benchmarks and ``make`` targets, not for production (there, docker-compose runs
vLLM; see docs/LLM.md). A ``ManagedServer`` takes a free loopback port, writes the server's output to a
log file, waits for readiness with a deadline (and fails early, with the log's tail, if the process
dies), and on ``stop()`` ends the server's whole process group: vLLM forks engine workers that must not
outlive it. Synchronous on purpose: callers are pytest fixtures and CLI commands.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback only
VLLM_STRUCTURED_OUTPUTS = {"backend": "xgrammar", "disable_any_whitespace": True}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def vllm_cpu_command(
    python: Path,
    model_dir: Path,
    *,
    served_name: str,
    port: int,
    max_model_len: int = 2048,
    block_size: int | None = None,
) -> list[str]:
    """The vLLM (CPU) command line verified on these machines (see docs/LLM.md for the GPU one).

    ``block_size``: KV-cache block in tokens, the granularity of prefix-cache hits; ``None`` keeps the
    server's default, which vLLM's CPU platform sets to 128 (GPU vLLM: 16).
    """
    extra = ["--block-size", str(block_size)] if block_size else []
    return [
        str(python), "-m", "vllm.entrypoints.openai.api_server",
        "--model", str(model_dir),
        "--served-model-name", served_name,
        "--host", "127.0.0.1",
        "--port", str(port),
        "--max-model-len", str(max_model_len),
        "--dtype", "float32",
        "--enforce-eager",
        "--enable-prefix-caching",
        "--enable-prompt-tokens-details",
        "--structured-outputs-config", json.dumps(VLLM_STRUCTURED_OUTPUTS),
        *extra,
    ]  # fmt: skip


def vllm_cpu_env(kv_cache_gib: int = 2) -> dict[str, str]:
    return {"VLLM_CPU_KVCACHE_SPACE": str(kv_cache_gib), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def llama_server_command(
    python: Path, gguf: Path, *, served_name: str, port: int, n_ctx: int = 2048
) -> list[str]:
    return [
        str(python), "-m", "llama_cpp.server",
        "--model", str(gguf),
        "--model_alias", served_name,
        "--host", "127.0.0.1",
        "--port", str(port),
        "--n_ctx", str(n_ctx),
        "--n_threads", "2",
    ]  # fmt: skip


@dataclass
class ManagedServer:
    """One server process. Use as a context manager, or ``start()`` / ``stop()``."""

    command: Sequence[str]
    port: int
    log_path: Path
    env: Mapping[str, str] = field(default_factory=dict)
    ready_path: str = "/v1/models"
    startup_timeout_s: float = 240.0
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(
                self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
            )
        except OSError:
            return "(no log)"

    def start(self) -> ManagedServer:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                list(self.command),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, **self.env},
                start_new_session=True,  # its own process group, ended as one
            )
        deadline = time.monotonic() + self.startup_timeout_s
        while time.monotonic() < deadline:
            code = self.process.poll()
            if code is not None:
                tail = self.log_tail()
                self.stop()
                raise RuntimeError(f"server exited with {code} while starting:\n{tail}")
            if self._ready():
                return self
            time.sleep(1.0)
        tail = self.log_tail()
        self.stop()
        raise TimeoutError(f"server not ready after {self.startup_timeout_s:.0f} s:\n{tail}")

    def _ready(self) -> bool:
        try:
            with _NO_PROXY.open(self.root_url + self.ready_path, timeout=2) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError, ValueError):
            return False

    def stop(self, grace_s: float = 15.0) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def __enter__(self) -> ManagedServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
