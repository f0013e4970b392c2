"""robots.txt for a website source (``urllib.robotparser``), read through the source's ``SafeFetcher``.

As RFC 9309 says: a robots.txt that is missing or refused with a 4xx allows everything; one that cannot
be read (5xx, network failure) disallows everything for this sync (the site may be down; nothing is
removed because of it, see ``web``).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

from app.connectors.safety import FetchRefused, SafeFetcher
from retrieval.loaders.common import decode_text

MAX_ROBOTS_BYTES = 512 * 1024


@dataclass(frozen=True, slots=True)
class Robots:
    parser: RobotFileParser | None  # None: everything allowed
    blocked: str = ""  # non-empty: everything disallowed, and why

    def allows(self, user_agent: str, url: str) -> bool:
        if self.blocked:
            return False
        return self.parser is None or self.parser.can_fetch(user_agent, url)

    def crawl_delay(self, user_agent: str) -> float:
        if self.parser is None:
            return 0.0
        delay = self.parser.crawl_delay(user_agent)
        return float(delay) if delay is not None else 0.0


def parse_robots(text: str) -> Robots:
    parser = RobotFileParser()
    parser.parse(text.splitlines())
    return Robots(parser)


async def fetch_robots(fetcher: SafeFetcher, base_url: str) -> Robots:
    parts = urlsplit(base_url)
    url = f"{parts.scheme}://{parts.netloc}/robots.txt"
    try:
        got = await fetcher.get(url, accept="text/plain")
    except FetchRefused as exc:
        if exc.code in ("host_not_allowed", "bad_url"):  # redirected off the source's hosts: not ours
            return Robots(None)
        return Robots(None, blocked=f"robots.txt could not be read: {exc.detail}")
    if got.status >= 500:
        return Robots(None, blocked=f"robots.txt answered {got.status}")
    if got.status >= 400 or got.status != 200:
        return Robots(None)
    try:
        text = decode_text(got.body[:MAX_ROBOTS_BYTES]) if got.body else ""
    except Exception:
        return Robots(None)
    return parse_robots(text)
