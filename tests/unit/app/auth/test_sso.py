"""Staff SSO against a real OpenID Connect provider process on loopback (``tests.oidc_provider``): the
sign-in (authorization code + PKCE, state, nonce, the ID token checked against the IdP's JWKS), the user
made just in time with the mapped role, every refusal (wrong audience, expired, tampered signature, bad
nonce or state, unknown group), deprovisioning (a user disabled at the IdP loses access at the login's
next re-check, and an open console stream closes), and local passwords refused for an SSO-only tenant."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import time_machine
from sqlalchemy import select

from app.container import Container
from app.db import crud_audit
from app.db.models import OidcIdentity, User
from app.main import create_app
from tests.oidc_provider import Provider, running_provider
from tests.unit.app.auth.sso_helpers import (
    CSRF,
    REDIRECT_URI,
    configure,
    idp_round_trip,
    sso_config,
    sso_login,
)
from tests.unit.app.helpers import PASSWORD, Tenant, login

IDP_PASSWORD = "idp-password-1"


@pytest.fixture(scope="module")
def idp() -> Iterator[Provider]:
    with running_provider() as provider:
        from tests.unit.app.auth.sso_helpers import CLIENT_ID, CLIENT_SECRET

        provider.register_client(CLIENT_ID, CLIENT_SECRET, [REDIRECT_URI])
        yield provider


@pytest.fixture
async def client(container: Container) -> AsyncIterator[httpx.AsyncClient]:
    # Staff streams re-check their session often here, so a closed one is seen within a second.
    container.settings = container.settings.model_copy(update={"staff_stream_recheck_s": 0.2})
    app = create_app(container.settings, container)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c
    if container.sso is not None:
        await container.sso.aclose()


@pytest.fixture
async def admin(client: httpx.AsyncClient, tenant: Tenant) -> dict[str, str]:
    headers = await login(client, tenant.admin_email)
    client.cookies.clear()  # the admin acts by bearer token; the jar is the SSO browser's
    return headers


def _fragment(response: httpx.Response) -> str:
    assert response.status_code == 303, response.text
    return response.headers["location"]


async def _landing(client: httpx.AsyncClient, username: str) -> str:
    """Where a whole SSO sign-in at the "harbor" organisation sends the browser back to."""
    return _fragment(await sso_login(client, org="harbor", username=username, password=IDP_PASSWORD))


async def _audit_reasons(container: Container, tenant: Tenant, action: str) -> list[str]:
    async with container.sessions() as s:
        events = await crud_audit.list_events(s, tenant_id=tenant.id, action=action)
    return [str(e.data.get("reason")) for e in events]


async def _users(container: Container, tenant: Tenant) -> dict[str, str]:
    async with container.sessions() as s:
        rows = (await s.execute(select(User).where(User.tenant_id == tenant.id))).scalars().all()
    return {u.email: u.role for u in rows}


async def test_first_sign_in_creates_the_user_with_the_mapped_role_and_the_next_reuses_it(
    client: httpx.AsyncClient, container: Container, tenant: Tenant, admin: dict[str, str], idp: Provider
) -> None:
    config = await configure(client, admin, idp)
    assert config["client_secret_set"] is True
    assert "client_secret" not in config
    assert config["redirect_uri"] == REDIRECT_URI
    idp.user(
        "wang.fang", password=IDP_PASSWORD, email="Wang.Fang@bank.example", groups=["staff", "kefu-agents"]
    )

    done = await sso_login(client, org="harbor", username="wang.fang", password=IDP_PASSWORD)
    assert _fragment(done) == "/console#sso"
    assert "kefu_session=" in done.headers["set-cookie"]
    me = await client.get("/api/v1/auth/me", headers=CSRF)  # the session cookie, as the console sends it
    assert me.status_code == 200, me.text
    assert me.json()["role"] == "agent"
    assert me.json()["email"] == "wang.fang@bank.example"
    assert (await client.get("/api/v1/agent/queue", headers=CSRF)).status_code == 200
    assert (await client.get("/api/v1/admin/users", headers=CSRF)).status_code == 403
    first_id = me.json()["actor_id"]

    # Promoted at the IdP: the next sign-in is the same user, now an admin (audited).
    idp.user("wang.fang", groups=["kefu-admins"])
    client.cookies.clear()
    await sso_login(client, org="harbor", username="wang.fang", password=IDP_PASSWORD)
    me = await client.get("/api/v1/auth/me", headers=CSRF)
    assert (me.json()["actor_id"], me.json()["role"]) == (first_id, "admin")
    async with container.sessions() as s:
        identities = (await s.execute(select(OidcIdentity))).scalars().all()
        changes = await crud_audit.list_events(s, tenant_id=tenant.id, action="user.role_change")
    assert [(i.user_id, i.issuer) for i in identities] == [(first_id, idp.issuer)]
    assert changes[0].data == {"from": "agent", "to": "admin", "via": "sso"}
    # A user made by SSO has no password that could ever match.
    r = await client.post("/api/v1/auth/login", json={"email": "wang.fang@bank.example", "password": "!sso"})
    assert r.status_code == 401


BENT_ID_TOKENS = [
    ({"aud": "another-client"}, "wrong_audience"),
    ({"exp_offset": -600}, "expired"),
    ({"tamper": True}, "bad_signature"),
    ({"nonce": "not-the-nonce-we-sent"}, "nonce_mismatch"),
]


async def test_a_bad_id_token_is_refused_and_nothing_is_kept(
    client: httpx.AsyncClient, container: Container, tenant: Tenant, admin: dict[str, str], idp: Provider
) -> None:
    await configure(client, admin, idp)
    idp.user("li.lei", password=IDP_PASSWORD, groups=["kefu-agents"])
    for bend, reason in BENT_ID_TOKENS:
        callback = await idp_round_trip(client, org="harbor", username="li.lei", password=IDP_PASSWORD)
        idp.bend_next_id_token(**bend)
        done = await client.get(callback)
        assert _fragment(done) == f"/console#sso_error={reason}", bend
        assert "kefu_session" not in client.cookies
        assert (await client.get("/api/v1/auth/me", headers=CSRF)).status_code == 401
    assert "li.lei@bank.example" not in await _users(container, tenant)
    assert (
        await _audit_reasons(container, tenant, "user.sso_login_failed")
        == [r for _, r in BENT_ID_TOKENS][::-1]
    )
    # The same person with a good token gets in (the refusals were the token's, not the person's).
    assert await _landing(client, "li.lei") == "/console#sso"


async def test_a_callback_with_another_state_or_from_another_browser_is_refused(
    client: httpx.AsyncClient, container: Container, tenant: Tenant, admin: dict[str, str], idp: Provider
) -> None:
    await configure(client, admin, idp)
    idp.user("zhao.lei", password=IDP_PASSWORD, groups=["kefu-agents"])
    callback = await idp_round_trip(client, org="harbor", username="zhao.lei", password=IDP_PASSWORD)
    forged = callback.replace("state=", "state=x")
    assert _fragment(await client.get(forged)) == "/console#sso_error=state_invalid"
    # The state cookie is gone with the refused attempt; a victim's browser without it is refused too
    # (login CSRF: an attacker's callback link does not sign someone else in).
    callback = await idp_round_trip(client, org="harbor", username="zhao.lei", password=IDP_PASSWORD)
    async with httpx.AsyncClient(transport=client._transport, base_url="http://testserver") as other:
        assert _fragment(await other.get(callback)) == "/console#sso_error=state_invalid"
    assert "zhao.lei@bank.example" not in await _users(container, tenant)
    # The right browser still completes it (the code was never redeemed).
    assert _fragment(await client.get(callback)) == "/console#sso"


async def test_a_person_without_a_mapped_group_is_refused(
    client: httpx.AsyncClient, container: Container, tenant: Tenant, admin: dict[str, str], idp: Provider
) -> None:
    await configure(client, admin, idp)
    idp.user("guest", password=IDP_PASSWORD, groups=["marketing"])
    assert await _landing(client, "guest") == "/console#sso_error=no_role"
    assert "guest@bank.example" not in await _users(container, tenant)
    assert await _audit_reasons(container, tenant, "user.sso_login_failed") == ["no_role"]
    # An organisation without SSO (or unknown) is told so, without reaching any IdP.
    r = await client.get("/api/v1/auth/sso/start", params={"org": "nobody", "next": "/admin"})
    assert (r.status_code, r.headers["location"]) == (303, "/admin#sso_error=not_configured")


async def test_a_user_disabled_at_the_idp_loses_access_at_the_next_recheck_and_the_stream_closes(
    client: httpx.AsyncClient, container: Container, tenant: Tenant, admin: dict[str, str], idp: Provider
) -> None:
    await configure(client, admin, idp, session_check_s=60)
    idp.user("chen.jing", password=IDP_PASSWORD, groups=["kefu-agents"])
    idp.user("sun.li", password=IDP_PASSWORD, groups=["kefu-agents"])
    await sso_login(client, org="harbor", username="sun.li", password=IDP_PASSWORD)
    stays = {"Authorization": "Bearer " + client.cookies["kefu_session"]}
    client.cookies.clear()
    await sso_login(client, org="harbor", username="chen.jing", password=IDP_PASSWORD)
    goes = {"Authorization": "Bearer " + client.cookies["kefu_session"]}
    client.cookies.clear()
    stream = asyncio.create_task(client.get("/api/v1/agent/events", headers=goes))
    await asyncio.sleep(0.5)
    assert not stream.done()

    before = idp.stats()
    idp.user("chen.jing", enabled=False)
    assert (await client.get("/api/v1/auth/me", headers=goes)).status_code == 200  # within the window
    with time_machine.travel(datetime.now(UTC) + timedelta(seconds=61), tick=True):
        # The stream re-checks, the IdP refuses the refresh: the stream says so and ends.
        body = (await asyncio.wait_for(stream, timeout=10)).text
        assert "event: session_ended" in body
        assert (await client.get("/api/v1/auth/me", headers=goes)).status_code == 401
        # Someone still enabled is renewed (one refresh) and keeps working, with a role change applied.
        idp.user("sun.li", groups=["kefu-admins"])
        me = await client.get("/api/v1/auth/me", headers=stays)
        assert (me.status_code, me.json()["role"]) == (200, "admin")
        assert (await client.get("/api/v1/auth/me", headers=stays)).status_code == 200
    after = idp.stats()
    assert after["refresh_refused"] - before["refresh_refused"] == 1
    assert after["refresh"] - before["refresh"] == 2  # once per login, not once per request
    assert await _audit_reasons(container, tenant, "user.sso_session_ended") == ["refresh_refused"]
    # Enabled again at the IdP: a new sign-in works (the kefu account itself was never deactivated).
    idp.user("chen.jing", enabled=True)
    assert await _landing(client, "chen.jing") == "/console#sso"


async def test_local_passwords_are_refused_once_the_tenant_turns_them_off(
    client: httpx.AsyncClient, container: Container, tenant: Tenant, admin: dict[str, str], idp: Provider
) -> None:
    agent = await login(client, tenant.agent_email)
    client.cookies.clear()
    # Not without a way for an admin to sign in through SSO.
    r = await client.put(
        "/api/v1/admin/sso", json=sso_config(idp, role_map={"kefu-agents": "agent"}, password_login_disabled=True),
        headers=admin,
    )  # fmt: skip
    assert (r.status_code, r.json()["error_code"]) == (422, "validation_error")
    assert (await client.get("/api/v1/admin/sso", headers=admin)).status_code == 404  # nothing half-written

    await configure(client, admin, idp)
    r = await client.patch("/api/v1/admin/sso", json={"password_login_disabled": True}, headers=admin)
    assert r.status_code == 200
    assert r.json()["password_login_disabled"] is True
    # Password logins already open end now (the admin's own included) ...
    assert (await client.get("/api/v1/auth/me", headers=agent)).status_code == 401
    assert (await client.get("/api/v1/auth/me", headers=admin)).status_code == 401
    # ... and new ones are refused, saying why only to someone who knows the password.
    r = await client.post("/api/v1/auth/login", json={"email": tenant.agent_email, "password": PASSWORD})
    assert (r.status_code, r.json()["error_code"]) == (403, "password_login_disabled")
    r = await client.post(
        "/api/v1/auth/login", json={"email": tenant.agent_email, "password": "wrong password"}
    )
    assert (r.status_code, r.json()["error_code"]) == (401, "invalid_credentials")
    # SSO still signs staff in.
    idp.user("he.ming", password=IDP_PASSWORD, groups=["kefu-admins"])
    assert await _landing(client, "he.ming") == "/console#sso"
    r = await client.get("/api/v1/admin/sso", headers=CSRF)
    assert r.status_code == 200
    assert r.json()["password_login_disabled"] is True


async def test_the_admin_api_checks_the_issuer_and_is_for_admins_only(
    client: httpx.AsyncClient, tenant: Tenant, admin: dict[str, str], idp: Provider
) -> None:
    bad = {
        "http://idp.bank.example": (422, "validation_error"),  # plain http off loopback
        "http://127.0.0.1:9/realms/none": (422, "sso_discovery_failed"),  # nobody answers
        idp.issuer + "/other": (422, "sso_discovery_failed"),  # no discovery document there
    }
    for issuer, expected in bad.items():
        r = await client.put("/api/v1/admin/sso", json=sso_config(idp, issuer=issuer), headers=admin)
        assert (r.status_code, r.json()["error_code"]) == expected, issuer
    r = await client.put("/api/v1/admin/sso", json=sso_config(idp, scopes="email profile"), headers=admin)
    assert r.status_code == 422
    r = await client.put("/api/v1/admin/sso", json=sso_config(idp, role_map={"x": "owner"}), headers=admin)
    assert r.status_code == 422
    agent = await login(client, tenant.agent_email)
    assert (await client.put("/api/v1/admin/sso", json=sso_config(idp), headers=agent)).status_code == 403
    await configure(client, admin, idp)
    r = await client.patch("/api/v1/admin/sso", json={"client_secret": "rotated"}, headers=admin)
    assert r.status_code == 200
    assert "rotated" not in r.text
    assert (await client.delete("/api/v1/admin/sso", headers=admin)).status_code == 204
    assert (await client.get("/api/v1/admin/sso", headers=admin)).status_code == 404
