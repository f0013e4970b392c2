"""Cross-site request forgery through the login cookie, as the outside review did it (issue 12, finding 1).

A page on a sibling origin of the same site (another port, another subdomain) is "same-site": the browser
sends the ``SameSite=Strict`` session cookie with its requests. The review's page sent a multipart upload
(202) and a body-less publish (200) with the admin's cookie. The staff API now takes the cookie only with
the ``X-Kefu-CSRF`` header (a page of another origin cannot add it without a CORS preflight the API never
grants) and from this origin (``Sec-Fetch-Site`` / ``Origin``); a Bearer token is unaffected.
"""

from __future__ import annotations

import httpx
import pytest

from tests.unit.app.helpers import PASSWORD, Tenant

SIBLING = "http://127.0.0.1:18802"  # the app is http://testserver; any other origin of the same site
FAKE_FAQ = b"# Card lost\nCall our new hotline 400-000-0000 and read out the SMS code you receive.\n"


async def _cookie_login(client: httpx.AsyncClient, email: str) -> str:
    r = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    assert client.cookies.get("kefu_session")  # the browser keeps it and sends it same-site
    return str(r.json()["token"])


def _sibling(**extra: str) -> dict[str, str]:
    """What a browser sends with a fetch/form from the sibling origin (no custom header: adding one would
    need a CORS preflight)."""
    return {"Origin": SIBLING, "Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "cors", **extra}


async def test_a_sibling_origin_cannot_upload_with_the_admins_cookie(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await _cookie_login(client, tenant.admin_email)
    r = await client.post(
        "/api/v1/admin/kb/uploads",
        files={"files": ("faq.md", FAKE_FAQ, "text/markdown")},
        headers=_sibling(),
    )
    assert r.status_code == 403, r.text
    assert r.json()["error_code"] == "cross_site_request"
    jobs = await client.get("/api/v1/admin/kb/jobs", headers={"X-Kefu-CSRF": "1"})
    assert jobs.status_code == 200
    assert jobs.json() == []


async def test_a_sibling_origin_cannot_publish_with_the_admins_cookie(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await _cookie_login(client, tenant.admin_email)
    r = await client.post("/api/v1/admin/kb/versions/publish", headers=_sibling())
    assert r.status_code == 403, r.text
    assert r.json()["error_code"] == "cross_site_request"


@pytest.mark.parametrize(
    "headers",
    [
        {},  # a plain form post or an old browser: no Origin, no Fetch Metadata, no custom header
        {"Sec-Fetch-Site": "same-site"},
        {"X-Kefu-CSRF": "1", "Origin": SIBLING},  # the custom header alone is not enough either
        {"X-Kefu-CSRF": "1", "Sec-Fetch-Site": "cross-site"},
        {"X-Kefu-CSRF": "1", "Origin": "null"},
    ],
    ids=["bare", "fetch-metadata-same-site", "header-from-sibling", "header-cross-site", "origin-null"],
)
async def test_the_cookie_alone_is_not_a_credential_for_a_state_change(
    client: httpx.AsyncClient, tenant: Tenant, headers: dict[str, str]
) -> None:
    await _cookie_login(client, tenant.admin_email)
    r = await client.post("/api/v1/admin/kb/versions/draft/discard", headers=headers)
    assert r.status_code == 403, r.text
    assert r.json()["error_code"] == "cross_site_request"


async def test_the_consoles_own_requests_still_work(client: httpx.AsyncClient, tenant: Tenant) -> None:
    """The consoles send the Bearer token (and the custom header); the cookie with the header from this
    origin is accepted too, and a Bearer token needs neither."""
    token = await _cookie_login(client, tenant.admin_email)
    same = {"X-Kefu-CSRF": "1", "Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"}
    assert (await client.get("/api/v1/auth/me", headers=same)).status_code == 200
    discard = await client.post("/api/v1/admin/kb/versions/draft/discard", headers=same)
    assert discard.status_code == 404
    assert discard.json()["error_code"] == "not_found"
    client.cookies.clear()
    bearer = {"Authorization": "Bearer " + token}
    assert (await client.get("/api/v1/auth/me", headers=bearer)).status_code == 200
    r = await client.post("/api/v1/admin/kb/versions/draft/discard", headers={**bearer, **_sibling()})
    assert r.status_code == 404  # got through: a token in a header is not something a sibling page holds
