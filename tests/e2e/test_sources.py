"""Knowledge sources in Chromium: the demo bank's help centre (``data/demo_helpcentre``, served on a
loopback port by ``app.connectors.demo_site.HelpCentre``, what ``kefu demo-site`` runs) is added as a
website source, synced from the admin Sources page (live report: counts, gate, version), and a customer
then gets an answer citing the synced page, with a link to its address.

A loopback address is refused through the admin API by design (the page shows the refusal); the source
itself is added the operator's way (``kefu source add web --allow-private``: ``sources.web_config`` with
``allow_private``), on the e2e server's own container.

The real stack of ``tests/e2e/server.py`` (e5 embeddings, FAISS + BM25, the golden gate with the demo
golden questions, the extractive LLM).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from app.connectors.demo_site import HelpCentre
from tests.e2e.server import ROOT, E2EServer
from tests.e2e.support import W, ask, open_widget
from tests.e2e.test_admin import admin_login

pytestmark = pytest.mark.e2e

SITE = ROOT / "data" / "demo_helpcentre"
PAGES = 8  # the sitemap's pages (robots.txt keeps /internal/ out; it is not in the sitemap either)
QUESTION = "How many days ahead can I book a branch appointment in the app?"
PAGE = "/branches/appointments.html"


@pytest.fixture
def help_centre() -> Iterator[HelpCentre]:
    with HelpCentre(SITE) as site:
        yield site


def _add_source(server: E2EServer, site: HelpCentre) -> str:
    """``kefu source add web --sitemap {site}/sitemap.xml --allow-private --delay 0`` on the server."""
    from app.connectors import sources
    from app.kb.versions import SYSTEM

    assert server.container is not None
    assert server.seed is not None
    container, tenant_id = server.container, server.seed.tenant_id

    async def go() -> str:
        spec = sources.WebSourceSpec(sitemap=site.base_url + "/sitemap.xml", allow_private=True, delay_s=0)
        config = sources.web_config(spec, container.settings.connectors)
        row = await sources.add_source(
            container, tenant_id=tenant_id, kind="web", config=config, actor=SYSTEM, name="help-centre"
        )
        return row.id

    return server.run(go())


def _top_hits(server: E2EServer) -> list[tuple[str, float]]:
    """The active version's top hits for ``QUESTION`` (what a failed answer is compared with)."""
    from app.kb import admin as kb_admin

    assert server.container is not None
    assert server.seed is not None
    res = server.run(
        kb_admin.hit_test(
            server.container, tenant_id=server.seed.tenant_id, query=QUESTION, target="active", k=3
        )
    )
    return [(str(h["source"]), float(h["score"])) for h in res.hits]


def test_a_help_centre_synced_from_the_sources_page_answers_with_a_link_to_its_page(
    page: Any,
    browser: Any,
    e2e_server: E2EServer,
    help_centre: HelpCentre,
    shot: Callable[[Any, str], Any],
) -> None:
    admin_login(page, e2e_server)
    page.get_by_role("link", name="数据源同步").click()
    page.locator("#source-add").wait_for()

    # The admin API refuses a loopback help centre: the form says why and adds nothing.
    page.locator("#source-add").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("起始网址").fill(help_centre.base_url + "/")
    dialog.get_by_role("button", name="保存").click()
    error = dialog.locator("p.k-error-text")
    page.wait_for_function(
        "() => [...document.querySelectorAll('#dialog p.k-error-text')]"
        ".some((p) => p.textContent.includes('127.0.0.1'))"
    )
    assert "loopback" in error.inner_text() or "private" in error.inner_text(), error.inner_text()
    dialog.get_by_role("button", name="取消").click()
    assert page.locator("#sources-table").count() == 0

    source_id = _add_source(e2e_server, help_centre)
    page.reload()
    row = page.locator(f"#sources-table tr[data-source='{source_id}']")
    assert "从未同步" in row.inner_text()
    row.get_by_role("button", name="立即同步").click()

    done = page.locator(
        "#sync-live .sync-report[data-status=succeeded], #sync-live .sync-report[data-status=failed]"
    )
    done.wait_for(timeout=180_000)
    report = page.locator("#sync-live").inner_text()
    shot(page, "admin-sources-synced")
    assert done.get_attribute("data-status") == "succeeded", report
    counts = page.locator("#sync-live .sync-counts").inner_text()
    assert f"新增 {PAGES}" in counts, counts
    assert "失败 0" in counts, counts
    assert "黄金问题检查通过" in report, report
    assert "已生效" in report, report
    items = page.locator("#sync-live .sync-items tr[data-outcome=added]")
    assert items.count() == PAGES
    assert help_centre.base_url + PAGE in page.locator("#sync-live .sync-items").inner_text()
    assert help_centre.hits["/internal/staff-notes.html"] == 0
    # The list shows the finished run too.
    row.locator(".k-badge.ok").wait_for()
    assert int(row.locator("td.num").inner_text()) == PAGES

    customer = browser.new_context(base_url=e2e_server.base_url, locale="zh-CN").new_page()
    try:
        open_widget(customer)
        reply = ask(customer, QUESTION)
        text = reply.locator(".text").inner_text()
        assert "14 days ahead" in text, (text, _top_hits(e2e_server))
        titles = [s.inner_text() for s in reply.locator(".source").all()]
        cited = [i for i, t in enumerate(titles) if "appointment" in t.lower()]
        assert cited, titles
        reply.locator(".source").nth(cited[0]).click()
        link = customer.locator(f"{W} .sheet a.sheet-link")
        link.wait_for()
        assert link.get_attribute("href") == help_centre.base_url + PAGE
        assert link.get_attribute("target") == "_blank"
        assert "noopener" in (link.get_attribute("rel") or "")
        assert "14 days ahead" in customer.locator(f"{W} .sheet-body").inner_text()
        shot(customer, "widget-cites-help-centre-page")
    finally:
        customer.context.close()
