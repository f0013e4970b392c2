"""The arq worker, for the test that kills it (SIGKILL) half-way through an ingestion job.

Everything is what ``kefu worker`` runs (arq's ``Worker`` with ``app.worker.WorkerSettings`` and
``worker_options``: the app's job functions, queue, shutdown grace; the real PostgreSQL and Redis; the
FAISS + BM25 index store; the tenant's Redis KB lock; the recovery sweep of ``app.wiring.start_recovery``)
except the models: the embedder is the model-free ``HashEmbedder`` slowed to ``--batch-delay`` seconds a
batch, so there is time to kill the process while it embeds, and the PII masker is the regex fake.

Settings: ``tests.reliability.conftest.make_settings(--workdir, **<workdir>/settings.json)``.

Run: ``python -m tests.reliability.worker_victim --workdir D [--batch-delay S]``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from app.container import Container
from app.settings import Settings
from tests.reliability.conftest import make_settings


def worker_settings(workdir: Path) -> Settings:
    return make_settings(workdir, **json.loads((workdir / "settings.json").read_text()))


async def worker_container(settings: Settings, delay_s: float) -> Container:
    """The worker's container on the real PostgreSQL and Redis, with the slowed embedder."""
    from app.db.engine import create_engine, session_factory
    from app.kb.knowledge import IndexedKnowledgeBases
    from app.runtime.jobs import ArqJobQueue, queue_name
    from app.runtime.redis_client import command_client
    from app.worker import JOB_FUNCTIONS
    from retrieval.index.store import IndexStore
    from tests.reliability.ingest_victim import SlowEmbedder
    from tests.unit.app.helpers import fake_container

    assert settings.redis_url
    engine = create_engine(settings.sqlalchemy_url)
    container = fake_container(settings, engine, session_factory(engine))
    embedder = SlowEmbedder(delay_s)
    store = IndexStore(settings.data_dir / "indexes", embedder, settings.retrieval)
    store.warm_up()
    container.embedder = embedder
    container.index_store = store
    container.knowledge = IndexedKnowledgeBases(container.sessions, store)
    container.redis = command_client(settings.redis_url, settings.redis)
    container.jobs = await ArqJobQueue.create(
        settings.redis_url, queue_name(settings.redis_namespace), JOB_FUNCTIONS
    )
    container.closers.extend([engine.dispose, container.redis.aclose, container.jobs.aclose])
    return container


def main(workdir: Path, delay_s: float) -> None:
    from arq.worker import run_worker

    from app.wiring import start_recovery
    from app.worker import WorkerSettings, worker_options

    settings = worker_settings(workdir)

    async def startup(ctx: dict[str, Any]) -> None:
        ctx["container"] = container = await worker_container(settings, delay_s)
        await start_recovery(container, role="worker")
        print("WORKER READY", flush=True)

    run_worker(WorkerSettings, **{**worker_options(settings), "on_startup": startup})  # type: ignore[arg-type]


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--workdir", type=Path, required=True)
    p.add_argument("--batch-delay", type=float, default=0.0)
    a = p.parse_args()
    main(a.workdir, a.batch_delay)
