"""Shared by the SSO tests: the test IdP process (``tests.oidc_provider``), the tenant's provider set up
through the admin API, and a browser's round trip through the IdP's sign-in page."""

from __future__ import annotations

import html
import re
from typing import Any

import httpx

from tests.oidc_provider import Provider

CLIENT_ID = "kefu-console"
CLIENT_SECRET = "s3cret-of-the-kefu-client"
APP = "http://testserver"
REDIRECT_URI = f"{APP}/api/v1/auth/sso/callback"
ROLE_MAP = {"kefu-admins": "admin", "kefu-agents": "agent"}
CSRF = {"X-Kefu-CSRF": "1"}


def sso_config(idp: Provider, **overrides: Any) -> dict[str, Any]:
    return {
        "issuer": idp.issuer,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "role_claim": "groups",
        "role_map": ROLE_MAP,
        **overrides,
    }


async def configure(
    client: httpx.AsyncClient, admin: dict[str, str], idp: Provider, **overrides: Any
) -> dict[str, Any]:
    r = await client.put("/api/v1/admin/sso", json=sso_config(idp, **overrides), headers=admin)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _form_fields(page: str) -> dict[str, str]:
    return {
        k: html.unescape(v)
        for k, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page)
    }


async def idp_round_trip(
    client: httpx.AsyncClient, *, org: str, username: str, password: str, next_page: str = "/console"
) -> str:
    """Start the sign-in at the app, sign in on the IdP's page: the callback URL the IdP redirects to."""
    r = await client.get("/api/v1/auth/sso/start", params={"org": org, "next": next_page})
    assert r.status_code == 302, r.text
    authorize = r.headers["location"]
    async with httpx.AsyncClient(timeout=10) as browser:
        page = await browser.get(authorize)
        assert page.status_code == 200, page.text
        fields = {**_form_fields(page.text), "username": username, "password": password}
        done = await browser.post(authorize.split("?")[0], data=fields)
    assert done.status_code == 302, done.text
    location: str = done.headers["location"]
    assert location.startswith(REDIRECT_URI)
    return location


async def sso_login(client: httpx.AsyncClient, *, org: str, username: str, password: str) -> httpx.Response:
    """The whole sign-in; returns the app's answer to the callback (a redirect to the console)."""
    callback = await idp_round_trip(client, org=org, username=username, password=password)
    return await client.get(callback)
