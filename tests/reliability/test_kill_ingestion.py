"""The process running an ingestion job is killed (SIGKILL) while it embeds: at the next start the job is
marked failed (``interrupted``) with its documents, the knowledge base's active version is the one it was
(its files intact: every file's sha256 matches the manifest), no half-built version is visible, the
knowledge-base lock died with the process, and the next ingestion publishes normally.

The victim is ``tests.reliability.ingest_victim``: the app's real ingestion code in a child process, on
a slowed model-free embedder (the only fake), so the kill lands mid-embedding."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import signal
import sys
import time
from pathlib import Path

from app.db import crud_kb
from app.db.migrate import upgrade
from app.kb import ingest as kb_ingest
from app.kb.job_recovery import INTERRUPTED, recover_interrupted_jobs
from bench.load.procs import Proc
from tests.reliability.conftest import make_settings
from tests.reliability.ingest_victim import documents, kb_container
from tests.unit.app.helpers import seed_tenant


def victim(workdir: Path, log: str, *args: str) -> Proc:
    argv = [sys.executable, "-m", "tests.reliability.ingest_victim", "--workdir", str(workdir), *args]
    return Proc(argv, workdir / log).start()


async def job_stage(container, tenant_id: str, job_id: str) -> str:  # type: ignore[no-untyped-def]
    async with container.sessions() as s:
        job = await crud_kb.get_job(s, tenant_id=tenant_id, job_id=job_id)
    return f"{job.status}/{job.stage}" if job else "missing"


async def test_sigkill_mid_ingestion_leaves_the_active_version_intact(tmp_path: Path) -> None:
    await asyncio.to_thread(upgrade, make_settings(tmp_path).sqlalchemy_url)
    container = kb_container(tmp_path, 0.0)
    container.settings = container.settings.model_copy(update={"jobs_stale_after_s": 0.0})
    try:
        tenant = await seed_tenant(container, "harbor")
        (tmp_path / "tenant.json").write_text(json.dumps(dataclasses.asdict(tenant)))
        tenant_id = tenant.id
        first, _ = await kb_ingest.store_files(container, tenant_id=tenant_id, files=documents(3, "first"))
        await kb_ingest.run_ingestion_job(container, tenant_id=tenant_id, job_id=first, publish=True)
        async with container.sessions() as s:
            before = await crud_kb.get_active_version(s, tenant_id=tenant_id)
        assert before is not None
        kb_dir = tmp_path / "indexes"
        files_before = sorted(p.relative_to(kb_dir) for p in kb_dir.rglob("*") if p.is_file())

        proc = victim(tmp_path, "victim.log", "--docs", "40", "--batch-delay", "1.0")
        job_id = ""
        deadline = time.monotonic() + 300  # parsing 40 documents (PII scan included) took > 90 s at load 12
        while time.monotonic() < deadline:
            line = next((x for x in proc.tail().splitlines() if x.startswith("JOB ")), "")
            job_id = line.removeprefix("JOB ").strip()
            if job_id and (await job_stage(container, tenant_id, job_id)).endswith("/embedding"):
                break
            assert proc.alive(), proc.tail()
            await asyncio.sleep(0.1)
        assert job_id, proc.tail()
        assert await job_stage(container, tenant_id, job_id) == "running/embedding"
        proc.signal(signal.SIGKILL)
        assert proc.popen is not None
        assert proc.popen.wait(10) == -signal.SIGKILL
        assert "DONE" not in proc.tail()

        # the next start: recovery marks the abandoned job failed, with its documents
        assert await recover_interrupted_jobs(container, in_process_queue=True) == [job_id]
        async with container.sessions() as s:
            job = await crud_kb.get_job(s, tenant_id=tenant_id, job_id=job_id)
            after = await crud_kb.get_active_version(s, tenant_id=tenant_id)
            docs = await crud_kb.list_documents(s, tenant_id=tenant_id)
        assert job is not None
        assert (job.status, job.error_code) == ("failed", INTERRUPTED)
        assert not [d for d in docs if d.status in kb_ingest.IN_FLIGHT]  # none left "embedding" forever
        assert after is not None
        assert after.id == before.id  # the active version did not move

        # the active index opens (manifest sha256 verified) and answers; nothing half-built is visible
        files_after = sorted(p.relative_to(kb_dir) for p in kb_dir.rglob("*") if p.is_file())
        assert files_after == files_before
        kb = await container.knowledge.active(tenant_id)
        assert kb is not None

        # the lock died with the process: the next ingestion runs and publishes
        next_job, _ = await kb_ingest.store_files(container, tenant_id=tenant_id, files=documents(2, "third"))
        result = await kb_ingest.run_ingestion_job(
            container, tenant_id=tenant_id, job_id=next_job, publish=True
        )
        assert result["indexed"] == 2
        async with container.sessions() as s:
            newest = await crud_kb.get_active_version(s, tenant_id=tenant_id)
        assert newest is not None
        assert newest.id != before.id
    finally:
        await container.engine.dispose()
