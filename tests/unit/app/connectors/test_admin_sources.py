"""The admin API of knowledge sources: what it refuses (private addresses, folders outside the allowed
roots, a second sync of a source while one runs), a sync followed to its report, tenant scoping."""

from __future__ import annotations

from pathlib import Path

import httpx

from app.connectors.demo_site import HelpCentre
from app.container import Container
from app.db import crud_sources
from tests.unit.app.helpers import Tenant, login, parse_sse, seed_tenant


async def test_private_addresses_and_foreign_folders_are_refused(
    client: httpx.AsyncClient, kb: Container, bank: Tenant, tmp_path: Path
) -> None:
    h = await login(client, bank.admin_email)
    for url in (
        "http://127.0.0.1:8010/",
        "http://10.0.0.7/help",
        "http://[::1]/",
        "http://169.254.169.254/latest",
    ):
        r = await client.post("/api/v1/admin/sources", json={"kind": "web", "url": url}, headers=h)
        assert r.status_code == 422, (url, r.text)
        assert r.json()["error_code"] == "source_refused"
    r = await client.post(
        "/api/v1/admin/sources", json={"kind": "web", "url": "ftp://help.bank.example/"}, headers=h
    )
    assert r.json()["error_code"] == "source_refused"
    r = await client.post(
        "/api/v1/admin/sources",
        json={"kind": "web", "url": "http://127.0.0.1/", "allow_private": True},
        headers=h,
    )
    assert r.status_code == 422  # not a field of the API: only the operator allows private addresses
    r = await client.post("/api/v1/admin/sources", json={"kind": "folder", "path": str(tmp_path)}, headers=h)
    assert r.status_code == 422
    assert "CONNECTORS__FOLDER_ROOTS" in r.json()["detail"]
    r = await client.post(
        "/api/v1/admin/sources",
        json={"kind": "web", "url": "https://help.bank.example/", "include": ["/help/*"]},
        headers=h,
    )
    assert r.status_code == 201, r.text
    assert r.json()["config"]["hosts"] == ["help.bank.example"]
    assert r.json()["config"]["allow_private"] is False


async def test_sync_through_the_api(
    client: httpx.AsyncClient, kb: Container, bank: Tenant, site: HelpCentre
) -> None:
    from app.connectors import sources
    from app.kb.versions import SYSTEM

    config = sources.web_config(sources.WebSourceSpec(sitemap=site.base_url + "/sitemap.xml", allow_private=True,
                                                      delay_s=0), kb.settings.connectors)  # fmt: skip
    row = await sources.add_source(
        kb, tenant_id=bank.id, kind="web", config=config, actor=SYSTEM, name="help"
    )
    h = await login(client, bank.admin_email)
    listed = (await client.get("/api/v1/admin/sources", headers=h)).json()
    assert [s["name"] for s in listed] == ["help"]
    assert listed[0]["last_sync"] is None
    r = await client.post(f"/api/v1/admin/sources/{row.id}/sync", headers=h)
    assert r.status_code == 202
    sync_id = r.json()["sync_id"]
    r = await client.get(f"/api/v1/admin/sources/syncs/{sync_id}/events", headers=h)
    events = parse_sse(r.text)
    assert events[-1][0] == "sync"
    last = events[-1][1]
    assert last["status"] == "succeeded"
    assert last["active"] is True
    assert last["counts"]["added"] == 6
    assert any(i["code"] == "robots_disallowed" for i in last["items"])
    assert last["gate"]["allowed"] is True
    assert last["elapsed_s"] > 0
    runs = (await client.get(f"/api/v1/admin/sources/{row.id}/syncs", headers=h)).json()
    assert [r["id"] for r in runs] == [sync_id]

    # a second run while one is open
    async with kb.sessions() as s:
        await crud_sources.create_sync(
            s, tenant_id=bank.id, source_id=row.id, trigger="manual", created_by=None
        )
        await s.commit()
    r = await client.post(f"/api/v1/admin/sources/{row.id}/sync", headers=h)
    assert r.status_code == 409
    assert r.json()["error_code"] == "sync_in_progress"

    other = await seed_tenant(kb, "other")
    h2 = await login(client, other.admin_email)
    assert (await client.get(f"/api/v1/admin/sources/syncs/{sync_id}", headers=h2)).status_code == 404
    assert (await client.post(f"/api/v1/admin/sources/{row.id}/sync", headers=h2)).status_code == 404
    assert (await client.get("/api/v1/admin/sources", headers=h2)).json() == []
