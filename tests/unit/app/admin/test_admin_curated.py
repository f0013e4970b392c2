"""Curated-answer approvals: an agent's proposal, approved by an admin (with an edit), becomes an FAQ entry
of the KB draft through a real ingestion job, is found by hit-testing the draft, and answers after publish;
a rejection and a second decision are refused; a duplicate entry puts the proposal back to pending; only
admins of the tenant decide. Real SQLite, real loaders and index store (hash embedder), real jobs."""

from __future__ import annotations

import httpx

from app.container import Container
from tests.unit.app.admin.support import FAQ_CSV, publish, upload_and_wait, wait_job
from tests.unit.app.helpers import Tenant, login, seed_tenant, start_conversation

API = "/api/v1"
QUESTION = "外币现钞兑换需要预约吗？"
ANSWER = "外币现钞兑换超过等值1万美元需提前一天预约。"


async def _propose(client: httpx.AsyncClient, tenant: Tenant, question: str, answer: str) -> str:
    conv, _ = await start_conversation(client, tenant)
    agent = await login(client, tenant.agent_email)
    r = await client.post(
        f"{API}/agent/conversations/{conv}/curated",
        headers=agent,
        json={"question": question, "answer": answer},
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def _hit(client: httpx.AsyncClient, headers: dict[str, str], version: str) -> dict:
    r = await client.post(
        f"{API}/admin/kb/hit-test", headers=headers, json={"query": QUESTION, "version": version}
    )
    assert r.status_code == 200, r.text
    return dict(r.json()["hits"][0])


async def test_an_approved_answer_joins_the_draft_and_goes_live_on_publish(
    client: httpx.AsyncClient, kb: Container, bank: Tenant, admin_headers: dict[str, str]
) -> None:
    await upload_and_wait(client, admin_headers, [("faq.csv", FAQ_CSV.encode())])
    assert (await publish(client, admin_headers)).status_code == 200
    cid = await _propose(client, bank, QUESTION, "需要预约。")
    pending = (await client.get(f"{API}/admin/curated", headers=admin_headers)).json()
    assert [p["id"] for p in pending] == [cid]

    edited = ANSWER + "咨询电话 13900001111。"  # the admin's edit is public too: scrubbed again
    r = await client.post(
        f"{API}/admin/curated/{cid}/approve", headers=admin_headers, json={"answer": edited}
    )
    assert r.status_code == 202, r.text
    got = r.json()
    assert got["status"] == "approved"
    assert got["answer"] == ANSWER + "咨询电话 <PHONE_NUMBER>。"
    assert got["pii_removed"] == {"PHONE_NUMBER": 1}
    assert got["decided_by"] is not None
    job = await wait_job(client, admin_headers, got["job_id"])
    assert job["status"] == "succeeded", job
    assert job["kind"] == "curated"
    docs = (await client.get(f"{API}/admin/kb/documents", headers=admin_headers)).json()
    entry = next(d for d in docs if d["source"] == got["source"])
    assert (entry["status"], entry["in_draft"], entry["in_active"]) == ("indexed", True, False)

    top = await _hit(client, admin_headers, "draft")
    assert top["source"] == got["source"]
    assert ANSWER in top["text"]
    assert "13900001111" not in top["text"]
    assert (await _hit(client, admin_headers, "active"))["source"] != got["source"]  # not live yet
    assert (await publish(client, admin_headers)).status_code == 200
    assert (await _hit(client, admin_headers, "active"))["source"] == got["source"]

    again = await client.post(f"{API}/admin/curated/{cid}/approve", headers=admin_headers)
    assert again.status_code == 409
    assert (await client.post(f"{API}/admin/curated/{cid}/reject", headers=admin_headers)).status_code == 409
    assert (await client.get(f"{API}/admin/curated", headers=admin_headers)).json() == []
    approved = (
        await client.get(f"{API}/admin/curated", headers=admin_headers, params={"status": "approved"})
    ).json()
    assert [a["id"] for a in approved] == [cid]


async def test_reject_duplicates_and_access(
    client: httpx.AsyncClient, kb: Container, bank: Tenant, admin_headers: dict[str, str]
) -> None:
    await upload_and_wait(client, admin_headers, [("faq.csv", FAQ_CSV.encode())])
    first = await _propose(client, bank, QUESTION, ANSWER)
    twin = await _propose(client, bank, QUESTION, ANSWER)
    other = await _propose(client, bank, "可以代办吗？", "不可以。")

    agent = await login(client, bank.agent_email)
    assert (await client.get(f"{API}/admin/curated", headers=agent)).status_code == 403
    assert (await client.post(f"{API}/admin/curated/{first}/approve", headers=agent)).status_code == 403
    rival = await seed_tenant(kb, "rival")
    rival_admin = await login(client, rival.admin_email)
    assert (await client.post(f"{API}/admin/curated/{first}/approve", headers=rival_admin)).status_code == 404
    assert (await client.get(f"{API}/admin/curated", headers=rival_admin)).json() == []

    ok = await client.post(f"{API}/admin/curated/{first}/approve", headers=admin_headers)
    assert ok.status_code == 202, ok.text
    await wait_job(client, admin_headers, ok.json()["job_id"])
    dup = await client.post(f"{API}/admin/curated/{twin}/approve", headers=admin_headers)
    assert dup.status_code == 409
    assert "already" in dup.json()["detail"]
    pending = (await client.get(f"{API}/admin/curated", headers=admin_headers)).json()
    assert {p["id"] for p in pending} == {twin, other}  # the twin is back to pending, not half-approved
    twin_row = next(p for p in pending if p["id"] == twin)
    assert (twin_row["status"], twin_row["decided_by"]) == ("pending", None)

    blank = await client.post(
        f"{API}/admin/curated/{other}/approve", headers=admin_headers, json={"answer": " "}
    )
    assert blank.status_code == 422
    r = await client.post(f"{API}/admin/curated/{other}/reject", headers=admin_headers)
    assert r.status_code == 200
    assert r.json()["status"] == "rejected"
    audit = (
        await client.get(f"{API}/admin/audit", headers=admin_headers, params={"action_prefix": "curated."})
    ).json()
    actions = [e["action"] for e in audit["items"]]
    assert actions.count("curated.approved") == 1
    assert actions.count("curated.rejected") == 1
