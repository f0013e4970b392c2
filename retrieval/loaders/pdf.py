"""PDF loader: the text layer, page by page (scanned PDFs without text are rejected with ``no_text``)."""

from __future__ import annotations

import io
import logging
import re

from retrieval.config import RetrievalConfig
from retrieval.errors import DocumentRejected
from retrieval.loaders.common import build_document, clean
from retrieval.types import Block, ParsedDocument

# Lines that look like section headings in bank policy PDFs: "第一章 總則", "第3條", "1.2 Fees", "一、申請資格"
_HEADING = re.compile(
    r"^(第[一二三四五六七八九十百零〇0-9]+[章節条條款部分篇]|[一二三四五六七八九十]+、|\d+(\.\d+){0,3}[.、 ]\s*\S)"
)


def load_pdf(data: bytes, source: str, config: RetrievalConfig) -> ParsedDocument:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            # Many PDFs are "encrypted" with an empty user password (permissions only): readable.
            try:
                readable = bool(reader.decrypt(""))
            except Exception:  # pypdf raises several types for unsupported crypto
                readable = False
            if not readable:
                raise DocumentRejected("encrypted_file", "the PDF is password-protected")
        n_pages = len(reader.pages)
    except DocumentRejected:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, AssertionError) as exc:
        raise DocumentRejected("corrupt_file", f"the PDF cannot be read: {exc}") from None
    if n_pages > config.max_pdf_pages:
        raise DocumentRejected("too_many_pages", f"{n_pages} pages; the limit is {config.max_pdf_pages}")
    blocks: list[Block] = []
    title = ""
    budget = _TextBudget(config.max_text_chars, config.max_pdf_page_chars)
    try:
        meta = reader.metadata
        title = str(meta.title) if meta and meta.title else ""
        for number, page in enumerate(reader.pages, start=1):
            budget.page = number
            text = clean(page.extract_text(visitor_text=budget.visit) or "")
            budget.page_done(text)
            for para in _paragraphs(text):
                if len(para) <= 40 and _HEADING.match(para):
                    blocks.append(Block("heading", para, level=2, page=number))
                else:
                    blocks.append(Block("text", para, page=number))
    except DocumentRejected:
        raise
    except MemoryError:  # not the file's damage: the parser ran out of memory (isolated.py)
        raise
    except Exception as exc:  # a damaged page stream surfaces as many exception types
        raise DocumentRejected("corrupt_file", f"the PDF cannot be read: {exc}") from None
    return build_document(
        source=source, media_type="pdf", blocks=blocks, data=data, config=config, title=title
    )


class _TextBudget:
    """The text limits, checked while pages are extracted rather than after them all: the document's
    (``max_text_chars``) and each page's (``max_pdf_page_chars``).

    ``visit`` sees every piece of text the extractor emits, so a page whose content stream expands to
    millions of tiny text operators is stopped as soon as its pieces, not counting spaces and line breaks
    (the finished text keeps all of those characters), exceed either limit. ``page_done`` adds each
    finished page, so no page after the one that crosses the document's limit is parsed."""

    def __init__(self, limit: int, page_limit: int) -> None:
        self.limit = limit
        self.page_limit = page_limit
        self.page = 0
        self._done = 0  # characters (line breaks aside) of the finished pages
        self._pieces = 0  # non-blank characters emitted on the current page so far

    def visit(self, text: str, *_: object) -> None:
        self._pieces += len(text) - text.count(" ") - text.count("\n")
        if self._pieces > self.page_limit:
            raise DocumentRejected(
                "file_too_large",
                f"page {self.page} yields more than {self.page_limit} characters of text (the limit of "
                "one page); its content is not a real page",
            )
        if self._done + self._pieces > self.limit:
            self._refuse()

    def page_done(self, text: str) -> None:
        self._done += len(text) - text.count("\n")  # what of it every later stage keeps
        self._pieces = 0
        if self._done > self.limit:
            self._refuse()

    def _refuse(self) -> None:
        raise DocumentRejected(
            "file_too_large",
            f"more than {self.limit} characters of text by page {self.page}; the limit is {self.limit}",
        )


def _paragraphs(text: str) -> list[str]:
    """PDF text comes as visual lines; join lines into paragraphs, breaking after sentence ends/headings."""
    out: list[str] = []
    buf: list[str] = []
    for line in text.split("\n"):
        line = line.strip()
        if not line:
            if buf:
                out.append(_join(buf))
                buf = []
            continue
        if _HEADING.match(line) and len(line) <= 40:
            if buf:
                out.append(_join(buf))
                buf = []
            out.append(line)
            continue
        buf.append(line)
        if line[-1] in "。！？!?:：" and len(" ".join(buf)) > 200:
            out.append(_join(buf))
            buf = []
    if buf:
        out.append(_join(buf))
    return out


def _join(lines: list[str]) -> str:
    text = lines[0]
    for line in lines[1:]:
        # no space between CJK line ends/starts, a space between Latin words
        glue = "" if (ord(text[-1]) > 0x2E80 or ord(line[0]) > 0x2E80) else " "
        text += glue + line
    return text
