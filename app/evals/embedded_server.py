"""The embedded default, served as ``make run`` serves it, for an evaluation to talk to over HTTP; and a
background load to measure it under.

``EmbeddedServer`` runs ``kefu migrate``, ``kefu demo --if-empty`` and ``kefu serve`` as child processes
of this repository's code (``python -c 'from app.cli import main; main()'`` in the repository root) with
``DATA_DIR`` in a fresh temporary folder (or the one given), ``HOST=127.0.0.1`` and a free port, and with
``DATABASE_URL`` and ``REDIS_URL`` removed from their environment: SQLite and in-process stores, the
embedded default. Passage vectors and the assembled CPU model are kept outside the throw-away folder
(``cache``/embeddings and ``cache``/models, linked as ``DATA_DIR/embeddings`` and ``DATA_DIR/models``; the
first is keyed by content and embedder, the second checked by sha256), so only the first run on a machine
pays for embedding the demo KB and assembling the model. The server's log is ``DATA_DIR/serve.log``.

``BackgroundLoad`` starts ``processes`` child Python processes that each spin on one core
(``while True: pass``) for as long as the block runs: "a second process using one core".
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import IO

import httpx

from app.settings import child_environment

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CACHE = Path.home() / ".cache" / "kefu" / "eval-answers"
# Folders of DATA_DIR that only cache what can be rebuilt (keyed by content, or checked by sha256).
CACHED = ("embeddings", "models")
_CLI = "from app.cli import main; main()"
_DROPPED_ENV = ("DATABASE_URL", "REDIS_URL")


class ServerStartError(RuntimeError):
    """The embedded server could not be prepared or did not become ready (the message says which step)."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def read_widget_key(data_dir: Path) -> str | None:
    """The demo tenant's widget key from ``DATA_DIR/demo_credentials.txt`` (written by ``kefu demo``)."""
    path = data_dir / "demo_credentials.txt"
    if not path.is_file():
        return None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("widget key"):
            parts = line.split()
            return parts[2] if len(parts) > 2 else None
    return None


class EmbeddedServer:
    """``with EmbeddedServer() as s:`` -> ``s.base_url``, ``s.widget_key``; stopped (and its temporary
    folder removed) on exit."""

    def __init__(
        self,
        *,
        data_dir: Path | None = None,
        env: dict[str, str] | None = None,
        cache: Path | None = DEFAULT_CACHE,
        ready_timeout_s: float = 900.0,
        log: IO[str] | None = None,
    ) -> None:
        self._own_dir = data_dir is None
        self.data_dir = data_dir or Path(tempfile.mkdtemp(prefix="kefu-eval-answers-"))
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.widget_key = ""
        self._extra_env = dict(env or {})
        self._cache: Path | None = cache
        self._ready_timeout_s = ready_timeout_s
        self._log = log or sys.stderr
        self._proc: subprocess.Popen[bytes] | None = None

    def _env(self) -> dict[str, str]:
        env = child_environment(drop=_DROPPED_ENV)
        env.update(DATA_DIR=str(self.data_dir.resolve()), HOST="127.0.0.1", PORT=str(self.port))
        env.setdefault("LOG_JSON", "false")
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
        env.update(self._extra_env)
        return env

    def _kefu(self, *args: str, timeout_s: float) -> None:
        self._log.write(f"[eval answers] kefu {' '.join(args)}\n")
        t0 = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", _CLI, *args], cwd=REPO_ROOT, env=self._env(), capture_output=True,
            text=True, timeout=timeout_s, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            tail = (done.stdout + done.stderr)[-2000:]
            raise ServerStartError(f"kefu {' '.join(args)} failed (exit {done.returncode}):\n{tail}")
        self._log.write(f"[eval answers]   done in {time.perf_counter() - t0:.0f} s\n")

    def start(self) -> EmbeddedServer:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self._cache is not None:
            for name in CACHED:
                link, target = self.data_dir / name, self._cache / name
                if not link.exists():
                    target.mkdir(parents=True, exist_ok=True)
                    link.symlink_to(target, target_is_directory=True)
        self._kefu("migrate", timeout_s=600)
        self._kefu("demo", "--if-empty", timeout_s=3600)
        key = read_widget_key(self.data_dir)
        if not key:
            raise ServerStartError(f"no widget key in {self.data_dir / 'demo_credentials.txt'}")
        self.widget_key = key
        log = (self.data_dir / "serve.log").open("wb")
        self._log.write(f"[eval answers] kefu serve on {self.base_url} (log {self.data_dir / 'serve.log'})\n")
        self._proc = subprocess.Popen(
            [sys.executable, "-c", _CLI, "serve"], cwd=REPO_ROOT, env=self._env(), stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        log.close()
        t0 = time.perf_counter()
        deadline = time.monotonic() + self._ready_timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise ServerStartError(
                    f"kefu serve exited ({self._proc.returncode}); see {self.data_dir}/serve.log"
                )
            try:
                if httpx.get(self.base_url + "/readyz", timeout=5).status_code == 200:
                    self._log.write(f"[eval answers]   ready in {time.perf_counter() - t0:.0f} s\n")
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(1.0)
        raise ServerStartError(f"kefu serve not ready after {self._ready_timeout_s:.0f} s")

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=10)
        self._proc = None
        if self._own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> EmbeddedServer:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class BackgroundLoad:
    """``processes`` busy-looping child processes (one core each) while the block runs."""

    COMMAND = "while True: pass"

    def __init__(self, processes: int = 1) -> None:
        self.processes = processes
        self._procs: list[subprocess.Popen[bytes]] = []

    def describe(self) -> str:
        return f"{self.processes} x `{sys.executable} -c '{self.COMMAND}'` (one core each)"

    def __enter__(self) -> BackgroundLoad:
        for _ in range(self.processes):
            self._procs.append(subprocess.Popen([sys.executable, "-c", self.COMMAND]))
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for p in self._procs:
            p.terminate()
        for p in self._procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        self._procs.clear()
