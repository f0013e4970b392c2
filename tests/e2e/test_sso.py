"""Staff single sign-on in the browser: Chromium goes from the agent console's SSO button to a real OpenID
Connect provider (``tests.oidc_provider``, its own process), signs in on the provider's page, and lands in
the console signed in as the user made just in time; a person without a mapped group lands back on the
sign-in view with the reason; the admin console takes the same route."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.server import E2EServer
from tests.oidc_provider import Provider, running_provider

CLIENT_ID, CLIENT_SECRET = "kefu-e2e", "e2e-client-secret"
IDP_PASSWORD = "idp-password-e2e"


@pytest.fixture
def idp(e2e_server: E2EServer) -> Iterator[Provider]:
    """The provider, registered as the demo tenant's IdP through the admin API (removed afterwards: the
    server is shared by the browser tests)."""
    from app.demo import ADMIN_EMAIL

    assert e2e_server.seed is not None
    base = e2e_server.base_url
    with running_provider() as provider:
        provider.register_client(CLIENT_ID, CLIENT_SECRET, [f"{base}/api/v1/auth/sso/callback"])
        login = httpx.post(
            f"{base}/api/v1/auth/login",
            json={"email": ADMIN_EMAIL, "password": e2e_server.seed.admin_password},
            timeout=30,
        )
        admin = {"Authorization": "Bearer " + login.json()["token"]}
        config = {
            "issuer": provider.issuer,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "role_map": {"kefu-agents": "agent", "kefu-admins": "admin"},
        }
        r = httpx.put(f"{base}/api/v1/admin/sso", json=config, headers=admin, timeout=30)
        assert r.status_code == 200, r.text
        try:
            yield provider
        finally:
            httpx.delete(f"{base}/api/v1/admin/sso", headers=admin, timeout=30)


def _sign_in_at_the_idp(pg: Any, username: str) -> None:
    pg.get_by_role("button", name="统一身份认证（SSO）").click()
    pg.get_by_role("heading", name="Test IdP sign-in").wait_for()
    pg.get_by_label("Username").fill(username)
    pg.get_by_label("Password").fill(IDP_PASSWORD)
    pg.get_by_role("button", name="Sign in").click()


def test_staff_sign_in_through_the_identity_provider(
    idp: Provider, new_page: Callable[..., Any], shot: Callable[[Any, str], Any], e2e_server: E2EServer
) -> None:
    idp.user("zhou.min", password=IDP_PASSWORD, email="zhou.min@harbor.example", groups=["kefu-agents"])
    idp.user("visitor", password=IDP_PASSWORD, email="visitor@harbor.example", groups=["marketing"])

    agent = new_page()
    agent.goto("/console?org=harbor")  # the link the admin API gives (sign_in_url)
    _sign_in_at_the_idp(agent, "zhou.min")
    agent.get_by_role("heading", name="会话队列").wait_for()
    assert agent.url == f"{e2e_server.base_url}/console"  # back on the console, the "#sso" marker cleared
    assert agent.locator("#user-name").text_content() == "zhou.min@harbor.example"
    shot(agent, "sso-console-signed-in")
    agent.reload()  # the tab stays signed in (the session cookie)
    agent.get_by_role("heading", name="会话队列").wait_for()
    agent.get_by_role("button", name="退出").click()
    agent.get_by_label("机构代码").wait_for()

    refused = new_page()
    refused.goto("/console")
    refused.get_by_label("机构代码").fill("harbor")
    _sign_in_at_the_idp(refused, "visitor")
    refused.get_by_text("您的账号未被授权使用本系统，请联系管理员。").wait_for()
    shot(refused, "sso-console-refused")

    # Promoted at the IdP: the admin console, in English, takes the same route.
    idp.user("zhou.min", groups=["kefu-admins"])
    admin = new_page(locale="en-US")
    admin.goto("/admin?org=harbor")
    admin.get_by_role("button", name="Sign in with SSO").click()
    admin.get_by_label("Username").fill("zhou.min")
    admin.get_by_label("Password").fill(IDP_PASSWORD)
    admin.get_by_role("button", name="Sign in").click()
    admin.get_by_role("navigation").get_by_role("link").first.wait_for()
    assert admin.locator("#user-name").text_content() == "zhou.min@harbor.example"
    # The admin's page for the tenant's SSO shows what the API set (never the secret).
    admin.get_by_role("navigation").get_by_role("link", name="Single sign-on").click()
    assert admin.get_by_label("Issuer URL").input_value() == idp.issuer
    assert admin.get_by_label("Client secret").input_value() == ""
    assert CLIENT_SECRET not in admin.content()
    shot(admin, "sso-admin-signed-in")
