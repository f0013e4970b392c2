"""CSV and XLSX FAQ tables: one ``faq`` block per row (question, answer; other columns as metadata).

Columns are detected from the header (question / 问题 / 問題 / 标准问 / Q ..., answer / 答案 / 回答 / A ...)
or mapped explicitly with ``FaqColumns``. A table without a question column is rejected
(``no_question_column``): indexing rows of an unknown shape would cite the wrong text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from retrieval.config import RetrievalConfig
from retrieval.errors import DocumentRejected
from retrieval.loaders.common import build_document, check_zip, clean, decode_text
from retrieval.types import Block, ParsedDocument

QUESTION_NAMES = ("question", "questions", "q", "faq", "query", "title", "问题", "問題", "标准问",
                  "標準問", "标准问题", "標準問題", "提问", "提問", "问", "問", "常见问题", "常見問題")  # fmt: skip
ANSWER_NAMES = ("answer", "answers", "a", "response", "reply", "body", "content", "答案", "回答",
                "答复", "答覆", "回复", "回覆", "解答", "内容", "內容", "答")  # fmt: skip


@dataclass(frozen=True, slots=True)
class FaqColumns:
    """Explicit column mapping (header names, matched case-insensitively)."""

    question: str
    answer: str


def _find(header: Sequence[str], names: Iterable[str]) -> int | None:
    norm = [h.strip().lower().replace(" ", "") for h in header]
    for name in names:
        if name.lower() in norm:
            return norm.index(name.lower())
    return None


def rows_to_faq(rows: list[list[str]], columns: FaqColumns | None, sheet: str = "") -> list[Block]:
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        return []
    header = [clean(h) for h in rows[0]]
    if columns is not None:
        qi, ai = _find(header, [columns.question]), _find(header, [columns.answer])
    else:
        qi, ai = _find(header, QUESTION_NAMES), _find(header, ANSWER_NAMES)
    if qi is None:
        raise DocumentRejected(
            "no_question_column",
            f"no question column among {header[:12]}; name one 'question'/'问题' or map the columns",
        )
    blocks = []
    for r in rows[1:]:
        cells = [clean(c) for c in r] + [""] * (len(header) - len(r))
        q = cells[qi]
        if not q:
            continue
        meta = {
            header[j].lower(): cells[j][:200]
            for j in range(len(header))
            if j not in (qi, ai) and header[j] and cells[j]
        }
        if sheet:
            meta["sheet"] = sheet
        blocks.append(Block("faq", cells[ai] if ai is not None else "", question=q, metadata=meta))
    return blocks


def load_csv(
    data: bytes, source: str, config: RetrievalConfig, columns: FaqColumns | None = None
) -> ParsedDocument:
    text = decode_text(data)
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:8192], delimiters=",\t;|")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = list(csv.reader(io.StringIO(text), dialect))
    except csv.Error as exc:
        raise DocumentRejected("corrupt_file", f"the CSV cannot be parsed: {exc}") from None
    blocks = rows_to_faq(rows, columns)
    return build_document(source=source, media_type="csv", blocks=blocks, data=data, config=config)


def sheet_rows(ws: Any) -> list[list[str]]:
    """A read-only worksheet's rows as text, on its real grid: from the first row that holds a value (the
    header) down to the last row present, as wide as the header's last non-empty cell.

    The size a sheet declares (``<dimension ref="A1:XFD8000"/>``) is not trusted: openpyxl pads every row
    to it, and a 1.6 KB file declaring 16,384 x 8,000 cells would build 131 million of them. Cells beyond
    the header's width are never built (they have no column name to go under)."""
    ws.reset_dimensions()
    header_row = width = 0
    for n, row in enumerate(ws.iter_rows(min_row=1, min_col=1, values_only=True), start=1):
        filled = [i for i, v in enumerate(row) if v is not None and str(v).strip()]
        if filled:
            header_row, width = n, filled[-1] + 1
            break
    if not width:
        return []
    return [
        ["" if v is None else str(v) for v in row]
        for row in ws.iter_rows(min_row=header_row, min_col=1, max_col=width, values_only=True)
    ]


def load_xlsx(
    data: bytes, source: str, config: RetrievalConfig, columns: FaqColumns | None = None
) -> ParsedDocument:
    check_zip(data, config, required="xl/workbook.xml")
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except MemoryError:  # not the file's damage: the parser ran out of memory (isolated.py)
        raise
    except Exception as exc:
        raise DocumentRejected("corrupt_file", f"the XLSX cannot be read: {exc}") from None
    blocks: list[Block] = []
    rejected: DocumentRejected | None = None
    try:
        for ws in wb.worksheets:
            rows = sheet_rows(ws)
            try:
                blocks.extend(rows_to_faq(rows, columns, sheet=ws.title if len(wb.worksheets) > 1 else ""))
            except DocumentRejected as exc:
                rejected = exc  # a notes/cover sheet without questions is fine if another sheet has them
    finally:
        wb.close()
    if not blocks and rejected is not None:
        raise rejected
    return build_document(source=source, media_type="xlsx", blocks=blocks, data=data, config=config)
