"""Start, drive and stop the loopback processes of a load or fault run: the LLM stub server and the served
app. Each process gets its own process group, so stopping it never touches anything else."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http_json(method: str, url: str, body: Any = None, *, timeout: float = 10.0) -> Any:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={"content-type": "application/json"})
    with _NO_PROXY.open(req, timeout=timeout) as resp:
        return json.loads(resp.read() or b"null")


@dataclass
class Proc:
    """A child process started in its own session; ``log`` collects its stdout and stderr."""

    argv: Sequence[str]
    log: Path
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: Path = ROOT
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> Proc:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        out = self.log.open("ab")
        env = {**os.environ, **self.env}
        self.popen = subprocess.Popen(
            list(self.argv),
            cwd=self.cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        out.close()
        return self

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def tail(self, n: int = 4000) -> str:
        try:
            return self.log.read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def signal(self, sig: int) -> None:
        if self.alive():
            os.killpg(self.pid, sig)

    def stop(self, *, timeout: float = 15.0) -> int | None:
        """SIGTERM, then SIGKILL after ``timeout``; returns the exit code."""
        if self.popen is None:
            return None
        if self.alive():
            self.signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.signal(signal.SIGKILL)
                self.popen.wait(10)
        return self.popen.returncode

    def kill(self) -> None:
        if self.alive():
            self.signal(signal.SIGKILL)
            assert self.popen is not None
            self.popen.wait(10)

    def wait_for(self, check: Any, *, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(
                    f"{what}: the process exited ({self.popen and self.popen.returncode})\n{self.tail()}"
                )
            with contextlib.suppress(Exception):
                if check():
                    return
            time.sleep(0.1)
        raise TimeoutError(f"{what}: not ready within {timeout:g} s\n{self.tail()}")


class LlmStub:
    """The stub model server (``bench.load.llm_stub``) as a child process on a free loopback port."""

    def __init__(self, log: Path, *, port: int | None = None, **behaviour: Any) -> None:
        self.port = port or free_port()
        self.behaviour = behaviour
        self.proc = Proc([sys.executable, "-m", "bench.load.llm_stub", "--port", str(self.port)], log)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, timeout: float = 60.0) -> LlmStub:
        self.proc.start()
        self.proc.wait_for(
            lambda: http_json("GET", self.root + "/health", timeout=2), timeout=timeout, what="llm stub"
        )
        if self.behaviour:
            self.set(**self.behaviour)
        return self

    def set(self, **values: Any) -> dict[str, Any]:
        out: dict[str, Any] = http_json("POST", self.root + "/stub/behaviour", values)
        return out

    def stats(self) -> dict[str, Any]:
        out: dict[str, Any] = http_json("GET", self.root + "/stub/stats")
        return out

    def requests(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = http_json("GET", self.root + "/stub/requests")
        return out

    def reset(self) -> None:
        http_json("POST", self.root + "/stub/reset", {})

    def stop(self) -> None:
        self.proc.stop(timeout=5)

    def kill(self) -> None:
        self.proc.kill()
