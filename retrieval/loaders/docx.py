"""DOCX loader: paragraphs with heading styles, and tables row by row, in document order."""

from __future__ import annotations

import io
import re

from retrieval.config import RetrievalConfig
from retrieval.errors import DocumentRejected
from retrieval.loaders.common import build_document, check_zip, clean
from retrieval.types import Block, ParsedDocument

_LEVEL = re.compile(r"(\d+)")


def load_docx(data: bytes, source: str, config: RetrievalConfig) -> ParsedDocument:
    check_zip(data, config, required="word/document.xml")
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # lxml/zip/KeyError for damaged parts
        raise DocumentRejected("corrupt_file", f"the DOCX cannot be read: {exc}") from None
    blocks: list[Block] = []
    title = (document.core_properties.title or "").strip()
    body = document.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            para = Paragraph(child, document)
            text = clean(para.text)
            if not text:
                continue
            style = (para.style.name if para.style is not None else "") or ""
            if style == "Title":
                title = title or text
                blocks.append(Block("heading", text, level=1))
            elif style.startswith(("Heading", "標題", "标题")):
                m = _LEVEL.search(style)
                blocks.append(Block("heading", text, level=min(int(m.group(1)) if m else 1, 6)))
            else:
                blocks.append(Block("text", text))
        elif tag == "tbl":
            blocks.extend(_table_rows(Table(child, document)))
    return build_document(
        source=source, media_type="docx", blocks=blocks, data=data, config=config, title=title
    )


def _table_rows(table: object) -> list[Block]:
    rows: list[list[str]] = []
    for row in table.rows:  # type: ignore[attr-defined]
        cells: list[str] = []
        for cell in row.cells:
            text = clean(cell.text)
            if not cells or cells[-1] != text:  # merged cells repeat their text
                cells.append(text)
        rows.append(cells)
    return rows_to_blocks(rows)


def rows_to_blocks(rows: list[list[str]]) -> list[Block]:
    """Table rows -> ``table_row`` blocks "header: value; ..." (header row repeated into every row)."""
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        return []
    header = rows[0]
    if len(rows) == 1 or len(header) < 2:
        return [Block("table_row", " | ".join(c for c in r if c)) for r in rows]
    out = [Block("table_row", " | ".join(c for c in header if c))]
    for r in rows[1:]:
        pairs = [f"{h}: {v}" if h else v for h, v in zip(header, r, strict=False) if v]
        out.append(Block("table_row", "; ".join(pairs)))
    return out
