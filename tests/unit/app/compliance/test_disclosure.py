"""The widget's AI disclosure: the tenant's text (zh/en), defaults until an admin sets it, served to the
widget key from its allowed origins only, changes audited."""

from __future__ import annotations

import httpx

from app.container import Container
from app.db import crud_audit
from tests.unit.app.helpers import ORIGIN, Tenant, login, seed_tenant

URL = "/api/v1/chat/disclosure"


async def test_the_widget_gets_its_tenants_disclosure_from_allowed_origins_only(
    client: httpx.AsyncClient, container: Container, tenant: Tenant
) -> None:
    key = {"X-Widget-Key": tenant.widget_key, "Origin": ORIGIN}
    zh = await client.get(URL, headers=key)
    assert zh.status_code == 200, zh.text
    assert "AI" in zh.json()["text"]
    assert "人工" in zh.json()["text"]
    assert zh.headers["access-control-allow-origin"] == ORIGIN
    en = (await client.get(URL + "?lang=en", headers=key)).json()
    assert "AI assistant" in en["text"]
    assert "person" in en["text"]
    assert (await client.get(URL, headers={**key, "Origin": "https://evil.example"})).status_code == 403
    assert (await client.get(URL, headers={**key, "X-Widget-Key": "kefu_pk_nope"})).status_code == 401
    assert (await client.get(URL + "?lang=fr", headers=key)).status_code == 422

    admin = await login(client, tenant.admin_email)
    mine = {
        "zh": "我是海港银行的AI助手，输入“人工”即可转接客服。",
        "en": "I am Harbor Bank's AI assistant; type 'agent' for a person.",
    }
    r = await client.put("/api/v1/admin/compliance/disclosure", json=mine, headers=admin)
    assert r.status_code == 200, r.text
    assert (await client.get(URL, headers=key)).json()["text"] == mine["zh"]
    assert (await client.get(URL + "?lang=en", headers=key)).json()["text"] == mine["en"]
    bad = await client.put("/api/v1/admin/compliance/disclosure", json={"zh": "", "en": "x"}, headers=admin)
    assert bad.status_code == 422
    # another tenant keeps the defaults
    other = await seed_tenant(container, "other")
    theirs = (await client.get(URL, headers={"X-Widget-Key": other.widget_key, "Origin": ORIGIN})).json()
    assert theirs["text"] == zh.json()["text"]
    async with container.sessions() as s:
        [event] = await crud_audit.list_events(s, tenant_id=tenant.id, action="disclosure.update")
    assert event.data["after"] == mine


def test_the_widget_shows_the_disclosure_as_text_before_the_first_message() -> None:
    from app.web.pages import AREAS

    script = (AREAS["widget"] / "widget.js").read_text(encoding="utf-8")
    assert '"/disclosure")' in script
    assert 'note(text, "disclosure")' in script  # note() sets textContent, never HTML
    assert script.count("showDisclosure();") == 2  # on mount and on a new chat
