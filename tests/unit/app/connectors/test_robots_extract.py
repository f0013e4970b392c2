"""robots.txt (RFC 9309 reading of missing / failing files) and the main-content extraction that feeds
our HTML loader (menus and footers out, headings and tables kept)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.connectors import extract
from app.connectors.demo_site import HelpCentre
from app.connectors.robots import fetch_robots, parse_robots
from app.connectors.safety import SafeFetcher, WebPolicy
from retrieval.config import RetrievalConfig
from retrieval.loaders import load_document

PAGE = b"""<!doctype html><html><head><title>Lost card | Harbor</title></head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/fees.html#top">Fees</a></li><li><a href="mailto:x@y">Mail</a></li></ul></nav>
<main><h1>Report a lost card</h1>
<p>Call 95396 at once: the card is frozen within minutes of your call and a new one is posted to you.</p>
<h2>Replacement fee</h2><p>The first replacement each year is free; later ones cost CNY 10.</p>
<table><tr><th>Card</th><th>Fee</th></tr><tr><td>Classic</td><td>CNY 10</td></tr></table></main>
<footer><p>Copyright Harbor Bank. Cookie settings. Careers.</p></footer></body></html>"""


def test_robots_rules() -> None:
    robots = parse_robots("User-agent: *\nDisallow: /internal/\nCrawl-delay: 2\n")
    assert robots.allows("kefu-sync/1.0", "http://h/help/a.html")
    assert not robots.allows("kefu-sync/1.0", "http://h/internal/x.html")
    assert robots.crawl_delay("kefu-sync/1.0") == 2.0


@pytest.mark.parametrize(("status", "allowed"), [(404, True), (403, True), (500, False)])
async def test_robots_missing_or_failing(tmp_path: Path, status: int, allowed: bool) -> None:
    with HelpCentre(tmp_path) as site:
        if status == 500:
            site.redirects["/robots.txt"] = "/robots.txt"  # a loop: unreadable, like a server error
        elif status == 403:
            site.gone.add("/robots.txt")  # 410: a 4xx
        async with SafeFetcher(WebPolicy(frozenset({"127.0.0.1"}), True), user_agent="t", timeout_s=5,
                               max_redirects=2, max_bytes=10_000) as f:  # fmt: skip
            robots = await fetch_robots(f, site.base_url + "/")
    assert robots.allows("t", site.base_url + "/a.html") is allowed


def test_main_content_keeps_structure_and_drops_the_chrome() -> None:
    title, doc = extract.main_content(PAGE)
    assert title == "Lost card | Harbor"
    parsed = load_document(doc, "page.html", RetrievalConfig())
    kinds = [(b.kind, b.text[:24]) for b in parsed.blocks]
    assert ("heading", "Report a lost card") in kinds
    assert ("heading", "Replacement fee") in kinds
    assert any(b.kind == "table_row" and "Classic" in b.text for b in parsed.blocks)
    assert "Cookie" not in parsed.text
    assert "Careers" not in parsed.text
    assert "Home" not in parsed.text
    assert parsed.title == "Lost card | Harbor"


def test_the_hash_ignores_the_chrome() -> None:
    _, a = extract.main_content(PAGE)
    _, b = extract.main_content(PAGE.replace(b"Careers.", b"Careers. New footer link."))
    _, c = extract.main_content(PAGE.replace(b"CNY 10.", b"CNY 20."))
    assert extract.content_hash(a) == extract.content_hash(b)
    assert extract.content_hash(a) != extract.content_hash(c)


def test_links() -> None:
    assert extract.links_of(PAGE, "http://h/help/lost.html") == ["http://h/", "http://h/fees.html"]
