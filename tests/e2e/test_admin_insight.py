"""The admin console's analytics and access pages in Chromium, on a tenant of their own (so the demo
tenant's queue and KB, which the other browser tests use, are untouched):

- analytics: the seeded conversations (``analytics_seed``) drawn as KPI tiles, SVG charts and the top
  unanswered questions; a time zone moves a conversation into the period;
- users: add an agent, promote, demote (audited), and the last admin refused;
- API keys: the key shown once works against the API, is gone from the page when the dialog closes, and
  stops working when revoked;
- widget keys: an origin added on the page lets that site start a conversation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from app.auth.credentials import hash_password, new_widget_key
from app.db import crud_tenancy
from tests.e2e.server import E2EServer
from tests.unit.app import analytics_seed

ADMIN = "ops@insight.example"
PASSWORD = "insight e2e password"
SITE = "https://insight.bank.example"
HELP_SITE = "https://help.insight.example"


@pytest.fixture(scope="module")
def insight_tenant(e2e_server: E2EServer) -> str:
    async def seed() -> str:
        assert e2e_server.container is not None
        async with e2e_server.container.sessions() as s:
            t = await crud_tenancy.create_tenant(s, slug="insight-e2e", name="Insight Bank")
            other = await crud_tenancy.create_tenant(s, slug="insight-e2e-other", name="Other")
            await crud_tenancy.create_user(
                s, tenant_id=t.id, email=ADMIN, password_hash=hash_password(PASSWORD), role="admin"
            )
            await crud_tenancy.create_widget_key(
                s, tenant_id=t.id, public_key=new_widget_key(), name="site", allowed_origins=[SITE]
            )
            await s.commit()
            await analytics_seed.seed(s, t.id, other.id)
            return t.id

    return e2e_server.run(seed())


def admin_page(new_page: Callable[..., Any], route: str) -> Any:
    pg = new_page(locale="en-GB")
    pg.goto("/admin")
    pg.get_by_label("Email").fill(ADMIN)
    pg.get_by_label("Password").fill(PASSWORD)
    pg.get_by_role("button", name="Log in").click()
    pg.locator("#admin-nav a").first.wait_for()
    pg.goto("/admin#/" + route)
    return pg


def confirm(pg: Any) -> None:
    pg.locator("#dialog-ok").click()
    pg.locator("#dialog").wait_for(state="hidden")


def test_analytics_page_draws_the_seeded_figures(
    new_page: Callable[..., Any], insight_tenant: str, shot: Callable[[Any, str], Any]
) -> None:
    pg = admin_page(new_page, "analytics?start=2026-03-01&end=2026-03-03&tz=UTC&window=60")
    kpi = lambda name: pg.locator(f"#kpi-{name} .kpi-value")  # noqa: E731
    kpi("conversations").wait_for()
    # Figures of analytics_seed.EXPECTED; the seed lies months in the past, so C7's window has passed
    # too (assumed): resolution (3 + 2) / 8.
    assert kpi("conversations").inner_text() == "8"
    assert kpi("resolution").inner_text() == "62.5%"
    assert kpi("handoff").inner_text() == "25.0%"
    assert kpi("dontknow").inner_text() == "36.4%"
    assert kpi("csat").inner_text() == "3.00 / 5"
    assert pg.locator("svg.chart").count() == 7
    per_day = pg.locator("svg.chart").first
    # 03-01: 2 confirmed + 1 assumed; 03-02: 1 confirmed + 3 other; 03-03: 1 assumed.
    assert per_day.locator("rect.bar").count() == 5
    titles = per_day.locator("rect.bar title").all_text_contents()
    assert "03-01 · Confirmed: 2" in titles
    assert "03-02 · Other: 3" in titles
    pg.get_by_text("Show as a table").click()
    assert pg.locator("#per-day-table tbody tr").first.locator("td").all_inner_texts() == [
        "2026-03-01", "3", "2", "1", "1",
    ]  # fmt: skip
    first = pg.locator("#unanswered-table tbody tr").first
    assert first.locator("td").nth(0).locator(".passage").inner_text() == analytics_seed.CLOSE_Q
    assert first.locator("td").nth(1).inner_text() == "3"
    assert first.locator(".variants li").all_inner_texts() == [analytics_seed.CLOSE_Q2]
    assert analytics_seed.CARD_Q in pg.locator("#unanswered-table").inner_text()
    shot(pg, "admin-analytics")

    pg.locator("#an-tz").select_option("Asia/Shanghai")
    pg.get_by_role("button", name="Show").click()
    pg.wait_for_function("() => location.hash.includes('Asia%2FShanghai')")
    pg.locator("#kpi-conversations .kpi-value").filter(has_text="9").wait_for()


def test_users_keys_and_widget_keys_pages(
    new_page: Callable[..., Any], insight_tenant: str, e2e_server: E2EServer, shot: Callable[[Any, str], Any]
) -> None:
    api = e2e_server.base_url + "/api/v1"
    pg = admin_page(new_page, "users")
    pg.get_by_role("button", name="Add user").click()
    pg.locator("#nu-email").fill("new.agent@insight.example")
    pg.locator("#nu-password").fill("a long password")
    pg.locator("#dialog-ok").click()
    row = pg.locator('tr[data-email="new.agent@insight.example"]')
    row.wait_for()
    assert "Agent" in row.inner_text()
    row.get_by_role("button", name="Make admin").click()
    confirm(pg)
    row.locator(".k-badge", has_text="Admin").wait_for()
    row.get_by_role("button", name="Make agent").click()
    confirm(pg)
    row.locator(".k-badge", has_text="Agent").wait_for()
    me = pg.locator(f'tr[data-email="{ADMIN}"]')
    me.get_by_role("button", name="Deactivate").click()
    confirm(pg)
    pg.locator(".k-toast", has_text="last active admin").wait_for()
    assert "Active" in me.inner_text()
    shot(pg, "admin-users")

    pg.goto("/admin#/audit?action=user.role_change")
    pg.locator('#audit-table tbody tr[data-action="user.role_change"]').nth(1).wait_for()
    assert pg.locator("#audit-table tbody tr").count() == 2
    assert '"to":"agent"' in pg.locator("#audit-table tbody tr").first.inner_text()
    shot(pg, "admin-audit")

    pg.goto("/admin#/api-keys")
    pg.get_by_role("button", name="Create key").click()
    pg.locator("#ak-name").fill("crm")
    pg.locator("#dialog-ok").click()
    secret = pg.locator("#api-key-value")
    secret.wait_for()
    key = secret.inner_text()
    assert key.startswith("kefu_sk_")
    shot(pg, "admin-api-key-once")
    assert httpx.get(api + "/agent/handoffs", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    pg.get_by_role("button", name="I have saved it").click()
    pg.locator("#dialog").wait_for(state="hidden")
    pg.wait_for_function("() => !document.getElementById('api-key-value')")
    assert key not in pg.content()
    crm = pg.locator('#api-keys-table tr[data-name="crm"]')
    crm.get_by_role("button", name="Revoke").click()
    confirm(pg)
    crm.locator(".k-badge", has_text="Revoked").wait_for()
    assert httpx.get(api + "/agent/handoffs", headers={"Authorization": f"Bearer {key}"}).status_code == 401

    pg.goto("/admin#/widget-keys")
    site = pg.locator('#widget-keys-table tr[data-name="site"]')
    public_key = site.locator(".mono").first.inner_text()
    start = {"json": {"widget_key": public_key}, "headers": {"Origin": HELP_SITE}}
    assert httpx.post(api + "/chat/conversations", **start).status_code == 403
    site.get_by_role("button", name="Edit origins").click()
    pg.locator("#wk-origins").fill(f"{SITE}\n{HELP_SITE}")
    pg.locator("#dialog-ok").click()
    site.locator("li", has_text=HELP_SITE).wait_for()
    assert httpx.post(api + "/chat/conversations", **start).status_code == 201
    shot(pg, "admin-widget-keys")
