"""Erasure of one customer, on the embedded stack (SQLite + in-process dialog store, vault and answer
cache): seeded with every PII type through the real widget API, erased through the admin API, then every
table, the in-process hot copies, the answer cache and every file under the data folder are searched for
anything of that customer. Everybody else's data is intact. Held customers are refused with the reason;
an interrupted erasure resumes; a repeat is harmless; an export restores the customer's values."""

from __future__ import annotations

import httpx
import pytest

from app.compliance import dsr
from app.container import Container
from app.kb.versions import SYSTEM
from llm_backend.config import SemanticCacheConfig
from llm_backend.semantic_cache import SemanticAnswerCache
from retrieval.testing import HashEmbedder
from tests.unit.app.compliance.world import Customer, hits, scan_files, scan_sql, seed_world
from tests.unit.app.helpers import Tenant, login

SEED_WITH_TWO = 9


@pytest.fixture
def cache(container: Container) -> SemanticAnswerCache:
    container.answer_cache = SemanticAnswerCache(HashEmbedder().embed_queries, SemanticCacheConfig())
    return container.answer_cache


async def assert_intact(client: httpx.AsyncClient, container: Container, person: Customer) -> None:
    """The customer's transcript still shows their own values (restored from their vault)."""
    for cid in person.conversations:
        r = await client.get(f"/api/v1/chat/conversations/{cid}/messages", headers=person.headers[cid])
        assert r.status_code == 200, r.text
        text = " ".join(m["text"] for m in r.json()["messages"])
        for value in person.values.values():
            assert value in text
        assert (await container.vaults.load(cid)).by_placeholder
        assert (await container.dialog_store.load(cid)).version > 0


async def assert_gone(
    container: Container, person: Customer, cache: SemanticAnswerCache, tenant: Tenant
) -> None:
    sql = await scan_sql(container)
    assert hits(sql, person.secrets) == []
    # the SQLite files themselves (secure_delete, WAL checkpointed), the index and cache folders, uploads
    files = scan_files(container.settings.data_dir)
    assert hits(files, person.secrets) == []
    for cid in person.conversations:
        assert not (await container.vaults.load(cid)).by_placeholder
        assert (await container.dialog_store.load(cid)).version == 0
    assert not cache.origins(tenant.id) & set(person.conversations)


@pytest.mark.parametrize("seed", [1, 2])
async def test_erasing_a_customer_leaves_nothing_of_them_and_everybody_else_intact(
    client: httpx.AsyncClient, container: Container, tenant: Tenant, cache: SemanticAnswerCache, seed: int
) -> None:
    people = await seed_world(client, container, tenant, seed=seed)
    target, others = people[0], people[1:]
    # the test can fail: before the erasure the customer is everywhere it looks
    assert {what for _, what in hits(await scan_sql(container), target.secrets)} >= {
        target.customer_id,
        *target.tags,
        *target.conversations,
    }
    assert cache.origins(tenant.id) & set(target.conversations)
    admin = await login(client, tenant.admin_email)

    r = await client.post(
        "/api/v1/admin/compliance/dsr/erase", json={"customer_id": target.customer_id}, headers=admin
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "done"
    assert body["conversations"] == len(target.conversations)
    assert body["counts"]["messages"] > 0
    assert body["counts"]["dialog_events"] > 0
    assert body["counts"]["vaults"] == len(target.conversations)

    await _checkpoint(container)
    await assert_gone(container, target, cache, tenant)
    for person in others:
        await assert_intact(client, container, person)
    # the widget's own token no longer opens the conversation
    cid = target.conversations[0]
    r = await client.get(f"/api/v1/chat/conversations/{cid}/messages", headers=target.headers[cid])
    assert r.status_code == 404
    # erasing again is harmless and says there was nothing left
    again = await client.post(
        "/api/v1/admin/compliance/dsr/erase", json={"customer_id": target.customer_id}, headers=admin
    )
    assert again.status_code == 200
    assert again.json()["conversations"] == 0
    audit = (await client.get("/api/v1/admin/audit?action=dsr.erase", headers=admin)).json()["items"]
    assert len(audit) == 2
    assert audit[-1]["data"]["conversations"] == len(target.conversations)
    assert target.customer_id not in str(audit)


async def test_a_legal_hold_refuses_erasure_with_its_reason_until_released(
    client: httpx.AsyncClient, container: Container, tenant: Tenant, cache: SemanticAnswerCache
) -> None:
    people = await seed_world(client, container, tenant, seed=5, customers=2)
    a, b = people[0], people[1]
    admin = await login(client, tenant.admin_email)
    on_customer = await client.post(
        "/api/v1/admin/compliance/holds",
        json={"customer_id": a.customer_id, "reason": "court order 2026-117"},
        headers=admin,
    )
    assert on_customer.status_code == 201, on_customer.text
    on_conv = await client.post(
        "/api/v1/admin/compliance/holds",
        json={"conversation_id": b.conversations[0], "reason": "complaint 88 under review"},
        headers=admin,
    )
    assert on_conv.status_code == 201
    for subject, reason in (
        ({"customer_id": a.customer_id}, "court order 2026-117"),
        ({"conversation_id": a.conversations[0]}, "court order 2026-117"),
        ({"customer_id": b.customer_id}, "complaint 88 under review"),
    ):
        r = await client.post("/api/v1/admin/compliance/dsr/erase", json=subject, headers=admin)
        assert r.status_code == 409, r.text
        assert r.json()["error_code"] == "legal_hold_active"
        assert reason in r.json()["detail"]
    await assert_intact(client, container, a)
    await assert_intact(client, container, b)
    # bad requests are refused whole
    for bad in ({}, {"customer_id": "x", "conversation_id": "y"}, {"conversation_id": "nope"}):
        r = await client.post("/api/v1/admin/compliance/dsr/erase", json=bad, headers=admin)
        assert r.status_code in (404, 422), r.text
    r = await client.post("/api/v1/admin/compliance/holds", json={"reason": "none"}, headers=admin)
    assert r.json()["error_code"] == "validation_error"
    # an export is allowed under a hold and restores the customer's own values
    r = await client.post(
        "/api/v1/admin/compliance/dsr/export", json={"customer_id": a.customer_id}, headers=admin
    )
    assert r.status_code == 200
    doc = r.json()
    assert doc["format"] == "kefu.dsr-export/1"
    assert [c["id"] for c in doc["conversations"]] == a.conversations
    text = str(doc)
    for value in a.values.values():
        assert value in text
    for other in b.values.values():
        assert other not in text
    assert doc["conversations"][0]["feedback"]
    assert doc["conversations"][0]["actions"]

    released = await client.post(
        f"/api/v1/admin/compliance/holds/{on_customer.json()['id']}/release", headers=admin
    )
    assert released.status_code == 200
    assert released.json()["released_at"]
    r = await client.post(
        "/api/v1/admin/compliance/dsr/erase", json={"customer_id": a.customer_id}, headers=admin
    )
    assert r.status_code == 200
    await _checkpoint(container)
    await assert_gone(container, a, cache, tenant)
    await assert_intact(client, container, b)
    actions = [e["action"] for e in (await client.get("/api/v1/admin/audit", headers=admin)).json()["items"]]
    assert {"legal_hold.place", "legal_hold.release", "dsr.export", "dsr.erase", "dsr.erase_refused"} <= set(
        actions
    )


async def test_an_interrupted_erasure_resumes_where_it_stopped(
    client: httpx.AsyncClient, container: Container, tenant: Tenant, cache: SemanticAnswerCache
) -> None:
    people = await seed_world(client, container, tenant, seed=SEED_WITH_TWO, customers=1)
    target = people[0]
    assert len(target.conversations) == 2  # so there is a "half way"
    container.settings = container.settings.model_copy(
        update={"compliance": container.settings.compliance.model_copy(update={"batch_size": 1})}
    )
    subject = dsr.Subject(customer_id=target.customer_id)
    first = await dsr.erase(
        container, tenant_id=tenant.id, subject=subject, actor=SYSTEM, stop_after_batches=1
    )
    assert first.status == "running"
    assert first.conversations == 1
    resumed = await dsr.erase(container, tenant_id=tenant.id, subject=subject, actor=SYSTEM)
    assert resumed.request_id == first.request_id
    assert resumed.resumed
    assert resumed.status == "done"
    assert resumed.conversations == len(target.conversations)
    await _checkpoint(container)
    await assert_gone(container, target, cache, tenant)


async def _checkpoint(container: Container) -> None:
    """SQLite keeps recent pages in its write-ahead log until a checkpoint; the scan reads the files."""
    from sqlalchemy import text

    async with container.engine.connect() as conn:
        await conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
