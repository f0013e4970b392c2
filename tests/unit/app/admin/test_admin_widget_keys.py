"""Widget keys as the admin console edits them: new allowed origins take effect on the widget's next call
(an origin taken off the list is refused, the added one let in), a disabled key stops new conversations and
existing ones, re-enabling restores them; bad origins and another tenant's key are refused; every change
is in the audit log."""

from __future__ import annotations

import httpx

from app.container import Container
from tests.unit.app.helpers import ORIGIN, Tenant, login, seed_tenant, start_conversation

NEW_ORIGIN = "https://help.bank.example"


async def _start(client: httpx.AsyncClient, key: str, origin: str) -> httpx.Response:
    return await client.post(
        "/api/v1/chat/conversations", json={"widget_key": key}, headers={"Origin": origin}
    )


async def test_origins_and_disabling_apply_to_the_next_request(
    client: httpx.AsyncClient, container: Container, tenant: Tenant
) -> None:
    admin = await login(client, tenant.admin_email)
    keys = (await client.get("/api/v1/admin/widget-keys", headers=admin)).json()
    key = next(k for k in keys if k["public_key"] == tenant.widget_key)
    cid, conv_headers = await start_conversation(client, tenant)

    r = await client.patch(
        f"/api/v1/admin/widget-keys/{key['id']}",
        json={"allowed_origins": ["HTTPS://Help.Bank.example:443", NEW_ORIGIN], "name": "help centre"},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    assert (r.json()["allowed_origins"], r.json()["name"]) == ([NEW_ORIGIN], "help centre")
    refused = await _start(client, tenant.widget_key, ORIGIN)
    assert (refused.status_code, refused.json()["error_code"]) == (403, "origin_not_allowed")
    assert (await _start(client, tenant.widget_key, NEW_ORIGIN)).status_code == 201

    r = await client.patch(f"/api/v1/admin/widget-keys/{key['id']}", json={"is_active": False}, headers=admin)
    assert r.json()["is_active"] is False
    off = await _start(client, tenant.widget_key, NEW_ORIGIN)
    assert (off.status_code, off.json()["error_code"]) == (401, "unauthenticated")
    # A conversation started before is cut off too (the key is checked on every call).
    events = await client.get(f"/api/v1/chat/conversations/{cid}/messages", headers=conv_headers)
    assert (events.status_code, events.json()["error_code"]) == (401, "unauthenticated")

    r = await client.patch(f"/api/v1/admin/widget-keys/{key['id']}", json={"is_active": True}, headers=admin)
    assert r.json()["is_active"] is True
    assert (await _start(client, tenant.widget_key, NEW_ORIGIN)).status_code == 201

    audit = (await client.get("/api/v1/admin/audit", params={"target_id": key["id"]}, headers=admin)).json()
    assert [e["action"] for e in audit["items"]] == [
        "widget_key.enable",
        "widget_key.disable",
        "widget_key.update",
    ]
    assert audit["items"][2]["data"] == {"origins": [NEW_ORIGIN], "is_active": True}


async def test_bad_origins_and_other_tenants_keys_are_refused(
    client: httpx.AsyncClient, container: Container, tenant: Tenant
) -> None:
    other = await seed_tenant(container, "other-bank")
    admin = await login(client, tenant.admin_email)
    theirs = (
        await client.get("/api/v1/admin/widget-keys", headers=await login(client, other.admin_email))
    ).json()
    r = await client.patch(
        f"/api/v1/admin/widget-keys/{theirs[0]['id']}", json={"is_active": False}, headers=admin
    )
    assert (r.status_code, r.json()["error_code"]) == (404, "not_found")
    assert (await _start(client, other.widget_key, ORIGIN)).status_code == 201  # untouched

    mine = (await client.get("/api/v1/admin/widget-keys", headers=admin)).json()[0]
    for origins in (["javascript:alert(1)"], ["bank.example"], ["ftp://bank.example"], []):
        r = await client.patch(
            f"/api/v1/admin/widget-keys/{mine['id']}", json={"allowed_origins": origins}, headers=admin
        )
        assert (r.status_code, r.json()["error_code"]) == (422, "validation_error"), origins
    after = (await client.get("/api/v1/admin/widget-keys", headers=admin)).json()[0]
    assert after["allowed_origins"] == [ORIGIN]  # nothing half-written
    agent = await login(client, tenant.agent_email)
    denied = await client.patch(f"/api/v1/admin/widget-keys/{mine['id']}", json={"name": "x"}, headers=agent)
    assert denied.status_code == 403
