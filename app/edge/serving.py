"""How the app is served (``kefu serve``): uvicorn with the edge settings applied.

One process (``SERVER__WORKERS=1``, the default): the app built from the settings, served in this process.

Several (``SERVER__WORKERS=N`` / ``kefu serve --workers N``): uvicorn's supervisor binds the socket once and
starts N worker processes on it; each worker builds its own app from the environment through the
composition root (``app.main:app_from_environment``: settings, container, models, clients), so nothing is
shared between workers but PostgreSQL and Redis. The supervisor restarts a worker that dies, and stops when
one cannot start. Configurations that keep state inside a process are refused before any worker starts
(``shared_state_problems``, error code ``workers_need_shared_state``).

Shutdown (SIGTERM / SIGINT): uvicorn stops accepting connections; a customer turn already streaming keeps
going until it ends or ``EDGE__SHUTDOWN_GRACE_S`` passes (the chat stream route gives its SSE response that
grace); long-lived live-event streams close at once (their clients reconnect to another replica). Uvicorn
waits a few seconds longer than the grace for the connections to close, then the lifespan closes the
container (database pool, Redis clients, model client). With workers, the supervisor passes SIGTERM on to
each worker, which shuts down the same way, and waits for them all.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from app.settings import Settings, secret_problems

logger = logging.getLogger(__name__)

# Uvicorn's own deadline is the streams' grace plus this, so the streams' grace always runs out first.
SHUTDOWN_MARGIN_S = 5
# The import string each worker builds its app from.
APP_FACTORY = "app.main:app_from_environment"
# The supervisor pings each worker (a thread in the worker answers) and replaces one that does not answer
# within this long; uvicorn's 5 s is short for a busy 2-vCPU machine loading models in every worker.
WORKER_HEALTHCHECK_S = 30


class ServeRefused(Exception):
    """A server start refused, with the ``problems`` that refused it; the message reads
    ``[<code>] <why>: <problems>. <what to do>``."""

    code = "serve_refused"

    def __init__(self, why: str, problems: list[str], remedy: str) -> None:
        self.problems = problems
        super().__init__(f"[{self.code}] {why}: " + "; ".join(problems) + f". {remedy}")


class WorkersRefused(ServeRefused):
    """``SERVER__WORKERS`` > 1 with a configuration whose state would stay inside each worker."""

    code = "workers_need_shared_state"

    def __init__(self, workers: int, problems: list[str]) -> None:
        super().__init__(
            f"SERVER__WORKERS={workers} needs every piece of shared state in PostgreSQL and Redis",
            problems,
            "Fix these, or run one worker per replica.",
        )


class SecretsRefused(ServeRefused):
    """The built-in (or placeholder, or weak) secrets on a server that binds to a reachable address: anyone
    who reads the source could forge conversation tokens and open the vault."""

    code = "builtin_secrets_refused"

    def __init__(self, host: str, problems: list[str]) -> None:
        super().__init__(
            f"binding to {host} makes this server reachable from other machines, whatever ENVIRONMENT says",
            problems,
            "Set real secrets (at least 32 characters each), or bind to 127.0.0.1 for development.",
        )


def is_loopback(host: str) -> bool:
    """``host`` is this machine only (127.0.0.0/8, ::1, ``localhost``); a name or any other address is not."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def shared_state_problems(settings: Settings) -> list[str]:
    """What would differ between two workers of this configuration (empty: the workers can share)."""
    problems = []
    if not settings.redis_url:
        problems.append(
            "REDIS_URL is not set: the dialog state, the PII vault, the live events (an agent's message "
            "to the customer's widget stream) and the rate-limit counters would each live in one worker"
        )
    if not settings.sqlalchemy_url.startswith("postgresql"):
        problems.append(
            "DATABASE_URL is not PostgreSQL: the embedded SQLite file takes one writer at a time, and a "
            "second process gets 'database is locked' under load"
        )
    in_process_jobs = settings.jobs_backend == "inprocess" or (
        settings.jobs_backend == "auto" and not settings.redis_url
    )
    if in_process_jobs:
        problems.append(
            "JOBS_BACKEND=inprocess: ingestion would run inside whichever worker took the upload, and a "
            "worker restarting would mark its siblings' queued jobs abandoned; use arq (JOBS_BACKEND=auto "
            "with REDIS_URL) and run `kefu worker`"
        )
    if settings.llm.backend == "llama_cpp":
        problems.append(
            "LLM__BACKEND=llama_cpp loads the model inside every worker (one copy and one set of model "
            "threads each, on the same cores); serve the model once (LLM__BACKEND=openai against "
            "llama-server or vLLM)"
        )
    return problems


def limit_model_threads(threads: int) -> None:
    """Give the in-process models (torch) ``threads`` intra-op threads in this process; 0: torch's default.
    Called by each serving process before it builds its adapters (``SERVER__MODEL_THREADS``)."""
    if threads <= 0:
        return
    try:
        import torch
    except ImportError:  # no torch model in this installation: nothing to limit
        return
    torch.set_num_threads(threads)


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    return {
        "log_config": None,  # app.runtime.logs configures logging (JSON lines)
        "timeout_graceful_shutdown": int(settings.edge.shutdown_grace_s) + SHUTDOWN_MARGIN_S,
        # Behind the TLS proxy: its X-Forwarded-For / X-Forwarded-Proto are believed from these addresses
        # only (client address for the rate limits; https for HSTS).
        "proxy_headers": True,
        "forwarded_allow_ips": settings.edge.trusted_proxies,
        "h11_max_incomplete_event_size": settings.edge.max_header_bytes,
    }


def server(app: Any, settings: Settings, *, host: str, port: int) -> Any:
    """A ``uvicorn.Server`` (``await server.serve()`` inside a running loop: it handles the signals)."""
    import uvicorn

    return uvicorn.Server(uvicorn.Config(app, host=host, port=port, **uvicorn_options(settings)))


def serve(settings: Settings, *, host: str, port: int, workers: int | None = None) -> None:
    """Serve until SIGTERM / SIGINT: one process, or ``workers`` processes (default ``SERVER__WORKERS``).

    Raises ``SecretsRefused`` before anything starts when ``host`` is not loopback and the secrets are the
    built-in ones (whatever ``ENVIRONMENT`` says), ``WorkersRefused`` when the workers could not share
    their state; exits with status 3 (uvicorn's start-up failure) when a worker cannot start."""
    import uvicorn

    if not is_loopback(host):
        problems = secret_problems(settings)
        if problems:
            raise SecretsRefused(host, problems)

    count = settings.server.workers if workers is None else workers
    if count < 1:
        raise ValueError("workers must be at least 1")
    if count == 1:
        from app.main import create_app

        uvicorn.run(create_app(settings), host=host, port=port, **uvicorn_options(settings))
        return
    problems = shared_state_problems(settings)
    if problems:
        raise WorkersRefused(count, problems)
    _serve_workers(settings, host=host, port=port, workers=count)


def _serve_workers(settings: Settings, *, host: str, port: int, workers: int) -> None:
    import uvicorn
    from uvicorn.config import STARTUP_FAILURE
    from uvicorn.supervisors import Multiprocess

    from app.runtime.logs import configure_logging

    configure_logging(settings.log_level, json_lines=settings.log_json)  # the supervisor's own lines
    with _metrics_dir(settings.prometheus_multiproc_dir) as metrics_dir:
        # Passed on to the workers (spawned: they inherit this environment): prometheus_client picks its
        # multiprocess mode at import, and each worker's settings read the folder back.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
        config = uvicorn.Config(
            APP_FACTORY,
            factory=True,
            host=host,
            port=port,
            workers=workers,
            timeout_worker_healthcheck=WORKER_HEALTHCHECK_S,
            **uvicorn_options(settings),
        )
        supervisor = Multiprocess(config, sockets=[config.bind_socket()])
        logger.info("serving on %s:%d with %d worker processes", host, port, workers)
        supervisor.run()
    if any(p.exitcode == STARTUP_FAILURE for p in supervisor.processes):
        logger.error("a worker failed to start; see its log lines above")
        sys.exit(STARTUP_FAILURE)


@contextlib.contextmanager
def _metrics_dir(given: Path | None) -> Iterator[Path]:
    """The multiprocess metrics folder, emptied first (values left by an earlier run would be added in);
    a temporary one, removed at the end, unless ``PROMETHEUS_MULTIPROC_DIR`` names one."""
    if given is not None:
        given.mkdir(parents=True, exist_ok=True)
        for old in given.glob("*.db"):
            old.unlink()
        yield given
        return
    made = Path(tempfile.mkdtemp(prefix="kefu-metrics-"))
    try:
        yield made
    finally:
        shutil.rmtree(made, ignore_errors=True)
