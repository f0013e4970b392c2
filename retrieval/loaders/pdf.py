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
    try:
        meta = reader.metadata
        title = str(meta.title) if meta and meta.title else ""
        for number, page in enumerate(reader.pages, start=1):
            text = clean(page.extract_text() or "")
            for para in _paragraphs(text):
                if len(para) <= 40 and _HEADING.match(para):
                    blocks.append(Block("heading", para, level=2, page=number))
                else:
                    blocks.append(Block("text", para, page=number))
    except DocumentRejected:
        raise
    except Exception as exc:  # a damaged page stream surfaces as many exception types
        raise DocumentRejected("corrupt_file", f"the PDF cannot be read: {exc}") from None
    return build_document(
        source=source, media_type="pdf", blocks=blocks, data=data, config=config, title=title
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
