"""Fixtures of the connector tests: the container over a real SQLite database with the real index store
on the model-free ``HashEmbedder`` behind the real embedding cache (so a test can count what was
embedded), the real job functions on the in-process queue, and a help centre served on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.connectors.demo_site import HelpCentre
from app.container import Container
from retrieval.embedders.cache import CachedEmbedder
from retrieval.testing import HashEmbedder
from retrieval.text import KeywordAnalyzer
from tests.unit.app.helpers import Tenant, seed_tenant, use_real_index


@pytest.fixture
def kb(container: Container, keyword_analyzer: KeywordAnalyzer) -> Container:
    embedder = CachedEmbedder(HashEmbedder(), container.settings.data_dir / "embeddings")
    embedder.warm_up()
    return use_real_index(container, keyword_analyzer, embedder=embedder)


@pytest.fixture
async def bank(kb: Container) -> Tenant:
    return await seed_tenant(kb, "harbor")


def page(title: str, body: str, *, footer: str = "Copyright Harbor Bank") -> str:
    return (
        f"<!doctype html><html><head><title>{title}</title></head><body>"
        f"<nav><a href='/'>Home</a> <a href='/contact.html'>Contact</a></nav>"
        f"<main><h1>{title}</h1><p>{body}</p></main><footer><p>{footer}</p></footer></body></html>"
    )


def sitemap(paths: list[str]) -> str:
    urls = "".join(f"<url><loc>{{{{BASE}}}}/{p}</loc></url>" for p in paths)
    return f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'


TOPICS = {
    1: ("Card fees", "The annual fee of the zorblax1 card is waived after six purchases a year."),
    2: ("Branch hours", "Branches open at nine; the zorblax2 counter closes at four on Fridays."),
    3: ("Lost cards", "Report a lost zorblax3 card at once by calling the hotline 95396."),
    4: ("Mortgage calculator", "The zorblax4 calculator shows monthly payments for any term."),
    5: ("Foreign exchange", "Buy up to fifty thousand dollars a year at zorblax5 counters."),
    6: ("Mobile app", "Reset the zorblax6 app password with the SMS code."),
}


@pytest.fixture
def site_dir(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    root.mkdir()
    for i, (title, body) in TOPICS.items():
        (root / f"page-{i}.html").write_text(page(title, body), encoding="utf-8")
    (root / "internal").mkdir()
    (root / "internal" / "secret.html").write_text(
        page("Staff only", "zorblaxsecret salaries"), encoding="utf-8"
    )
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /internal/\n")
    paths = [f"page-{i}.html" for i in TOPICS] + ["internal/secret.html"]
    (root / "sitemap.xml").write_text(sitemap(paths))
    return root


@pytest.fixture
def site(site_dir: Path) -> Iterator[HelpCentre]:
    with HelpCentre(site_dir) as s:
        yield s
