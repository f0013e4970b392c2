"""The three hostile files of the outside review (issue 12, finding 2), built byte by byte.

Each is small on the wire and expensive to parse with a naive loader:

- ``declared_sheet_xlsx``: a 1.6 KB workbook whose sheet declares the dimension ``A1:XFD8000``
  (16,384 columns x 8,000 rows) but holds two rows (and an empty row element at row 8,000); a loader that
  trusts the declared size builds 131 million padded cells.
- ``spanning_cell_docx``: a ~1 KB document with one table whose cells span 300,000 grid columns
  (``w:gridSpan``); a loader that expands spans into grid cells visits each of them.
- ``exploding_pdf``: a 14 KB two-page PDF whose pages share one content stream that inflates (Flate) to
  5.5 MB of tiny text operators: a text extractor walks 230,000 of them per page and emits far more text
  than any real page holds.
"""

from __future__ import annotations

import io
import zipfile
import zlib

from tests.unit.retrieval.files import assemble_pdf

_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"


def _zip(parts: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, text in parts.items():
            zf.writestr(name, text)
    return buf.getvalue()


def declared_sheet_xlsx(dimension: str = "A1:XFD8000") -> bytes:
    """A real FAQ workbook (question, answer: one row) whose sheet declares ``dimension``; an empty row
    element sits on the declared last row, as spreadsheet programs write for a formatted row."""
    last_row = "".join(ch for ch in dimension.split(":")[-1] if ch.isdigit())
    sheet_ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    return _zip(
        {
            "[Content_Types].xml": _XML
            + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            "</Types>",
            "_rels/.rels": _XML + f'<Relationships xmlns="{_PKG_REL}">'
            f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>",
            "xl/workbook.xml": _XML + f'<workbook xmlns="{sheet_ns}" xmlns:r="{_REL}">'
            '<sheets><sheet name="FAQ" sheetId="1" r:id="rId1"/></sheets></workbook>',
            "xl/_rels/workbook.xml.rels": _XML + f'<Relationships xmlns="{_PKG_REL}">'
            f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
            "</Relationships>",
            "xl/worksheets/sheet1.xml": _XML + f'<worksheet xmlns="{sheet_ns}">'
            f'<dimension ref="{dimension}"/><sheetData>'
            '<row r="1"><c r="A1" t="inlineStr"><is><t>question</t></is></c>'
            '<c r="B1" t="inlineStr"><is><t>answer</t></is></c></row>'
            '<row r="2"><c r="A2" t="inlineStr"><is><t>When do branches open?</t></is></c>'
            '<c r="B2" t="inlineStr"><is><t>At 9:00 on weekdays.</t></is></c></row>'
            f'<row r="{last_row}"/></sheetData></worksheet>',
        }
    )


def spanning_cell_docx(span: int = 300_000) -> bytes:
    """A document with a two-row table whose second cell of each row spans ``span`` grid columns."""
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"

    def cell(text: str, grid_span: int | None = None) -> str:
        props = f'<w:tcPr><w:gridSpan w:val="{grid_span}"/></w:tcPr>' if grid_span else ""
        return f"<w:tc>{props}<w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:tc>"

    rows = f"<w:tr>{cell('Card')}{cell('Fee', span)}</w:tr><w:tr>{cell('Debit')}{cell('Free', span)}</w:tr>"
    return _zip(
        {
            "[Content_Types].xml": _XML
            + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/word/document.xml" ContentType='
            '"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
            "</Types>",
            "_rels/.rels": _XML + f'<Relationships xmlns="{_PKG_REL}">'
            f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="word/document.xml"/>'
            "</Relationships>",
            "word/document.xml": _XML + f'<w:document xmlns:w="{w}"><w:body>'
            "<w:p><w:r><w:t>Card fees</w:t></w:r></w:p>"
            '<w:tbl><w:tblGrid><w:gridCol w:w="2000"/><w:gridCol w:w="2000"/></w:tblGrid>'
            f"{rows}</w:tbl><w:sectPr/></w:body></w:document>",
        }
    )


def exploding_pdf(ops: int = 230_000, pages: int = 2) -> bytes:
    """A ``pages``-page PDF whose pages share one Flate content stream of ``ops`` tiny text operators.

    Each operator shows 16 characters and moves to a new line: the stream inflates ~400x (5.5 MB from
    ~14 KB), and each page's extracted text is ~3.7 million characters (both pages together are over the
    5 million text limit). pypdf's extraction time grows faster than the operator count."""
    font_id = 3 + pages
    stream_id = 4 + pages
    kids = " ".join(f"{3 + i} 0 R" for i in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode(),
    ]
    for _ in range(pages):
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {stream_id} 0 R "
            f"/Resources << /Font << /F1 {font_id} 0 R >> >> >>".encode()
        )
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    body = b"(Harbor Bank fee) Tj T*\n" * ops
    stream = zlib.compress(b"BT /F1 1 Tf 1 TL 0 0 Td\n" + body + b"ET", 9)
    objects.append(b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream")
    return assemble_pdf(objects)
