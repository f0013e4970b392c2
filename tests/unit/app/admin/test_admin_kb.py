"""The admin knowledge-base API: uploads become a draft (nothing goes live before publish), progress per
file, the document list, delete and re-index, publish through the golden gate (409 with the report),
rollback, hit-testing with dense / BM25 / fused scores, and tenant scoping. Real SQLite, real loaders,
real FAISS + BM25 index store on the model-free hash embedder, real job functions (in-process queue)."""

from __future__ import annotations

import httpx
import pytest

from app.container import Container
from app.db import crud_kb
from tests.unit.app.admin.support import (
    FAQ_CSV,
    GUIDE_MD,
    make_docx,
    publish,
    upload,
    upload_and_wait,
    wait_job,
)
from tests.unit.app.helpers import Tenant, login, parse_sse, seed_tenant

API = "/api/v1/admin/kb"
POLICY_DOCX = make_docx(
    [
        "Overdraft protection links your savings account to your current account.",
        "The overdraft protection fee is 15 yuan per transfer.",
    ],
    heading="Overdraft protection",
)


async def _active_label(kb: Container, tenant: Tenant) -> str | None:
    async with kb.sessions() as s:
        v = await crud_kb.get_active_version(s, tenant_id=tenant.id)
        return v.label if v else None


async def test_upload_builds_a_draft_that_goes_live_only_on_publish(
    client: httpx.AsyncClient, kb: Container, bank: Tenant, admin_headers: dict[str, str]
) -> None:
    r = await upload(client, admin_headers, [("faq.csv", FAQ_CSV.encode()), ("policy.docx", POLICY_DOCX)])
    assert r.status_code == 202, r.text
    first = r.json()["job"]
    # The in-process queue may already have started on the first file; nothing is indexed yet.
    assert {d["source"] for d in first["documents"]} == {"faq.csv", "policy.docx"}
    assert {d["status"] for d in first["documents"]} <= {"queued", "parsing", "embedding"}
    job = await wait_job(client, admin_headers, r.json()["job_id"])
    assert job["status"] == "succeeded"
    assert job["version"] == "v1"
    docs = {d["source"]: d for d in job["documents"]}
    assert {s: d["status"] for s, d in docs.items()} == {"faq.csv": "indexed", "policy.docx": "indexed"}
    assert docs["faq.csv"]["chunk_count"] == 2
    assert docs["policy.docx"]["chunk_count"] >= 1
    # A draft only: the customer-facing knowledge base is still empty.
    assert await kb.knowledge.active(bank.id) is None
    listed = (await client.get(f"{API}/documents", headers=admin_headers)).json()
    assert {(d["source"], d["in_draft"], d["in_active"]) for d in listed} == {
        ("faq.csv", True, False),
        ("policy.docx", True, False),
    }
    versions = (await client.get(f"{API}/versions", headers=admin_headers)).json()
    assert [(v["label"], v["state"], v["documents"]) for v in versions] == [("v1", "draft", 2)]

    r = await publish(client, admin_headers)
    assert r.status_code == 200, r.text
    assert r.json()["version"]["state"] == "active"
    active = await kb.knowledge.active(bank.id)
    assert active is not None
    assert active.version == "v1"
    hits = active.retriever.search("overdraft protection fee", k=3).hits
    assert hits
    assert "15 yuan" in hits[0].chunk.text
    assert (await publish(client, admin_headers)).json()["error_code"] == "not_found"  # no draft left


async def test_job_progress_streams_as_server_sent_events(
    client: httpx.AsyncClient, kb: Container, bank: Tenant, admin_headers: dict[str, str]
) -> None:
    r = await upload(client, admin_headers, [("hours.md", GUIDE_MD.encode())])
    job_id = r.json()["job_id"]
    stream = await client.get(f"{API}/jobs/{job_id}/events", headers=admin_headers, timeout=60)
    assert stream.status_code == 200
    events = parse_sse(stream.text)
    assert events
    assert all(e == "job" for e, _ in events)
    last = events[-1][1]
    assert last["status"] == "succeeded"
    assert last["documents"][0]["status"] == "indexed"
    assert [p["progress"] for _, p in events] == sorted(p["progress"] for _, p in events)


async def test_a_second_upload_extends_the_draft_and_replaces_same_named_files(
    client: httpx.AsyncClient, kb: Container, bank: Tenant, admin_headers: dict[str, str]
) -> None:
    await upload_and_wait(client, admin_headers, [("faq.csv", FAQ_CSV.encode())])
    assert (await publish(client, admin_headers)).status_code == 200
    await upload_and_wait(client, admin_headers, [("hours.md", GUIDE_MD.encode())])
    newer = FAQ_CSV + "What is the card's annual fee?,The gold card's annual fee is 300 yuan.,en\n"
    job = await upload_and_wait(client, admin_headers, [("faq.csv", newer.encode())])
    assert job["version"] == "v3"
    versions = {v["label"]: v for v in (await client.get(f"{API}/versions", headers=admin_headers)).json()}
    assert versions["v1"]["state"] == "active"
    assert versions["v2"]["state"] == "discarded"  # superseded by v3, which holds its changes too
    assert versions["v3"]["state"] == "draft"
    assert versions["v3"]["documents"] == 2
    detail = (await client.get(f"{API}/versions/draft", headers=admin_headers)).json()
    assert (detail["added"], detail["replaced"], detail["removed"]) == (["hours.md"], ["faq.csv"], [])
    # the old faq.csv is still what customers get until publish
    active = await kb.knowledge.active(bank.id)
    assert not any("300 yuan" in h.chunk.text for h in active.retriever.search("annual fee", k=5).hits)
    assert (await publish(client, admin_headers)).status_code == 200
    active = await kb.knowledge.active(bank.id)
    assert any("300 yuan" in h.chunk.text for h in active.retriever.search("annual fee", k=5).hits)


async def test_the_same_bytes_are_not_ingested_twice_but_can_come_back_after_a_delete(
    client: httpx.AsyncClient, kb: Container, bank: Tenant, admin_headers: dict[str, str]
) -> None:
    await upload_and_wait(
        client, admin_headers, [("faq.csv", FAQ_CSV.encode()), ("hours.md", GUIDE_MD.encode())]
    )
    r = await upload(client, admin_headers, [("faq-copy.csv", FAQ_CSV.encode())])
    assert r.json()["skipped_duplicates"] == ["faq-copy.csv"]
    assert (await wait_job(client, admin_headers, r.json()["job_id"]))["status"] == "succeeded"
    faq = next(
        d
        for d in (await client.get(f"{API}/documents", headers=admin_headers)).json()
        if d["source"] == "faq.csv"
    )
    r = await client.delete(f"{API}/documents/{faq['id']}", headers=admin_headers)
    assert r.status_code == 202
    await wait_job(client, admin_headers, r.json()["job_id"])
    job = await upload_and_wait(client, admin_headers, [("faq.csv", FAQ_CSV.encode())])
    assert job["documents"][0]["status"] == "indexed"


async def test_delete_and_reindex_build_new_drafts(
    client: httpx.AsyncClient, kb: Container, bank: Tenant, admin_headers: dict[str, str]
) -> None:
    await upload_and_wait(
        client, admin_headers, [("faq.csv", FAQ_CSV.encode()), ("hours.md", GUIDE_MD.encode())]
    )
    await publish(client, admin_headers)
    docs = {d["source"]: d for d in (await client.get(f"{API}/documents", headers=admin_headers)).json()}

    r = await client.delete(f"{API}/documents/{docs['hours.md']['id']}", headers=admin_headers)
    assert r.status_code == 202
    assert (await wait_job(client, admin_headers, r.json()["job_id"]))["status"] == "succeeded"
    listed = {d["source"]: d for d in (await client.get(f"{API}/documents", headers=admin_headers)).json()}
    assert (
        listed["hours.md"]["status"],
        listed["hours.md"]["in_active"],
        listed["hours.md"]["in_draft"],
    ) == (
        "deleted",
        True,  # live until the draft without it is published
        False,
    )
    active = await kb.knowledge.active(bank.id)
    assert (
        active.retriever.search("branch opening hours", k=3).hits[0].chunk.document_id
        == docs["hours.md"]["id"]
    )

    r = await client.post(f"{API}/documents/{docs['faq.csv']['id']}/reindex", headers=admin_headers)
    assert r.status_code == 202
    job = await wait_job(client, admin_headers, r.json()["job_id"])
    assert job["kind"] == "reindex"
    assert job["status"] == "succeeded"
    new_faq = job["documents"][0]
    assert new_faq["source"] == "faq.csv"
    assert new_faq["id"] != docs["faq.csv"]["id"]
    detail = (await client.get(f"{API}/versions/draft", headers=admin_headers)).json()
    assert (detail["replaced"], detail["removed"]) == (["faq.csv"], ["hours.md"])

    # the last document cannot go: the knowledge base would be empty
    r = await client.delete(f"{API}/documents/{new_faq['id']}", headers=admin_headers)
    assert r.status_code == 409
    assert "replacement" in r.json()["detail"]


async def test_publish_is_refused_when_golden_recall_drops_and_rollback_is_one_call(
    client: httpx.AsyncClient, kb: Container, bank: Tenant, admin_headers: dict[str, str]
) -> None:
    await upload_and_wait(
        client, admin_headers, [("faq.csv", FAQ_CSV.encode()), ("hours.md", GUIDE_MD.encode())]
    )
    assert (await publish(client, admin_headers)).json()["version"]["label"] == "v1"
    docs = {d["source"]: d for d in (await client.get(f"{API}/documents", headers=admin_headers)).json()}
    r = await client.post(
        "/api/v1/admin/golden-questions",
        headers=admin_headers,
        json={
            "question": "When do branches open on weekdays?",
            "lang": "en",
            "expected_document_ids": [docs["hours.md"]["id"]],
        },
    )
    assert r.status_code == 201, r.text

    # A draft without the opening-hours guide loses the golden question's document.
    r = await client.delete(f"{API}/documents/{docs['hours.md']['id']}", headers=admin_headers)
    await wait_job(client, admin_headers, r.json()["job_id"])
    r = await publish(client, admin_headers)
    assert r.status_code == 409
    body = r.json()
    assert body["error_code"] == "publish_refused"
    report = body["detail"]["report"]
    assert (report["active_recall_at_5"], report["recall_at_5"]) == (1.0, 0.0)
    change = report["changes"][0]
    assert change["direction"] == "worse"
    assert change["expected"] == ["hours.md"]
    assert "hours.md" in change["found_before"]
    assert "hours.md" not in change["found_after"]
    assert await _active_label(kb, bank) == "v1"  # nothing changed

    # Re-uploading the guide (a new document, same file name) satisfies the gate.
    await upload_and_wait(
        client, admin_headers, [("hours.md", (GUIDE_MD + "\nSaturday: 10:00-15:00.\n").encode())]
    )
    r = await publish(client, admin_headers)
    assert r.status_code == 200, r.text
    assert r.json()["report"]["recall_at_5"] == 1.0
    assert await _active_label(kb, bank) == "v3"

    versions = {v["label"]: v for v in (await client.get(f"{API}/versions", headers=admin_headers)).json()}
    r = await client.post(f"{API}/versions/{versions['v1']['id']}/rollback", headers=admin_headers)
    assert r.status_code == 200
    assert r.json()["state"] == "active"
    assert await _active_label(kb, bank) == "v1"
    assert (await kb.knowledge.active(bank.id)).version == "v1"
    refused = await client.post(f"{API}/versions/{versions['v2']['id']}/rollback", headers=admin_headers)
    assert refused.status_code == 409  # v2 was never published
    audit = (
        await client.get("/api/v1/admin/audit", headers=admin_headers, params={"action": "kb.rollback"})
    ).json()
    assert audit["items"][0]["data"]["from"] == "v3"


async def test_discarding_the_draft_frees_its_files_for_a_new_upload(
    client: httpx.AsyncClient, kb: Container, bank: Tenant, admin_headers: dict[str, str]
) -> None:
    await upload_and_wait(client, admin_headers, [("faq.csv", FAQ_CSV.encode())])
    await publish(client, admin_headers)
    await upload_and_wait(client, admin_headers, [("hours.md", GUIDE_MD.encode())])
    assert (await client.post(f"{API}/versions/draft/discard", headers=admin_headers)).status_code == 204
    assert (await client.get(f"{API}/versions/draft", headers=admin_headers)).status_code == 404
    job = await upload_and_wait(client, admin_headers, [("hours.md", GUIDE_MD.encode())])
    assert job["skipped_duplicates"] == []
    assert job["documents"][0]["status"] == "indexed"


async def test_hit_testing_shows_dense_bm25_and_fused_scores_for_active_and_draft(
    client: httpx.AsyncClient, kb: Container, bank: Tenant, admin_headers: dict[str, str]
) -> None:
    await upload_and_wait(client, admin_headers, [("faq.csv", FAQ_CSV.encode())])
    r = await client.post(f"{API}/hit-test", headers=admin_headers, json={"query": "branch opening hours"})
    assert r.status_code == 404  # nothing published yet
    await publish(client, admin_headers)
    await upload_and_wait(client, admin_headers, [("hours.md", GUIDE_MD.encode())])

    draft = (
        await client.post(
            f"{API}/hit-test",
            headers=admin_headers,
            json={"query": "branch opening hours", "version": "draft"},
        )
    ).json()
    assert (draft["version"], draft["version_state"]) == ("v2", "draft")
    top = draft["hits"][0]
    assert top["source"] == "hours.md"
    assert top["rank"] == 1
    assert top["dense_score"] is not None
    assert top["bm25_score"] is not None
    assert top["bm25_score"] > 0
    assert top["dense_rank"] == 1
    assert top["bm25_rank"] == 1
    assert [h["score"] for h in draft["hits"]] == sorted((h["score"] for h in draft["hits"]), reverse=True)

    live = (
        await client.post(f"{API}/hit-test", headers=admin_headers, json={"query": "branch opening hours"})
    ).json()
    assert live["version"] == "v1"
    assert all(h["source"] != "hours.md" for h in live["hits"])
    zh = (
        await client.post(
            f"{API}/hit-test", headers=admin_headers, json={"query": "信用卡分期", "lang": "zh"}
        )
    ).json()
    assert zh["hits"]
    assert all(h["lang"] == "zh" for h in zh["hits"])
    assert "手续费" in zh["hits"][0]["text"]


async def test_knowledge_base_routes_are_for_the_tenants_admins_only(
    client: httpx.AsyncClient, kb: Container, bank: Tenant, admin_headers: dict[str, str]
) -> None:
    job = await upload_and_wait(client, admin_headers, [("faq.csv", FAQ_CSV.encode())])
    doc_id = job["documents"][0]["id"]
    other = await seed_tenant(kb, "rival")
    rival = await login(client, other.admin_email)
    assert (await client.get(f"{API}/jobs/{job['id']}", headers=rival)).status_code == 404
    assert (await client.delete(f"{API}/documents/{doc_id}", headers=rival)).status_code == 404
    assert (await client.post(f"{API}/documents/{doc_id}/reindex", headers=rival)).status_code == 404
    assert (await client.get(f"{API}/documents", headers=rival)).json() == []
    assert (await publish(client, rival)).status_code == 404  # the rival has no draft; ours is untouched
    assert (await client.get(f"{API}/versions/draft", headers=admin_headers)).status_code == 200
    agent = await login(client, bank.agent_email)
    for method, path in (("GET", "/documents"), ("POST", "/versions/publish"), ("GET", f"/jobs/{job['id']}")):
        r = await client.request(method, API + path, headers=agent)
        assert r.status_code == 403, path
    client.cookies.clear()  # the logins above set the session cookie
    assert (await client.get(f"{API}/documents")).status_code == 401


@pytest.mark.parametrize("view", ["current", "all"])
async def test_document_list_shows_pii_findings_and_language(
    client: httpx.AsyncClient, kb: Container, bank: Tenant, admin_headers: dict[str, str], view: str
) -> None:
    contact = "# 联系我们\n\n客户经理张先生的邮箱 zhang.san@example.com，电话 13812345678。\n"
    r = await upload(client, admin_headers, [("contact.md", contact.encode())], pii_policy="flag")
    await wait_job(client, admin_headers, r.json()["job_id"])
    docs = (await client.get(f"{API}/documents", headers=admin_headers, params={"view": view})).json()
    assert docs[0]["pii_findings"] == {"EMAIL_ADDRESS": 1, "PHONE_NUMBER": 1}
    assert docs[0]["lang"] == "zh"
