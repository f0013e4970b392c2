"""``kefu worker``: run the arq worker that executes background jobs (needs REDIS_URL)."""

from __future__ import annotations

import typer

from app.cli import Clis


def register(cli: Clis) -> None:
    @cli.root.command()
    def worker() -> None:
        """Run background jobs (knowledge-base ingestion) from the Redis queue."""
        from arq.worker import run_worker

        from app.settings import get_settings
        from app.worker import WorkerSettings, worker_options

        settings = get_settings()
        if not settings.redis_url:
            raise typer.BadParameter("the worker needs REDIS_URL; without Redis, jobs run inside the app")
        run_worker(WorkerSettings, **worker_options(settings))  # type: ignore[arg-type]
