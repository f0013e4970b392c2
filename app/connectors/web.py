"""Scan a website source: which pages are new, changed, unchanged or gone since the last sync.

The pages are the sitemap's URLs (``sitemap``, an index followed to its children), the pages reached by
following links from the start URL (``url``), and the pages known from earlier syncs; each is kept only
when it is on the source's hosts and matches its include / exclude patterns. robots.txt is respected
(its Crawl-delay too, when longer than the source's ``delay_s``), one request at a time.

A known page is asked for conditionally (``If-None-Match`` / ``If-Modified-Since``): 304 means unchanged
without a body; a 200 is reduced to its main content (``extract``) and compared by hash, so a page whose
menu or footer changed is unchanged too. A page is **removed** when it answers 404 or 410, when it
redirects elsewhere (the target is a page of its own), or when the sitemap, read completely, no longer
lists it and no link reaches it. Anything else that goes wrong (5xx, a refused address, too large, not
HTML, robots.txt) is a failure of that page: its earlier content stays in the knowledge base.
"""

from __future__ import annotations

import asyncio
import fnmatch
import logging
import time
from collections import deque
from dataclasses import dataclass
from urllib.parse import urlsplit

from app.connectors import extract
from app.connectors.changes import Change, Known, Scan, ScanProgress
from app.connectors.config import ConnectorsConfig
from app.connectors.robots import Robots, fetch_robots
from app.connectors.safety import FetchRefused, SafeFetcher, WebPolicy, check_url, host_of, normalise_url

GONE = (404, 410)
SITEMAP_ACCEPT = "application/xml,text/xml;q=0.9,text/plain;q=0.5,*/*;q=0.1"
HTML_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"
MAX_KEY_CHARS = 500


@dataclass(frozen=True, slots=True)
class WebSettings:
    """A website source's configuration (``kb_sources.config``), validated (``sources.web_settings``)."""

    url: str = ""  # start URL: fetched, links followed
    sitemap: str = ""
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ()
    allow_private: bool = False
    max_pages: int = 200
    delay_s: float = 1.0

    @property
    def policy(self) -> WebPolicy:
        return WebPolicy(frozenset(self.hosts), self.allow_private)

    def wanted(self, url: str) -> bool:
        """Whether a page of the source's hosts belongs to the source (include / exclude patterns).
        A pattern starting with ``/`` matches the path (and query); any other, the whole URL."""
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")

        def hit(pattern: str) -> bool:
            return fnmatch.fnmatchcase(path if pattern.startswith("/") else url, pattern)

        if self.include and not any(hit(p) for p in self.include):
            return False
        return not any(hit(p) for p in self.exclude)


def fetcher_for(settings: WebSettings, config: ConnectorsConfig, max_bytes: int, **kw: object) -> SafeFetcher:
    return SafeFetcher(
        settings.policy,
        user_agent=config.user_agent,
        timeout_s=config.request_timeout_s,
        max_redirects=config.max_redirects,
        max_bytes=max_bytes,
        **kw,  # type: ignore[arg-type]
    )


async def read_sitemap(fetcher: SafeFetcher, url: str, *, max_sitemaps: int) -> list[str]:
    """Page URLs of a sitemap (XML, an index of sitemaps, or plain text), in order, without duplicates.
    Raises ``FetchRefused`` when any sitemap of the tree cannot be read completely (then no page is
    removed for missing from it)."""
    from usp.objects.sitemap import IndexXMLSitemap, InvalidSitemap
    from usp.tree import sitemap_from_str

    from retrieval.loaders.common import decode_text

    logging.getLogger("usp").setLevel(logging.WARNING)  # it logs every parse at INFO, with a dummy URL
    pages: dict[str, None] = {}
    todo, done = deque([url]), 0
    while todo:
        current = todo.popleft()
        if done >= max_sitemaps:
            raise FetchRefused("too_many_sitemaps", f"more than {max_sitemaps} sitemaps under {url}")
        done += 1
        got = await fetcher.get(current, accept=SITEMAP_ACCEPT)
        if got.status != 200:
            raise FetchRefused(f"http_{got.status}", f"the sitemap {current} answered {got.status}")
        tree = await asyncio.to_thread(sitemap_from_str, decode_text(got.body) if got.body else "")
        if isinstance(tree, InvalidSitemap):
            raise FetchRefused("bad_sitemap", f"{current} is not a sitemap: {tree.reason}"[:300])
        if isinstance(tree, IndexXMLSitemap):
            todo.extend(s.url for s in tree.sub_sitemaps)
            continue
        for page in tree.all_pages():
            pages.setdefault(page.url)
    return list(pages)


class _Crawl:
    def __init__(
        self,
        settings: WebSettings,
        config: ConnectorsConfig,
        fetcher: SafeFetcher,
        known: dict[str, Known],
        progress: ScanProgress,
    ) -> None:
        self.s, self.config, self.fetcher, self.known, self.progress = (
            settings,
            config,
            fetcher,
            known,
            progress,
        )
        self.scan = Scan()
        self.seen: set[str] = set()  # keys decided (any outcome)
        self.queued: set[str] = set()
        self.queue: deque[tuple[str, bool]] = deque()  # (url, follow its links)
        self.fetched = 0
        self.robots: dict[str, Robots] = {}
        self.last_request = 0.0
        self.expected = 0

    def add(self, url: str, *, follow: bool) -> None:
        try:
            norm = check_url(url, self.s.policy)
        except FetchRefused:
            return  # another host, or not http(s): not part of this source
        if norm in self.queued:
            return
        self.queued.add(norm)
        self.queue.append((norm, follow))

    def record(self, change: Change) -> None:
        self.seen.add(change.key)
        self.scan.changes.append(change)

    async def robots_for(self, url: str) -> Robots:
        host = host_of(url)
        if host not in self.robots:
            self.robots[host] = await fetch_robots(self.fetcher, url)
        return self.robots[host]

    async def pause(self, robots: Robots) -> None:
        delay = max(self.s.delay_s, min(robots.crawl_delay(self.config.user_agent), 60.0))
        wait = self.last_request + delay - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        self.last_request = time.monotonic()

    async def run(self) -> Scan:
        listed: set[str] | None = None
        if self.s.sitemap:
            try:
                urls = await read_sitemap(self.fetcher, self.s.sitemap, max_sitemaps=self.config.max_sitemaps)
            except FetchRefused as exc:
                self.record(Change(self.s.sitemap, "failed", code=exc.code, detail=exc.detail))
            else:
                listed = set()
                for u in urls:
                    try:
                        norm = check_url(u, self.s.policy)
                    except FetchRefused:
                        continue
                    if self.s.wanted(norm):
                        listed.add(norm)
                        self.add(norm, follow=False)
        if self.s.url:
            self.add(self.s.url, follow=True)
        for key in self.known:  # dropped from a complete sitemap and not linked: removed at the end
            if listed is None:
                self.add(key, follow=False)
        self.expected = max(len(self.queue), 1)
        while self.queue:
            url, follow = self.queue.popleft()
            if url in self.seen:
                continue
            if self.fetched >= self.s.max_pages:
                self.scan.capped = True
                break
            await self.progress(len(self.seen), self.expected, url)
            await self.visit(url, follow)
            self.expected = max(self.expected, len(self.seen) + len(self.queue))
        for key in self.known:
            if key in self.seen:
                continue
            if listed is not None and key not in listed and not self.scan.capped:
                self.record(
                    Change(key, "removed", code="dropped", detail="no longer in the sitemap or linked")
                )
            elif not self.s.wanted(key):
                self.record(
                    Change(key, "removed", code="excluded", detail="no longer matches the source's patterns")
                )
            else:  # not reached (the page cap): kept as it is
                self.record(Change(key, "unchanged", code="not_checked"))
        return self.scan

    async def visit(self, url: str, follow: bool) -> None:
        known = self.known.get(url)
        wanted = self.s.wanted(url)
        if not wanted and not follow:
            if known is not None:
                self.record(
                    Change(url, "removed", code="excluded", detail="no longer matches the source's patterns")
                )
            return
        robots = await self.robots_for(url)
        if not robots.allows(self.config.user_agent, url):
            self.seen.add(url)
            if wanted:
                detail = robots.blocked or "robots.txt disallows it"
                self.record(Change(url, "failed", code="robots_disallowed", detail=detail))
            return
        await self.pause(robots)
        self.fetched += 1
        conditional = known is not None and known.in_kb and wanted
        try:
            got = await self.fetcher.get(
                url,
                etag=known.etag if conditional and known else "",
                last_modified=known.last_modified if conditional and known else "",
                accept=HTML_ACCEPT,
            )
        except FetchRefused as exc:
            self.seen.add(url)
            if wanted:
                self.record(Change(url, "failed", code=exc.code, detail=exc.detail))
            return
        final = got.url
        if final != url:  # redirected: the old address is gone, the target is a page of its own
            self.seen.add(url)
            if known is not None:
                self.record(Change(url, "removed", code="moved", detail=f"redirects to {final}"))
            if final in self.seen:
                return
            known, wanted = self.known.get(final), self.s.wanted(final)
            if got.not_modified:  # validators were not sent to the target: cannot happen; be safe
                return
        if got.not_modified and known is not None:
            self.record(Change(final, "unchanged", name=final, etag=got.etag or known.etag,
                               last_modified=got.last_modified or known.last_modified,
                               content_hash=known.content_hash, links=known.links))  # fmt: skip
            if follow:
                self.follow(known.links)
            return
        if got.status in GONE:
            self.seen.add(final)
            if known is not None:
                self.record(
                    Change(
                        final, "removed", code=f"http_{got.status}", detail=f"the page answered {got.status}"
                    )
                )
            elif wanted:
                self.record(
                    Change(
                        final, "failed", code=f"http_{got.status}", detail=f"the page answered {got.status}"
                    )
                )
            return
        if got.status != 200:
            self.seen.add(final)
            if wanted:
                self.record(
                    Change(
                        final, "failed", code=f"http_{got.status}", detail=f"the page answered {got.status}"
                    )
                )
            return
        if not extract.is_html(got.content_type):
            self.seen.add(final)
            if wanted:
                kind = got.content_type.split(";", 1)[0] or "no content type"
                self.record(
                    Change(
                        final, "failed", code="unsupported_type", detail=f"{kind}: only HTML pages are synced"
                    )
                )
            return
        links = tuple(await asyncio.to_thread(extract.links_of, got.body, final)) if follow else ()
        if follow:
            self.follow(links)
        if not wanted:
            self.seen.add(final)
            return
        if len(final) > MAX_KEY_CHARS:
            self.record(
                Change(
                    final, "failed", code="url_too_long", detail=f"URLs of at most {MAX_KEY_CHARS} characters"
                )
            )
            return
        _, doc = await asyncio.to_thread(extract.main_content, got.body)
        digest = extract.content_hash(doc)
        base = dict(
            name=final, etag=got.etag, last_modified=got.last_modified, content_hash=digest, links=links
        )
        if known is not None and known.in_kb and known.content_hash == digest:
            self.record(Change(final, "unchanged", **base))  # type: ignore[arg-type]
            return
        outcome = "changed" if known is not None and known.document_id else "added"
        self.record(Change(final, outcome, data=doc, mime_type="text/html", **base))  # type: ignore[arg-type]

    def follow(self, links: tuple[str, ...]) -> None:
        for link in links:
            self.add(link, follow=True)


async def scan_web(
    settings: WebSettings,
    config: ConnectorsConfig,
    fetcher: SafeFetcher,
    known: dict[str, Known],
    progress: ScanProgress,
) -> Scan:
    """Every page of the source with its outcome (see the module docstring)."""
    return await _Crawl(settings, config, fetcher, known, progress).run()


def default_hosts(url: str, sitemap: str) -> tuple[str, ...]:
    """The hosts of the start URL and the sitemap (a source's host list unless it names its own)."""
    hosts: dict[str, None] = {}
    for u in (url, sitemap):
        if u:
            hosts.setdefault(host_of(normalise_url(u)))
    return tuple(hosts)
