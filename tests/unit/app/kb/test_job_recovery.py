"""Liveness of ingestion jobs (``app.kb.job_recovery``): recovery never fails a job whose process is
alive, a job runs at most once, a process presumed dead stops before it publishes, a cancelled job fails
``interrupted`` with all its documents, and a draft whose build died is archived only when no build holds
the KB lock. SQLite, the real loaders and chunker; the index store is the seam's fake."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from pydantic import ValidationError

from app.container import Container
from app.db import crud_kb, crud_kb_admin
from app.kb import ingest as kb_ingest
from app.kb import job_recovery
from app.kb import versions as kb_versions
from app.kb.job_recovery import INTERRUPTED, JobAbandoned, recover_interrupted_jobs
from tests.unit.app.conftest import make_settings
from tests.unit.app.helpers import Tenant, seed_tenant, use_memory_index

DOC = b"# Hours\n\nBranches open 9:00-17:00 on weekdays.\n"


@pytest.fixture
def fast(container: Container) -> Container:
    """Heartbeat every 0.1 s, a job is stale after 0.5 s without one."""
    container.settings = container.settings.model_copy(
        update={"jobs_heartbeat_s": 0.1, "jobs_stale_after_s": 0.5}
    )
    use_memory_index(container)
    return container


@pytest.fixture
async def tenant(fast: Container) -> Tenant:
    return await seed_tenant(fast, "liveness")


async def stored(container: Container, tenant: Tenant, name: str = "hours.md") -> str:
    job_id, _ = await kb_ingest.store_files(
        container, tenant_id=tenant.id, files=[kb_ingest.IngestFile(name, DOC + name.encode())]
    )
    return job_id


async def status(container: Container, tenant: Tenant, job_id: str) -> tuple[str, str | None]:
    async with container.sessions() as s:
        job = await crud_kb.get_job(s, tenant_id=tenant.id, job_id=job_id)
    assert job is not None
    return job.status, job.error_code


async def test_a_live_job_waiting_for_the_kb_lock_is_not_taken_for_abandoned(
    fast: Container, tenant: Tenant
) -> None:
    job_id = await stored(fast, tenant)
    async with kb_versions.lock(fast, tenant.id):  # another change holds the tenant's lock
        task = asyncio.create_task(kb_ingest.run_ingestion_job(fast, tenant_id=tenant.id, job_id=job_id))
        await asyncio.sleep(1.5)  # 3 stale periods without progress: only the heartbeat moves the row
        assert await recover_interrupted_jobs(fast, in_process_queue=True) == []
        assert await status(fast, tenant, job_id) == ("running", None)
    result = await asyncio.wait_for(task, 30)
    assert result["indexed"] == 1
    assert result["published"] is True
    assert await status(fast, tenant, job_id) == ("succeeded", None)


async def test_a_job_without_heartbeat_is_recovered(fast: Container, tenant: Tenant) -> None:
    job_id = await stored(fast, tenant)
    async with fast.sessions() as s:
        await crud_kb.update_job(s, tenant_id=tenant.id, job_id=job_id, status="running", stage="embedding")
        await s.commit()
    await asyncio.sleep(0.6)
    assert await recover_interrupted_jobs(fast, in_process_queue=False) == [job_id]
    async with fast.sessions() as s:
        job = await crud_kb.get_job(s, tenant_id=tenant.id, job_id=job_id)
        docs = await crud_kb_admin.job_documents(s, tenant_id=tenant.id, job_id=job_id)
    assert job is not None
    assert (job.status, job.error_code) == ("failed", INTERRUPTED)
    assert "stopped at stage embedding" in (job.error_detail or "")
    assert {(d.status, d.error_code) for d in docs} == {("failed", INTERRUPTED)}
    assert await recover_interrupted_jobs(fast, in_process_queue=False) == []  # counted once


async def test_a_job_runs_at_most_once(fast: Container, tenant: Tenant) -> None:
    job_id = await stored(fast, tenant)
    first = await kb_ingest.run_ingestion_job(fast, tenant_id=tenant.id, job_id=job_id)
    again = await kb_ingest.run_ingestion_job(fast, tenant_id=tenant.id, job_id=job_id)
    assert first["indexed"] == 1
    assert "skipped" not in first
    assert again["skipped"] == "succeeded"
    assert again["indexed"] == 0
    # a job recovery failed stays failed when its queue delivers it again
    failed = await stored(fast, tenant, "other.md")
    async with fast.sessions() as s:
        await crud_kb.update_job(
            s, tenant_id=tenant.id, job_id=failed, status="failed", error_code=INTERRUPTED
        )
        await s.commit()
    late = await kb_ingest.run_ingestion_job(fast, tenant_id=tenant.id, job_id=failed)
    assert late["skipped"] == "failed"
    assert await status(fast, tenant, failed) == ("failed", INTERRUPTED)


async def test_a_process_presumed_dead_stops_before_it_publishes(
    fast: Container, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    job_id = await stored(fast, tenant)
    real_build = kb_versions.build_draft

    async def build_then_be_recovered(*args: object, **kwargs: object) -> kb_versions.DraftBuilt:
        built = await real_build(*args, **kwargs)  # type: ignore[arg-type]
        async with fast.sessions() as s:  # recovery ran while this process was out of touch
            await crud_kb.update_job(
                s, tenant_id=tenant.id, job_id=job_id, status="failed", error_code=INTERRUPTED
            )
            await s.commit()
        return built

    monkeypatch.setattr(kb_versions, "build_draft", build_then_be_recovered)
    with pytest.raises(JobAbandoned):
        await kb_ingest.run_ingestion_job(fast, tenant_id=tenant.id, job_id=job_id, publish=True)
    async with fast.sessions() as s:
        assert await crud_kb.get_active_version(s, tenant_id=tenant.id) is None  # never published
    assert await status(fast, tenant, job_id) == ("failed", INTERRUPTED)  # recovery's word stands


async def test_a_cancelled_job_fails_interrupted_with_every_document(
    fast: Container, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    job_id, _ = await kb_ingest.store_files(
        fast,
        tenant_id=tenant.id,
        files=[kb_ingest.IngestFile(f"d{i}.md", DOC + bytes([65 + i])) for i in range(3)],
    )
    started = asyncio.Event()
    real_prepare = kb_ingest._prepare

    async def slow_prepare(*args: object, **kwargs: object) -> object:
        started.set()
        await asyncio.sleep(30)
        return await real_prepare(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(kb_ingest, "_prepare", slow_prepare)
    task = asyncio.create_task(kb_ingest.run_ingestion_job(fast, tenant_id=tenant.id, job_id=job_id))
    await asyncio.wait_for(started.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await status(fast, tenant, job_id) == ("failed", INTERRUPTED)
    async with fast.sessions() as s:
        docs = await crud_kb_admin.job_documents(s, tenant_id=tenant.id, job_id=job_id)
    assert len(docs) == 3
    assert {d.status for d in docs} == {"failed"}


async def test_a_half_built_draft_is_archived_only_when_no_build_holds_the_lock(
    fast: Container, tenant: Tenant
) -> None:
    async with fast.sessions() as s:
        version = await crud_kb.create_version(
            s, tenant_id=tenant.id, document_ids=[], embedder="x", chunk_count=0
        )
        await s.commit()
    async with kb_versions.lock(fast, tenant.id):  # a live build
        assert await job_recovery.archive_unbuilt_drafts(fast, tenant.id) == 0
    await asyncio.sleep(0.6)
    await recover_interrupted_jobs(fast, in_process_queue=True)
    async with fast.sessions() as s:
        row = await crud_kb.get_version(s, tenant_id=tenant.id, version_id=version.id)
        assert row is not None
        assert row.status == "archived"
        assert await crud_kb_admin.get_open_draft(s, tenant_id=tenant.id) is None


def test_the_stale_time_spans_three_heartbeats(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="at least 3 x JOBS_HEARTBEAT_S"):
        make_settings(tmp_path, jobs_heartbeat_s=30.0, jobs_stale_after_s=60.0)
    assert make_settings(tmp_path, jobs_heartbeat_s=20.0, jobs_stale_after_s=60.0).jobs_stale_after_s == 60.0
