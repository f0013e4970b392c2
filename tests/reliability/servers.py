"""Private Redis and PostgreSQL servers for the fault tests: started on free loopback ports in temporary
folders, stopped and started again by the tests. The shared servers on 6379 / 5432 are never touched, and
only the processes started here are ever signalled (by their own PID)."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from bench.load.procs import free_port


def _wait(check: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if check():  # type: ignore[operator]
                return
        time.sleep(0.1)
    raise TimeoutError(f"{what} not ready within {timeout:g} s")


class PrivateRedis:
    """``redis-server`` on its own port and folder. ``persist=True`` keeps an append-only file, so a
    restart comes back with the data (like the compose service); ``False`` comes back empty."""

    def __init__(self, directory: Path, *, persist: bool = True) -> None:
        self.dir = directory
        self.port = free_port()
        self.persist = persist
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> PrivateRedis:
        self.dir.mkdir(parents=True, exist_ok=True)
        argv = [
            shutil.which("redis-server") or "redis-server",
            "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "yes" if self.persist else "no", "--appendfsync", "always",
            "--dir", str(self.dir), "--logfile", str(self.dir / "redis.log"),
        ]  # fmt: skip
        self.proc = subprocess.Popen(argv, start_new_session=True)
        _wait(self.ping, 20, f"private redis on {self.port}")
        return self

    def ping(self) -> bool:
        import redis

        client = redis.Redis(port=self.port, socket_connect_timeout=0.5, socket_timeout=0.5)
        try:
            return bool(client.ping())
        finally:
            client.close()

    def stop(self) -> None:
        """Shut down (SIGTERM to our own process; redis writes nothing more with --save "")."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(15)
        self.proc = None

    def pause(self) -> None:
        """SIGSTOP: the server hangs (a partition or a stalled host), connections stay open."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
        self.stop()


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError(f"PostgreSQL's {name} is not installed under /usr/lib/postgresql")
    return found[-1]


class PrivatePostgres:
    """A throw-away cluster (``initdb`` + ``pg_ctl``) on its own port and socket folder. As root, it runs as
    the ``postgres`` OS user in a folder that user owns."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="kefu-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self._as_root = os.geteuid() == 0
        if self._as_root:
            shutil.chown(self.dir, "postgres", "postgres")
            os.chmod(self.dir, 0o700)

    def _run(self, argv: list[str], *, timeout: float = 120) -> None:
        if self._as_root:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        subprocess.run(argv, check=True, timeout=timeout, capture_output=True)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def init(self) -> PrivatePostgres:
        self._run([_pg_bin("initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                   "--no-sync"])  # fmt: skip
        return self

    def start(self) -> PrivatePostgres:
        opts = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60"
        )
        self._run([_pg_bin("pg_ctl"), "-D", str(self.data), "-o", opts, "-l", str(self.dir / "pg.log"),
                   "-w", "-t", "60", "start"])  # fmt: skip
        return self

    def stop(self, mode: str = "fast") -> None:
        """``fast``: connections are terminated (what the app sees when the database goes away)."""
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run([_pg_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop"])

    def close(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)
