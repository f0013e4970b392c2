"""The retention purge on the embedded stack, with time moved forward (time-machine): after the vault
period the customers' values and hot state are gone but the masked transcripts stay; after the transcript
period nothing of an expired conversation is left in any table, hot store, the answer cache or the data
folder. Held conversations (by conversation, by customer) survive both untouched. Each run writes its
report to the audit log; the in-process schedule runs it on its own."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
import time_machine
from sqlalchemy import select

from app.compliance.purge import run_purge
from app.compliance.schedule import start_purge_scheduler
from app.container import Container
from app.db import crud_audit
from app.db.base import utcnow
from app.db.models import AuditEvent, Document, IngestionJob, KbCollection
from llm_backend.config import SemanticCacheConfig
from llm_backend.semantic_cache import SemanticAnswerCache
from retrieval.testing import HashEmbedder
from tests.unit.app.compliance.world import hits, scan_files, scan_sql, seed_world
from tests.unit.app.helpers import Tenant, login


@pytest.fixture
def cache(container: Container) -> SemanticAnswerCache:
    container.answer_cache = SemanticAnswerCache(HashEmbedder().embed_queries, SemanticCacheConfig())
    return container.answer_cache


async def _old_kb_records(container: Container, tenant: Tenant, secret: str) -> None:
    """A removed document whose original bytes are still stored, a finished job, a leftover upload."""
    async with container.sessions() as s:
        col = KbCollection(tenant_id=tenant.id, name="default")
        s.add(col)
        await s.flush()
        s.add(
            Document(
                tenant_id=tenant.id, collection_id=col.id, source="old.txt", content_hash="0" * 64,
                status="deleted", raw=secret.encode(),
            )
        )  # fmt: skip
        s.add(IngestionJob(tenant_id=tenant.id, status="succeeded"))
        await s.commit()
    leftover = container.settings.data_dir / "uploads" / "abandoned"
    leftover.mkdir(parents=True)
    (leftover / "part-0").write_text(secret)


async def test_purge_with_time_moved_forward_keeps_only_held_conversations(
    client: httpx.AsyncClient, container: Container, tenant: Tenant, cache: SemanticAnswerCache
) -> None:
    people = await seed_world(client, container, tenant, seed=3, customers=3)
    a, b = people[0], people[1]
    gone = people[2:]  # a third customer and the anonymous one: nothing held
    assert len(a.conversations) == 2  # seed 3: one held, one not
    admin = await login(client, tenant.admin_email)
    for body in (
        {"conversation_id": a.conversations[0], "reason": "dispute 12"},
        {"customer_id": b.customer_id, "reason": "regulator inquiry"},
    ):
        r = await client.post("/api/v1/admin/compliance/holds", json=body, headers=admin)
        assert r.status_code == 201, r.text
    await _old_kb_records(container, tenant, "ORIGINAL-BYTES-OF-A-REMOVED-DOCUMENT")
    held = [a.conversations[0], *b.conversations]
    free = [a.conversations[1]] + [c for p in gone for c in p.conversations]
    assert cache.origins(tenant.id) & {a.conversations[0]}

    # day 10: past the vault period (7 days), within the transcripts' (180)
    with time_machine.travel(utcnow() + timedelta(days=10), tick=True):
        [report] = await run_purge(container)
    assert report.counts["vaults"] == len(free)
    assert report.counts.get("conversations", 0) == 0
    for cid in free:
        assert not (await container.vaults.load(cid)).by_placeholder
        assert (await container.dialog_store.load(cid)).version == 0
    for cid in held:
        assert (await container.vaults.load(cid)).by_placeholder
        assert (await container.dialog_store.load(cid)).version > 0
    sql = await scan_sql(container)
    assert {t for p in gone for t in p.tags} <= {
        what for _, what in hits(sql, [t for p in gone for t in p.tags])
    }

    # day 200: past every period but audit's
    with time_machine.travel(utcnow() + timedelta(days=200), tick=True):
        [report] = await run_purge(container)
    assert report.counts["conversations"] == len(free)
    assert report.counts["uploaded_originals"] == 1
    assert report.counts["job_records"] == 1
    await _checkpoint(container)
    sql, files = await scan_sql(container), scan_files(container.settings.data_dir)
    # audit events have their own period (5 years): they still name the conversations they were about,
    # with counts, never the customer's values, text or id
    audit = {"audit_events": sql.pop("audit_events")}
    for person in gone:
        data = [*person.values.values(), *person.tags, *filter(None, [person.customer_id])]
        assert hits(sql, person.secrets) == []
        assert hits(audit, data) == []
        assert hits(files, data) == []
    assert hits(sql, [a.conversations[1], a.tags[1]]) == []
    assert hits(files, [a.tags[1]]) == []
    assert hits({**sql, **files}, ["ORIGINAL-BYTES-OF-A-REMOVED-DOCUMENT"]) == []
    assert not cache.origins(tenant.id) & set(free)
    # held: the rows, the vault and the hot state as they were, the customer's values restorable
    for person, cids in ((a, [a.conversations[0]]), (b, b.conversations)):
        for cid in cids:
            r = await client.get(f"/api/v1/chat/conversations/{cid}/messages", headers=person.headers[cid])
            assert r.status_code in (200, 404)  # the widget token itself lapses with time; read as staff:
            export = await client.post(
                "/api/v1/admin/compliance/dsr/export", json={"conversation_id": cid}, headers=admin
            )
            assert export.status_code == 200, export.text
            text = str(export.json())
            assert all(v in text for v in person.values.values())
    # the reports are in the audit log: counts and time, never text
    async with container.sessions() as s:
        rows = (
            (await s.execute(select(AuditEvent).where(AuditEvent.action == "retention.purge")))
            .scalars()
            .all()
        )
    assert len(rows) == 2
    assert rows[-1].data["counts"]["conversations"] == len(free)
    assert rows[-1].data["seconds"] >= 0
    assert hits({"audit": str([r.data for r in rows])}, [s for p in people for s in p.values.values()]) == []


async def test_policy_is_per_tenant_validated_and_audited(
    client: httpx.AsyncClient, container: Container, tenant: Tenant
) -> None:
    admin = await login(client, tenant.admin_email)
    r = await client.get("/api/v1/admin/compliance/retention", headers=admin)
    assert r.json()["policy"]["vault_days"] == 7
    assert r.json()["policy"]["audit_days"] == 1825
    bad = {**r.json()["policy"], "vault_days": 400}
    r = await client.put("/api/v1/admin/compliance/retention", json=bad, headers=admin)
    assert r.status_code == 422
    assert r.json()["error_code"] == "validation_error"
    good = {**bad, "vault_days": 3, "transcripts_days": 30, "feedback_days": 30, "handoff_packages_days": 30}
    r = await client.put("/api/v1/admin/compliance/retention", json=good, headers=admin)
    assert r.status_code == 200
    assert r.json()["policy"]["transcripts_days"] == 30
    assert (await client.get("/api/v1/admin/compliance/retention", headers=admin)).json()["policy"] == good
    agent = await login(client, tenant.agent_email)
    assert (
        await client.put("/api/v1/admin/compliance/retention", json=good, headers=agent)
    ).status_code == 403
    async with container.sessions() as s:
        [event] = await crud_audit.list_events(s, tenant_id=tenant.id, action="retention.update")
    assert event.data["before"]["transcripts_days"] == 180
    assert event.data["after"]["transcripts_days"] == 30


async def test_the_in_process_schedule_runs_the_purge(container: Container, tenant: Tenant) -> None:
    compliance = container.settings.compliance.model_copy(update={"purge_interval_s": 0.05})
    container.settings = container.settings.model_copy(update={"compliance": compliance})
    start_purge_scheduler(container, role="app")
    try:
        for _ in range(100):
            async with container.sessions() as s:
                if await crud_audit.list_events(s, tenant_id=tenant.id, action="retention.purge"):
                    break
            await asyncio.sleep(0.05)
        else:
            pytest.fail("no scheduled purge within 5 s")
    finally:
        await container.aclose()
    start_purge_scheduler(container, role="worker")  # the worker's purge is arq's cron job
    assert not container.closers


async def _checkpoint(container: Container) -> None:
    from sqlalchemy import text

    async with container.engine.connect() as conn:
        await conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
