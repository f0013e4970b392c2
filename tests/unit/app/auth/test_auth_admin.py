"""Login, roles, API keys and widget keys as admins, agents and servers meet them."""

from __future__ import annotations

import os

import httpx

from app.container import Container
from app.main import create_app
from tests.unit.app.helpers import METRICS_AUTH, PASSWORD, Tenant, login, seed_tenant


async def test_login_me_logout(client: httpx.AsyncClient, tenant: Tenant) -> None:
    r = await client.post(
        "/api/v1/auth/login", json={"email": tenant.admin_email.upper(), "password": PASSWORD}
    )
    assert r.status_code == 200
    token = r.json()["token"]
    cookie = r.headers["set-cookie"]
    assert "kefu_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "samesite=strict" in cookie.lower()
    me = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["role"] == "admin"
    assert me.json()["tenant_id"] == tenant.id
    await client.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}"})
    gone = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert (gone.status_code, gone.json()["error_code"]) == (401, "unauthenticated")


async def test_wrong_password_and_unknown_user_look_the_same(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    a = await client.post(
        "/api/v1/auth/login", json={"email": tenant.admin_email, "password": "wrong password!"}
    )
    b = await client.post(
        "/api/v1/auth/login", json={"email": "nobody@x.example", "password": "wrong password!"}
    )
    assert (a.status_code, a.json()) == (b.status_code, b.json())
    assert a.json()["error_code"] == "invalid_credentials"


async def test_roles_are_checked(client: httpx.AsyncClient, tenant: Tenant) -> None:
    agent = await login(client, tenant.agent_email)
    admin = await login(client, tenant.admin_email)
    client.cookies.clear()  # the login cookie would authenticate the next call by itself
    assert (await client.get("/api/v1/admin/users")).status_code == 401
    r = await client.get("/api/v1/admin/users", headers=agent)
    assert (r.status_code, r.json()["error_code"]) == (403, "forbidden")
    assert (await client.get("/api/v1/agent/handoffs", headers=agent)).status_code == 200
    assert (await client.get("/api/v1/agent/handoffs", headers=admin)).status_code == 200
    users = (await client.get("/api/v1/admin/users", headers=admin)).json()
    assert {u["email"] for u in users} == {tenant.admin_email, tenant.agent_email}
    assert all("password" not in str(u) for u in users)


async def test_admin_creates_users_and_keys_for_its_own_tenant_only(
    client: httpx.AsyncClient, tenant: Tenant, container: Container
) -> None:
    other = await seed_tenant(container, "other")
    admin = await login(client, tenant.admin_email)
    r = await client.post(
        "/api/v1/admin/users",
        json={"email": "new.agent@harbor.example", "password": "long enough pw", "role": "agent"},
        headers=admin,
    )
    assert r.status_code == 201
    assert r.json()["tenant_id"] == tenant.id
    r = await client.post(
        "/api/v1/admin/users",
        json={"email": "x@harbor.example", "password": "short", "role": "agent"},
        headers=admin,
    )
    assert r.status_code == 422
    r = await client.post(
        "/api/v1/admin/users",
        json={"email": tenant.agent_email, "password": "long enough pw", "role": "agent"},
        headers=admin,
    )
    assert r.status_code == 409

    key = (
        await client.post("/api/v1/admin/api-keys", json={"name": "crm", "role": "agent"}, headers=admin)
    ).json()
    assert key["key"].startswith("kefu_sk_")
    server = {"Authorization": f"Bearer {key['key']}"}
    assert (await client.get("/api/v1/agent/conversations", headers=server)).status_code == 200
    assert (await client.get("/api/v1/admin/users", headers=server)).status_code == 403
    listed = (await client.get("/api/v1/admin/api-keys", headers=admin)).json()
    assert "key" not in listed[0]
    other_admin = await login(client, other.admin_email)
    assert (
        await client.delete(f"/api/v1/admin/api-keys/{key['id']}", headers=other_admin)
    ).status_code == 404
    assert (await client.delete(f"/api/v1/admin/api-keys/{key['id']}", headers=admin)).status_code == 204
    client.cookies.clear()
    assert (await client.get("/api/v1/agent/conversations", headers=server)).status_code == 401

    wk = await client.post(
        "/api/v1/admin/widget-keys",
        json={"allowed_origins": ["https://WWW.Bank.example:443/"]},
        headers=admin,
    )
    assert wk.json()["allowed_origins"] == ["https://www.bank.example"]
    bad = await client.post(
        "/api/v1/admin/widget-keys", json={"allowed_origins": ["not a url"]}, headers=admin
    )
    assert bad.status_code == 422
    conv = await client.post(
        "/api/v1/chat/conversations",
        json={"widget_key": wk.json()["public_key"]},
        headers={"Origin": "https://www.bank.example"},
    )
    assert conv.status_code == 201


async def test_server_starts_a_conversation_with_an_api_key(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    admin = await login(client, tenant.admin_email)
    key = (await client.post("/api/v1/admin/api-keys", json={"name": "app"}, headers=admin)).json()["key"]
    r = await client.post("/api/v1/chat/conversations", json={}, headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 201
    cid, token = r.json()["id"], r.json()["token"]
    agent = await login(client, tenant.agent_email)
    assert (await client.get(f"/api/v1/agent/conversations/{cid}", headers=agent)).json()["conversation"][
        "channel"
    ] == "api"
    assert token


async def test_openapi_and_health(client: httpx.AsyncClient, container: Container) -> None:
    # the schema and the docs page: ENVIRONMENT=local only (tests/reliability/test_hardening.py)
    assert (await client.get("/openapi.json")).status_code == 404
    local = create_app(container.settings.model_copy(update={"environment": "local"}), container)
    transport = httpx.ASGITransport(app=local)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as on_local:
        spec = (await on_local.get("/openapi.json")).json()
        assert (await on_local.get("/docs")).status_code == 200
    assert "/api/v1/chat/conversations/{conversation_id}/messages/stream" in spec["paths"]
    assert (await client.get("/healthz")).json() == {"status": "ok", "pid": os.getpid()}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"]["database"] is True
    metrics = await client.get("/metrics", headers=METRICS_AUTH)
    assert "kefu_turn_stage_seconds" in metrics.text
