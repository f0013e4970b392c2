"""The arq worker (production: PostgreSQL + Redis) is killed while it embeds an ingestion job.

The worker is a real process (``tests.reliability.worker_victim``: ``kefu worker``'s arq ``Worker`` and
job functions on the real PostgreSQL and Redis; only the models are fakes, the embedder slowed so the kill
lands mid-embedding). The job is enqueued by the admin console's own service code (``kb_ingest.store_files``
+ ``kb_admin.start_job``). After the SIGKILL a fresh worker is started, and nothing else is called:

- the dead worker's job is failed (``interrupted``, the stage it died at in the detail) by the new
  worker's recovery sweep within the bound the settings give (stale time + sweep interval), never left
  ``running``; its documents too;
- arq delivering the same job again (it does once the dead worker's in-progress key expires: job timeout +
  10 s) does not run it again, and the job stays failed;
- the active version and its files (sha256 against the manifest) are intact; the draft the dead build left
  without an index is archived, not visible as an open draft;
- the tenant's Redis KB lock (a lease) is free again within the lease;
- a later upload is built by the new worker and publishes, without the interrupted documents.

A second test stops the worker with SIGTERM and no grace: the job is cancelled and failed ``interrupted``
at once, arq's immediate retry does not run it again, and the lock is released.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from arq.constants import in_progress_key_prefix
from arq.jobs import Job, JobStatus

from app.container import Container
from app.db import crud_kb, crud_kb_admin
from app.kb import admin as kb_admin
from app.kb import ingest as kb_ingest
from app.kb import versions as kb_versions
from app.kb.job_recovery import INTERRUPTED
from bench.load.procs import Proc
from tests.pg import fresh_database
from tests.reliability.ingest_victim import documents
from tests.reliability.worker_victim import worker_container, worker_settings
from tests.unit.app.helpers import seed_tenant

pytestmark = pytest.mark.integration

HEARTBEAT_S, STALE_S, SWEEP_S, LEASE_S = 0.5, 3.0, 1.0, 3.0


@pytest.fixture
def pg_database(service_urls: tuple[str, str]) -> Iterator[str]:
    """A fresh database on the DATABASE_URL server, migrated, dropped afterwards."""
    base = service_urls[0].replace("postgresql://", "postgresql+psycopg://", 1)
    with fresh_database(base, "kefu_kill", migrate=True) as url:
        yield url


def write_settings(workdir: Path, db: str, redis_url: str, ns: str, **extra: Any) -> None:
    overrides = {
        "database_url": db,
        "redis_url": redis_url,
        "redis_namespace": ns,
        "jobs_heartbeat_s": HEARTBEAT_S,
        "jobs_stale_after_s": STALE_S,
        "jobs_sweep_interval_s": SWEEP_S,
        "jobs_shutdown_grace_s": 0,
        "kb_lock_lease_s": LEASE_S,
        **extra,
    }
    (workdir / "settings.json").write_text(json.dumps(overrides))


def start_worker(workdir: Path, log: str, delay_s: float) -> Proc:
    argv = [sys.executable, "-m", "tests.reliability.worker_victim", "--workdir", str(workdir)]
    proc = Proc([*argv, "--batch-delay", str(delay_s)], workdir / log).start()
    proc.wait_for(lambda: "WORKER READY" in proc.tail(), timeout=120, what="worker start")
    return proc


async def job_row(container: Container, tenant_id: str, job_id: str) -> Any:
    async with container.sessions() as s:
        return await crud_kb.get_job(s, tenant_id=tenant_id, job_id=job_id)


async def wait_job(
    container: Container, tenant_id: str, job_id: str, ok: Any, *, within_s: float, proc: Proc
) -> Any:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        job = await job_row(container, tenant_id, job_id)
        if job is not None and ok(job):
            return job
        await asyncio.sleep(0.1)
    raise AssertionError(f"job {job_id} is {job and (job.status, job.stage)}\n{proc.tail()}")


async def enqueue_upload(container: Container, tenant_id: str, n: int, prefix: str) -> tuple[str, str]:
    """An upload as the admin console does it; returns (ingestion job id, arq job id)."""
    before = set(await container.redis.zrange(_queue(container), 0, -1))
    job_id, _ = await kb_ingest.store_files(container, tenant_id=tenant_id, files=documents(n, prefix))
    await kb_admin.start_job(container, tenant_id, job_id)
    after = set(await container.redis.zrange(_queue(container), 0, -1))
    (arq_id,) = after - before
    return job_id, arq_id.decode()


async def arq_result(container: Container, arq_id: str) -> Any:
    """arq's result of the job, once a worker has finished it (30 s at most)."""
    job = Job(arq_id, container.jobs._pool, _queue_name=_queue(container))  # type: ignore[attr-defined]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if await job.status() == JobStatus.complete:
            return await job.result_info()
        await asyncio.sleep(0.1)
    return None


def _queue(container: Container) -> str:
    return f"{container.settings.redis_namespace}:jobs"


def lock_key(container: Container, tenant_id: str) -> str:
    return f"{container.settings.redis_namespace}:kb-lock:{tenant_id}"


def active_files_intact(kb_dir: Path, tenant_id: str, label: str) -> None:
    (version_dir,) = [d for d in kb_dir.rglob(label) if d.is_dir() and (d / "manifest.json").is_file()]
    manifest = json.loads((version_dir / "manifest.json").read_text())
    assert manifest["files"]
    for rel, digest in manifest["files"].items():
        assert hashlib.sha256((version_dir / rel).read_bytes()).hexdigest() == digest, rel


async def setup_tenant(container: Container) -> tuple[str, Any]:
    tenant = await seed_tenant(container, "harbor")
    first, _ = await kb_ingest.store_files(container, tenant_id=tenant.id, files=documents(3, "first"))
    await kb_ingest.run_ingestion_job(container, tenant_id=tenant.id, job_id=first, publish=True)
    async with container.sessions() as s:
        active = await crud_kb.get_active_version(s, tenant_id=tenant.id)
    assert active is not None
    return tenant.id, active


async def kill_mid_embedding(container: Container, tenant_id: str, proc: Proc) -> tuple[str, str]:
    job_id, arq_id = await enqueue_upload(container, tenant_id, 40, "second")
    await wait_job(
        container, tenant_id, job_id, lambda j: (j.status, j.stage) == ("running", "embedding"),
        within_s=90, proc=proc,
    )  # fmt: skip
    assert await container.redis.exists(lock_key(container, tenant_id))  # the build holds the lock
    deadline = time.monotonic() + 30
    while not await unbuilt_drafts(container, tenant_id):  # its draft is created, the index not yet
        assert time.monotonic() < deadline, proc.tail()
        await asyncio.sleep(0.05)
    assert (await job_row(container, tenant_id, job_id)).stage == "embedding"
    return job_id, arq_id


async def unbuilt_drafts(container: Container, tenant_id: str) -> list[str]:
    async with container.sessions() as s:
        versions = await crud_kb.list_versions(s, tenant_id=tenant_id)
    return [v.label for v in versions if v.status == "draft" and v.chunk_count == 0]


async def test_sigkill_worker_mid_embedding(
    tmp_path: Path, pg_database: str, redis_namespace: str, service_urls: tuple[str, str]
) -> None:
    write_settings(tmp_path, pg_database, service_urls[1], redis_namespace)
    container = await worker_container(worker_settings(tmp_path), 0.0)  # the app's side
    victim: Proc | None = None
    worker: Proc | None = None
    try:
        tenant_id, before = await setup_tenant(container)
        victim = start_worker(tmp_path, "victim.log", 1.0)
        job_id, arq_id = await kill_mid_embedding(container, tenant_id, victim)

        victim.signal(signal.SIGKILL)
        assert victim.popen is not None
        assert victim.popen.wait(10) == -signal.SIGKILL
        killed_at = time.monotonic()
        assert (await job_row(container, tenant_id, job_id)).status == "running"  # nobody has noticed yet

        # a fresh worker: its sweep fails the dead worker's job within stale time + sweep interval
        worker = start_worker(tmp_path, "worker.log", 0.0)
        job = await wait_job(
            container, tenant_id, job_id, lambda j: j.status != "running", within_s=60, proc=worker
        )
        waited = time.monotonic() - killed_at
        assert (job.status, job.stage, job.error_code) == ("failed", "failed", INTERRUPTED)
        assert "stopped at stage embedding" in (job.error_detail or "")
        assert waited < STALE_S + SWEEP_S + 30  # + the worker's start-up on a busy 2-vCPU machine
        async with container.sessions() as s:
            docs = await crud_kb_admin.job_documents(s, tenant_id=tenant_id, job_id=job_id)
        assert len(docs) == 40
        assert {(d.status, d.error_code) for d in docs} == {("failed", INTERRUPTED)}

        # the lease of the dead holder's KB lock runs out; recovery then archives the half-built draft
        deadline = time.monotonic() + LEASE_S + SWEEP_S + 10
        while time.monotonic() < deadline:
            async with container.sessions() as s:
                drafts = [
                    v for v in await crud_kb.list_versions(s, tenant_id=tenant_id) if v.status == "draft"
                ]
            if not drafts and not await container.redis.exists(lock_key(container, tenant_id)):
                break
            await asyncio.sleep(0.2)
        assert not await container.redis.exists(lock_key(container, tenant_id))
        assert drafts == [], [(v.label, v.chunk_count) for v in drafts]

        # arq delivers the job again once the dead worker's in-progress key expires (job timeout + 10 s):
        # expire it now; the new worker takes the job, finds it failed, and does not run it again
        assert await container.redis.delete(in_progress_key_prefix + arq_id) == 1
        info = await arq_result(container, arq_id)
        assert info is not None, worker.tail()
        assert info.success
        assert info.result["skipped"] == "failed"
        assert (await job_row(container, tenant_id, job_id)).status == "failed"

        # the active version did not move and its files are whole
        async with container.sessions() as s:
            after = await crud_kb.get_active_version(s, tenant_id=tenant_id)
        assert after is not None
        assert after.id == before.id
        active_files_intact(tmp_path / "indexes", tenant_id, after.label)
        assert await container.knowledge.active(tenant_id) is not None

        # a later upload is built by the new worker, and publishes without the interrupted documents
        next_job, _ = await enqueue_upload(container, tenant_id, 2, "third")
        done = await wait_job(
            container, tenant_id, next_job, lambda j: j.status != "running" and j.stage == "done",
            within_s=60, proc=worker,
        )  # fmt: skip
        assert done.status == "succeeded", (done.error_code, done.error_detail)
        await kb_versions.publish(container, tenant_id=tenant_id)
        async with container.sessions() as s:
            newest = await crud_kb.get_active_version(s, tenant_id=tenant_id)
            assert newest is not None
            assert newest.id != before.id
            ids = set(await crud_kb.document_ids_of_version(s, version_id=newest.id))
            sources = {
                d.source
                for d in await crud_kb_admin.documents_by_ids(
                    s, tenant_id=tenant_id, document_ids=sorted(ids)
                )
            }
        assert sources == {f"first-{i:03d}.md" for i in range(3)} | {f"third-{i:03d}.md" for i in range(2)}
        active_files_intact(tmp_path / "indexes", tenant_id, newest.label)
    finally:
        for proc in (victim, worker):
            if proc is not None:
                proc.stop()
        await container.aclose()


async def test_sigterm_without_grace_fails_the_job_at_once(
    tmp_path: Path, pg_database: str, redis_namespace: str, service_urls: tuple[str, str]
) -> None:
    # no sweep and a long stale time: what happens here is the worker's own doing, not recovery's
    write_settings(
        tmp_path,
        pg_database,
        service_urls[1],
        redis_namespace,
        jobs_stale_after_s=600.0,
        jobs_sweep_interval_s=0,
    )
    container = await worker_container(worker_settings(tmp_path), 0.0)
    victim: Proc | None = None
    try:
        tenant_id, before = await setup_tenant(container)
        victim = start_worker(tmp_path, "victim.log", 1.0)
        job_id, arq_id = await kill_mid_embedding(container, tenant_id, victim)

        victim.signal(signal.SIGTERM)
        assert victim.popen is not None
        assert victim.popen.wait(30) == 0, victim.tail()
        job = await job_row(container, tenant_id, job_id)
        assert (job.status, job.error_code) == ("failed", INTERRUPTED), victim.tail()
        async with container.sessions() as s:
            docs = await crud_kb_admin.job_documents(s, tenant_id=tenant_id, job_id=job_id)
            drafts = [v for v in await crud_kb.list_versions(s, tenant_id=tenant_id) if v.status == "draft"]
            after = await crud_kb.get_active_version(s, tenant_id=tenant_id)
        assert {d.status for d in docs} == {"failed"}
        assert drafts == []  # the build's own failure path archived its draft
        assert after is not None
        assert after.id == before.id
        assert not await container.redis.exists(
            lock_key(container, tenant_id)
        )  # released, not left to expire

        # arq re-queued the cancelled job ("will be run again"): a worker takes it and leaves it failed
        assert await container.redis.zscore(_queue(container), arq_id) is not None
        victim = start_worker(tmp_path, "worker.log", 0.0)
        info = await arq_result(container, arq_id)
        assert info is not None, victim.tail()
        assert info.result["skipped"] == "failed"
        assert (await job_row(container, tenant_id, job_id)).status == "failed"
    finally:
        if victim is not None:
            victim.stop()
        await container.aclose()
