"""The action catalogue through the admin API: create, read, update, delete; bad definitions refused with
a stable code and nothing written; another tenant sees nothing; the demo seed's six actions."""

from __future__ import annotations

from typing import Any

import httpx

from app.container import Container
from tests.unit.app.helpers import Tenant, login, seed_tenant

NEW: dict[str, Any] = {
    "name": "block_online_payments",
    "description": {"en": "Block online payments", "zh": "关闭网上支付"},
    "parameters": {"type": "object", "required": ["card_last4"],
                   "properties": {"card_last4": {"type": "string", "pattern": "^[0-9]{4}$"}}},
    "verification": "step_up",
    "confirm": True,
    "http": {"method": "POST", "url": "/customers/{customer_id}/cards/{card_last4}/online-block"},
    "keywords": ["block online payments", "关闭网上支付"],
    "templates": {"en": "Done for the card ending {card_last4}.", "zh": "已为尾号{card_last4}的卡关闭。"},
}  # fmt: skip


async def test_crud_and_validation(client: httpx.AsyncClient, container: Container, tenant: Tenant) -> None:
    admin = await login(client, tenant.admin_email)
    r = await client.post("/api/v1/admin/actions", json=NEW, headers=admin)
    assert r.status_code == 201, r.text
    action_id = r.json()["id"]
    assert r.json()["verification"] == "step_up"
    dup = await client.post("/api/v1/admin/actions", json=NEW, headers=admin)
    assert dup.status_code == 409
    bad_url = {**NEW, "name": "x1", "http": {"method": "POST", "url": "/cards/{card_number}"}}
    bad_schema = {**NEW, "name": "x2", "parameters": {"type": "nonsense"}}
    unconfirmed_write = {**NEW, "name": "x3", "confirm": False}
    for body in (bad_url, bad_schema, unconfirmed_write):
        refused = await client.post("/api/v1/admin/actions", json=body, headers=admin)
        assert refused.status_code == 422
        assert refused.json()["error_code"] == "validation_error"
    patched = await client.patch(f"/api/v1/admin/actions/{action_id}", json={"enabled": False}, headers=admin)
    assert patched.status_code == 200
    assert patched.json()["enabled"] is False
    broken = await client.patch(
        f"/api/v1/admin/actions/{action_id}",
        json={"parameters": {"type": "object", "properties": {}}},
        headers=admin,
    )  # the URL would name a parameter that is gone
    assert broken.status_code == 422
    listed = await client.get("/api/v1/admin/actions", headers=admin)
    assert [a["name"] for a in listed.json()] == ["block_online_payments"]
    other = await seed_tenant(container, "other")
    other_admin = await login(client, other.admin_email)
    assert (await client.get(f"/api/v1/admin/actions/{action_id}", headers=other_admin)).status_code == 404
    assert (await client.delete(f"/api/v1/admin/actions/{action_id}", headers=admin)).status_code == 204
    assert (await client.get("/api/v1/admin/actions", headers=admin)).json() == []
    agent = await login(client, tenant.agent_email)
    assert (await client.get("/api/v1/admin/actions", headers=agent)).status_code == 403


async def test_demo_seed(client: httpx.AsyncClient, container: Container, tenant: Tenant) -> None:
    from app.actions.catalogue import seed_demo_actions

    async with container.sessions() as s:
        assert await seed_demo_actions(s, tenant_id=tenant.id, bank_url="http://127.0.0.1:1") == 6
        assert await seed_demo_actions(s, tenant_id=tenant.id, bank_url="http://127.0.0.1:1") == 0
        await s.commit()
    admin = await login(client, tenant.admin_email)
    got = {a["name"]: a for a in (await client.get("/api/v1/admin/actions", headers=admin)).json()}
    assert {n: (a["verification"], a["confirm"]) for n, a in got.items()} == {
        "card_list": ("verified", False),
        "freeze_card": ("verified", True),
        "unfreeze_card": ("step_up", True),
        "report_lost_card": ("verified", True),
        "transfer_status": ("verified", False),
        "set_contactless_limit": ("step_up", True),
    }
