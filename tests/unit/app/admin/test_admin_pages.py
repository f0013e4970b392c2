"""The admin console page: served by the app with the pages' security headers, its page modules listed
from ``app/web/admin/pages`` and each of them served; nothing outside the area is."""

from __future__ import annotations

import re

import httpx

from app.api.routes.admin_pages import admin_pages
from app.web.pages import AREAS


async def test_the_admin_shell_lists_every_page_module(client: httpx.AsyncClient) -> None:
    r = await client.get("/admin", headers={"accept-language": "en-GB"})
    assert r.status_code == 200
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY"
    listed = re.search(r'data-pages="([^"]*)"', r.text)
    assert listed is not None
    names = listed.group(1).split()
    assert "documents" in names
    assert names == admin_pages()
    assert names == sorted(p.stem for p in (AREAS["admin"] / "pages").glob("*.js"))
    assert '<html lang="en">' in r.text
    for name in ["admin.js", "admin.css", "common.js", *[f"pages/{n}.js" for n in names]]:
        asset = await client.get(f"/static/admin/{name}")
        assert asset.status_code == 200, name
        assert asset.headers["x-content-type-options"] == "nosniff"
    zh = await client.get("/admin")
    assert zh.status_code == 200
    assert '<html lang="zh-CN">' in zh.text


async def test_templates_and_paths_outside_the_area_are_not_served(client: httpx.AsyncClient) -> None:
    assert (await client.get("/static/admin/admin.html")).status_code == 404
    assert (await client.get("/static/admin/%2e%2e/pages.py")).status_code == 404
