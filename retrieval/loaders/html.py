"""HTML loader: the main text only (no scripts, styles, navigation, headers, footers or forms)."""

from __future__ import annotations

from retrieval.config import RetrievalConfig
from retrieval.errors import DocumentRejected
from retrieval.loaders.common import build_document, clean, decode_text
from retrieval.loaders.docx import rows_to_blocks
from retrieval.types import Block, ParsedDocument

_DROP = ("script", "style", "noscript", "nav", "header", "footer", "aside", "form", "iframe", "svg",
         "button", "select", "template", "object", "embed", "canvas")  # fmt: skip
_DROP_ROLES = ("navigation", "banner", "contentinfo", "search")
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_TEXT = ("p", "li", "dt", "dd", "pre", "blockquote", "figcaption", "caption", "summary")


def load_html(data: bytes, source: str, config: RetrievalConfig) -> ParsedDocument:
    from bs4 import BeautifulSoup

    text = decode_text(data)
    try:
        soup = BeautifulSoup(text, "lxml")
    except MemoryError:  # not the file's damage: the parser ran out of memory (isolated.py)
        raise
    except Exception as exc:
        raise DocumentRejected("corrupt_file", f"the HTML cannot be parsed: {exc}") from None
    title = clean(soup.title.get_text(" ")) if soup.title else ""
    for tag in soup.find_all(_DROP):
        tag.decompose()
    for tag in soup.find_all(True):
        if tag.get("role") in _DROP_ROLES or tag.get("aria-hidden") == "true":
            tag.decompose()
    root = soup.find("main") or soup.find("article") or soup.body or soup
    blocks: list[Block] = []
    seen: set[int] = set()
    for el in root.find_all([*_HEADINGS, *_TEXT, "table", "div", "section", "td"]):
        if any(id(p) in seen for p in el.parents):
            continue
        name = el.name
        if name in _HEADINGS:
            blocks.append(Block("heading", clean(el.get_text(" ")), level=_HEADINGS[name]))
            seen.add(id(el))
        elif name == "table":
            rows = [[clean(c.get_text(" ")) for c in tr.find_all(["th", "td"])] for tr in el.find_all("tr")]
            blocks.extend(rows_to_blocks(rows))
            seen.add(id(el))
        elif name in _TEXT:
            blocks.append(Block("text", clean(el.get_text(" "))))
            seen.add(id(el))
        elif name in ("div", "section", "td") and not el.find(
            [*_HEADINGS, *_TEXT, "table", "div", "section"]
        ):
            # leaf containers holding bare text (common in CMS output)
            blocks.append(Block("text", clean(el.get_text(" "))))
            seen.add(id(el))
    if not blocks:  # no block structure at all: take the visible text
        blocks = [Block("text", p) for p in clean(root.get_text("\n")).split("\n\n")]
    return build_document(
        source=source, media_type="html", blocks=blocks, data=data, config=config, title=title
    )
