"""A fetched page -> the HTML our loader reads: the main content picked by ``trafilatura`` (menus, footers,
cookie banners and sidebars left out), headings, lists and tables kept, wrapped with the page's title.
The heading structure and the chunking are then our HTML loader's and chunker's, as for an upload.

When trafilatura finds no main content (a very short page), the page is given to our loader as it is:
the loader drops navigation, headers, footers and forms itself.
"""

from __future__ import annotations

import hashlib
import html
import logging
from urllib.parse import urljoin, urlsplit, urlunsplit

from retrieval.loaders.common import clean, decode_text

logger = logging.getLogger(__name__)

HTML_TYPES = ("text/html", "application/xhtml+xml")
MAX_LINKS = 2000


def is_html(content_type: str) -> bool:
    return content_type.split(";", 1)[0].strip().lower() in HTML_TYPES


def main_content(body: bytes) -> tuple[str, bytes]:
    """(the page's title, the HTML document to store and parse). Pure; CPU-bound: call it in a thread."""
    import trafilatura
    from lxml import html as lxml_html

    text = decode_text(body)
    title = ""
    try:
        tree = lxml_html.fromstring(text)
        found = tree.findtext(".//title")
        title = clean(found) if found else ""
    except Exception:  # an unparsable page: trafilatura and the loader say what they make of it
        tree = None
    extracted = None
    try:
        extracted = trafilatura.extract(
            text,
            output_format="html",
            include_tables=True,
            include_formatting=True,
            include_links=False,
            include_images=False,
            include_comments=False,
            favor_recall=True,
        )
    except Exception as exc:  # trafilatura's own failure: fall back to our loader's cleanup
        logger.info("main-content extraction failed (%s); the whole page is used", type(exc).__name__)
    if not extracted:
        return title, body
    inner = extracted
    low = inner.lower()
    start, end = low.find("<body>"), low.rfind("</body>")
    if start >= 0 and end > start:
        inner = inner[start + len("<body>") : end]
    doc = (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title></head>'
        f"<body><main>{inner}</main></body></html>"
    )
    return title, doc.encode("utf-8")


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def links_of(body: bytes, base_url: str) -> list[str]:
    """Absolute http(s) links of a page (``<a href>``, fragments dropped, ``<base href>`` honoured), in
    page order, without duplicates, at most ``MAX_LINKS``."""
    from lxml import html as lxml_html

    try:
        tree = lxml_html.fromstring(decode_text(body))
    except Exception:
        return []
    base = base_url
    for href in tree.xpath("//base/@href")[:1]:
        base = urljoin(base_url, str(href))
    out: dict[str, None] = {}
    for href in tree.xpath("//a/@href"):
        raw = str(href).strip()
        if not raw or raw.startswith(("#", "mailto:", "tel:", "javascript:")):
            continue
        parts = urlsplit(urljoin(base, raw))
        if parts.scheme not in ("http", "https"):
            continue
        out.setdefault(urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, "")))
        if len(out) >= MAX_LINKS:
            break
    return list(out)
