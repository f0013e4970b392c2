"""The audit trail a bank's auditor reads (``GET /api/v1/admin/audit``): logins (success and failure), role
changes and account (de)activation, PII reveals, knowledge-base publishes (and refusals). Each event names
who, what and which object, is visible to that tenant's admins only, and never holds a secret or a PII
value."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.container import Container
from retrieval.text import KeywordAnalyzer
from tests.unit.app.admin.support import wait_job
from tests.unit.app.helpers import (
    PASSWORD,
    Tenant,
    login,
    seed_tenant,
    send_message,
    start_conversation,
    use_real_index,
)

API = "/api/v1"
PHONE = "13812345678"


async def audit(client: httpx.AsyncClient, headers: dict[str, str], **filters: str) -> list[dict[str, Any]]:
    r = await client.get(f"{API}/admin/audit", params=filters, headers=headers)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


async def me(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = (await client.get(f"{API}/auth/me", headers=headers)).json()
    return body


async def test_logins_succeeded_and_failed(
    client: httpx.AsyncClient, tenant: Tenant, container: Container
) -> None:
    other = await seed_tenant(container, "other")
    bad = await client.post(
        f"{API}/auth/login", json={"email": tenant.agent_email, "password": "wrong pw 123"}
    )
    assert bad.status_code == 401
    agent = await login(client, tenant.agent_email)
    admin = await login(client, tenant.admin_email)
    other_admin = await login(client, other.admin_email)
    client.cookies.clear()
    agent_id = (await me(client, agent))["actor_id"]

    failed = await audit(client, admin, action="user.login_failed")
    assert [(e["actor_id"], e["actor_email"]) for e in failed] == [(agent_id, tenant.agent_email)]
    ok = await audit(client, admin, action="user.login")
    assert {e["actor_email"] for e in ok} == {tenant.agent_email, tenant.admin_email}
    for event in failed + ok:
        assert "wrong pw" not in str(event)
        assert PASSWORD not in str(event)
    # another tenant's admin sees only its own tenant's logins
    theirs = await audit(client, other_admin, action_prefix="user.login")
    assert {e["actor_email"] for e in theirs} == {other.admin_email}


async def test_role_changes_and_deactivation(
    client: httpx.AsyncClient, tenant: Tenant, container: Container
) -> None:
    admin = await login(client, tenant.admin_email)
    agent = await login(client, tenant.agent_email)
    client.cookies.clear()
    admin_id = (await me(client, admin))["actor_id"]
    agent_id = (await me(client, agent))["actor_id"]

    r = await client.patch(f"{API}/admin/users/{agent_id}", json={"role": "admin"}, headers=admin)
    assert (r.status_code, r.json()["role"]) == (200, "admin")
    # the promotion applies to the agent's next request, on the session it already has
    assert (await client.get(f"{API}/admin/users", headers=agent)).status_code == 200
    r = await client.patch(f"{API}/admin/users/{agent_id}", json={"role": "agent"}, headers=admin)
    assert r.json()["role"] == "agent"
    assert (await client.get(f"{API}/admin/users", headers=agent)).status_code == 403

    changes = await audit(client, admin, action="user.role_change")
    assert [(e["target_id"], e["data"], e["actor_id"]) for e in reversed(changes)] == [
        (agent_id, {"from": "agent", "to": "admin"}, admin_id),
        (agent_id, {"from": "admin", "to": "agent"}, admin_id),
    ]

    r = await client.patch(f"{API}/admin/users/{agent_id}", json={"is_active": False}, headers=admin)
    assert (r.status_code, r.json()["is_active"]) == (200, False)
    assert (await client.get(f"{API}/agent/handoffs", headers=agent)).status_code == 401  # session ended
    [off] = await audit(client, admin, action="user.deactivate")
    assert (off["target_id"], off["data"]) == (agent_id, {"sessions_revoked": 1})
    bad = await client.post(f"{API}/auth/login", json={"email": tenant.agent_email, "password": PASSWORD})
    assert bad.status_code == 401

    # no change, no event; the last admin cannot demote or lock itself out; other tenants' users are 404
    r = await client.patch(f"{API}/admin/users/{agent_id}", json={"role": "agent"}, headers=admin)
    assert r.status_code == 200
    assert len(await audit(client, admin, action="user.role_change")) == 2
    for change in ({"role": "agent"}, {"is_active": False}):
        r = await client.patch(f"{API}/admin/users/{admin_id}", json=change, headers=admin)
        assert (r.status_code, r.json()["error_code"]) == (409, "conflict")
    other = await seed_tenant(container, "other")
    other_admin = await login(client, other.admin_email)
    client.cookies.clear()
    r = await client.patch(f"{API}/admin/users/{agent_id}", json={"role": "admin"}, headers=other_admin)
    assert (r.status_code, r.json()["error_code"]) == (404, "not_found")
    r = await client.patch(f"{API}/admin/users/{agent_id}", json={"role": "owner"}, headers=admin)
    assert r.status_code == 422
    theirs = await audit(client, other_admin, action_prefix="user.")
    assert theirs
    assert all(e["target_id"] != agent_id and e["actor_email"] == other.admin_email for e in theirs)


async def test_reveal_is_audited_without_the_value(
    client: httpx.AsyncClient, tenant: Tenant, container: Container
) -> None:
    cid, headers = await start_conversation(client, tenant)
    r = await send_message(client, cid, headers, f"my phone is {PHONE}, how do I freeze a lost card?")
    assert r.status_code == 200
    admin = await login(client, tenant.admin_email)
    client.cookies.clear()
    r = await client.post(
        f"{API}/agent/conversations/{cid}/reveal",
        json={"placeholder": "<PHONE_NUMBER_1>", "reason": "callback"},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    assert r.json()["value"] == PHONE
    [event] = await audit(client, admin, action="pii.reveal")
    assert event["actor_email"] == tenant.admin_email
    assert (event["target_type"], event["target_id"]) == ("conversation", cid)
    assert event["data"]["placeholder"] == "<PHONE_NUMBER_1>"
    assert PHONE not in str(event)
    every = await audit(client, admin, limit="200")
    assert PHONE not in str(every)


# --- knowledge-base publishes: the real index store on the model-free embedder -------------------------


@pytest.fixture
def kb(container: Container, keyword_analyzer: KeywordAnalyzer) -> Container:
    return use_real_index(container, keyword_analyzer)


async def _wait_job(client: httpx.AsyncClient, headers: dict[str, str], job_id: str) -> None:
    job = await wait_job(client, headers, job_id)
    assert job["status"] == "succeeded", job


async def test_kb_publish_and_refusal_are_audited(client: httpx.AsyncClient, kb: Container) -> None:
    tenant = await seed_tenant(kb, "harbor")
    admin = await login(client, tenant.admin_email)
    client.cookies.clear()
    files = [
        ("files", ("cards.txt", b"Lost card: call 95555 at any time to freeze your card.", "text/plain")),
        ("files", ("hours.txt", b"Branches open 9:00-17:00 Monday to Friday.", "text/plain")),
    ]
    r = await client.post(f"{API}/admin/kb/uploads", headers=admin, files=files)
    assert r.status_code == 202, r.text
    await _wait_job(client, admin, r.json()["job_id"])
    r = await client.post(f"{API}/admin/kb/versions/publish", headers=admin)
    assert r.status_code == 200, r.text
    [published] = await audit(client, admin, action="kb.publish")
    assert published["actor_email"] == tenant.admin_email
    assert published["target_type"] == "kb_version"
    assert published["data"]["chunks"] >= 2

    # a golden question whose document the next draft drops: the publish is refused, and audited too
    docs = {
        d["source"]: d["id"] for d in (await client.get(f"{API}/admin/kb/documents", headers=admin)).json()
    }
    r = await client.post(
        f"{API}/admin/golden-questions",
        json={
            "question": "When do branches open?",
            "lang": "en",
            "expected_document_ids": [docs["hours.txt"]],
        },
        headers=admin,
    )
    assert r.status_code == 201, r.text
    r = await client.delete(f"{API}/admin/kb/documents/{docs['hours.txt']}", headers=admin)
    assert r.status_code == 202, r.text
    await _wait_job(client, admin, r.json()["job_id"])
    r = await client.post(f"{API}/admin/kb/versions/publish", headers=admin)
    assert (r.status_code, r.json()["error_code"]) == (409, "publish_refused")
    [refused] = await audit(client, admin, action="kb.publish_refused")
    assert refused["actor_email"] == tenant.admin_email
    assert refused["target_id"] != published["target_id"]
    assert len(await audit(client, admin, action="kb.publish")) == 1
