"""DOCX loader: paragraphs with heading styles, and tables row by row, in document order."""

from __future__ import annotations

import io
import re
from typing import Any

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
    except MemoryError:  # not the file's damage: the parser ran out of memory (isolated.py)
        raise
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


def _table_rows(table: Any) -> list[Block]:
    """The table's rows as text, one entry per cell element (``w:tc``), on the table's real grid.

    A cell's declared span (``w:gridSpan``) is clamped to the columns the table defines (``w:tblGrid``;
    1 without one): python-docx expands spans into one grid cell each, and a 1 KB file whose cell spans
    300,000 columns took 23 s of CPU that way. A cell continuing a vertical merge (``w:vMerge``) repeats
    the text of the cell it continues, as before."""
    from docx.table import _Cell

    tbl = table._tbl
    width = len(tbl.tblGrid.gridCol_lst) if tbl.tblGrid is not None else 0
    above: dict[int, str] = {}  # grid column -> text of the cell a vertical merge below continues
    rows: list[list[str]] = []
    for tr in tbl.tr_lst:
        cells: list[str] = []
        col = min(tr.grid_before, width)
        for tc in tr.tc_lst:
            span = max(1, min(tc.grid_span, width - col)) if width else 1
            text = above.get(col, "") if tc.vMerge == "continue" else clean(_Cell(tc, table).text)
            for c in range(col, col + span):
                above[c] = text
            col += span
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
