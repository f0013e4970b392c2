"""A process that runs a real ingestion job, for the test that kills it (SIGKILL) half-way.

The code path is the app's own (``kb_ingest.store_files`` + ``run_ingestion_job``: parsing, PII scan,
chunking, the FAISS + BM25 index store, the per-tenant lock, publish); only the embedding model is the
model-free ``HashEmbedder``, slowed to ``--batch-delay`` seconds a batch so there is time to kill the
process while it embeds. The database is SQLite under ``--workdir``, already migrated and seeded by the
test (the tenant in ``<workdir>/tenant.json``).

Run: ``python -m tests.reliability.ingest_victim --workdir D [--docs N] [--batch-delay S]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Sequence
from pathlib import Path

from app.container import Container
from app.db.engine import create_engine, session_factory
from app.kb import ingest as kb_ingest
from app.kb.knowledge import IndexedKnowledgeBases
from retrieval.index.store import IndexStore
from retrieval.protocols import Vectors
from retrieval.testing import HashEmbedder
from tests.reliability.conftest import make_settings
from tests.unit.app.helpers import Tenant, fake_container


class SlowEmbedder(HashEmbedder):
    def __init__(self, delay_s: float) -> None:
        super().__init__()
        self.delay_s = delay_s

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        time.sleep(self.delay_s)
        return super().embed_passages(texts)


def documents(n: int, prefix: str) -> list[kb_ingest.IngestFile]:
    body = "Branches open at 9:00 on weekdays. Card fees are listed in the tariff. " * 20
    return [
        kb_ingest.IngestFile(f"{prefix}-{i:03d}.md", f"# {prefix} {i}\n\n{body}\n\nItem {i}.".encode())
        for i in range(n)
    ]


def kb_container(workdir: Path, delay_s: float) -> Container:
    settings = make_settings(workdir)
    engine = create_engine(settings.sqlalchemy_url)
    container = fake_container(settings, engine, session_factory(engine))
    embedder = SlowEmbedder(delay_s)
    store = IndexStore(workdir / "indexes", embedder, settings.retrieval)
    store.warm_up()
    container.embedder = embedder
    container.index_store = store
    container.knowledge = IndexedKnowledgeBases(container.sessions, store)
    return container


async def main(workdir: Path, docs: int, delay_s: float) -> None:
    container = kb_container(workdir, delay_s)
    try:
        tenant = Tenant(**json.loads((workdir / "tenant.json").read_text()))
        files = documents(docs, "second")
        job_id, _ = await kb_ingest.store_files(container, tenant_id=tenant.id, files=files)
        print(f"JOB {job_id}", flush=True)
        result = await kb_ingest.run_ingestion_job(
            container, tenant_id=tenant.id, job_id=job_id, publish=True
        )
        print(f"DONE {json.dumps(result, default=str)}", flush=True)
    finally:
        await container.engine.dispose()


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--workdir", type=Path, required=True)
    p.add_argument("--docs", type=int, default=40)
    p.add_argument("--batch-delay", type=float, default=0.0)
    a = p.parse_args()
    asyncio.run(main(a.workdir, a.docs, a.batch_delay))
