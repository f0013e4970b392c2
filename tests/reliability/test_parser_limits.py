"""Issue 12, finding 2: parser amplification. The review's three small hostile files (built byte by byte in
``hostile_files``) are parsed as the app parses uploads (``load_document_isolated``: a child process with
memory, CPU-time and wall-clock limits), then uploaded through the ASGI app.

Before the fix: the 1.6 KB workbook took 1.09 GB of memory (the sheet's declared 16,384 x 8,000 cells),
the 1 KB document 21.7 s of CPU (a cell spanning 300,000 columns), the 14 KB PDF 84 s of CPU before it
was refused (the text budget was checked after every page was parsed) - all inside the serving process.
Each test below gives the parser less than that, so each fails on that code.
"""

from __future__ import annotations

import os
import time

import httpx
import pytest
from sqlalchemy import select

from app.container import Container
from app.db.models import Chunk, Document
from retrieval.config import RetrievalConfig
from retrieval.errors import DocumentRejected, ParseLimitExceeded
from retrieval.loaders.isolated import load_document_isolated
from retrieval.text import KeywordAnalyzer
from tests.reliability.hostile_files import declared_sheet_xlsx, exploding_pdf, spanning_cell_docx
from tests.unit.app.admin.support import GUIDE_MD, upload, wait_job
from tests.unit.app.helpers import Tenant, login, use_real_index

# Well under what the naive loaders needed; the wall clock is generous (a loaded 2-vCPU machine, and
# the child runs at a lower priority than everything else).
TIGHT = RetrievalConfig(parse_memory_mb=256, parse_cpu_s=5, parse_wall_s=170)


def test_the_hostile_files_are_the_size_the_review_sent() -> None:
    assert len(declared_sheet_xlsx()) < 1700
    assert len(spanning_cell_docx()) < 1100
    assert 13_000 < len(exploding_pdf()) < 15_000


def test_a_declared_sheet_size_is_clamped_to_the_real_grid() -> None:
    doc = load_document_isolated(declared_sheet_xlsx(), "faq.xlsx", TIGHT)
    assert [(b.kind, b.question, b.text) for b in doc.blocks] == [
        ("faq", "When do branches open?", "At 9:00 on weekdays.")
    ]


def test_a_cell_span_is_clamped_to_the_table_grid() -> None:
    doc = load_document_isolated(spanning_cell_docx(), "fees.docx", TIGHT)
    assert [b.text for b in doc.blocks if b.kind == "table_row"] == ["Card | Fee", "Card: Debit; Fee: Free"]


def test_an_exploding_pdf_is_refused_while_its_first_page_is_extracted() -> None:
    started = time.process_time()
    with pytest.raises(DocumentRejected) as refused:
        load_document_isolated(exploding_pdf(), "notice.pdf", TIGHT)
    assert refused.value.code == "file_too_large", refused.value.detail
    assert "page 1 " in refused.value.detail
    assert time.process_time() - started < 2  # the parent only waited


# Each limit alone, with the page and text budgets lifted so that only the limit can stop the PDF.
UNBUDGETED = {"max_pdf_page_chars": 10**9, "max_text_chars": 10**9}


@pytest.mark.parametrize(
    ("limits", "which"),
    [
        ({"parse_memory_mb": 64, "parse_cpu_s": 120, "parse_wall_s": 60}, "memory"),
        ({"parse_memory_mb": 4096, "parse_cpu_s": 1, "parse_wall_s": 300}, "cpu"),
        ({"parse_memory_mb": 4096, "parse_cpu_s": 120, "parse_wall_s": 1.0}, "wall"),
    ],
)
def test_each_limit_stops_the_parser_with_its_code(limits: dict[str, float], which: str) -> None:
    config = RetrievalConfig.model_validate({**UNBUDGETED, **limits})
    with pytest.raises(ParseLimitExceeded) as stopped:
        load_document_isolated(exploding_pdf(), "notice.pdf", config)
    assert (stopped.value.code, stopped.value.limit) == ("parse_limit_exceeded", which)


def _rss_mb() -> float:
    with open(f"/proc/{os.getpid()}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


async def test_uploaded_hostile_files_fail_alone_and_leave_the_server_as_it_was(
    client: httpx.AsyncClient, container: Container, tenant: Tenant, keyword_analyzer: KeywordAnalyzer
) -> None:
    """Through the admin API: the workbook and the document are read on their real grids and indexed,
    the PDF is refused on its first page, a PDF over the memory limit (budgets lifted) fails with
    ``parse_limit_exceeded`` and nothing of it is stored, the good file beside them is indexed, and the
    serving process's memory does not grow with any of it."""
    kb = use_real_index(container, keyword_analyzer)
    headers = await login(client, tenant.admin_email)
    rss_before = _rss_mb()
    r = await upload(
        client,
        headers,
        [
            ("faq.xlsx", declared_sheet_xlsx()),
            ("fees.docx", spanning_cell_docx()),
            ("notice.pdf", exploding_pdf()),
            ("hours.md", GUIDE_MD.encode()),
        ],
    )
    assert r.status_code == 202, r.text
    job = await wait_job(client, headers, r.json()["job_id"], limit_s=300)
    got = {d["source"]: (d["status"], d["error_code"]) for d in job["documents"]}
    assert got == {
        "faq.xlsx": ("indexed", None),
        "fees.docx": ("indexed", None),
        "notice.pdf": ("failed", "file_too_large"),
        "hours.md": ("indexed", None),
    }

    kb.settings = kb.settings.model_copy(
        update={"retrieval": kb.settings.retrieval.model_copy(update={**UNBUDGETED, "parse_memory_mb": 64})}
    )
    r = await upload(client, headers, [("notice-2.pdf", exploding_pdf(ops=230_001))])
    job = await wait_job(client, headers, r.json()["job_id"], limit_s=300)
    (doc,) = job["documents"]
    assert (job["status"], doc["status"], doc["error_code"]) == ("failed", "failed", "parse_limit_exceeded")
    assert "64 MB" in doc["error_detail"]
    async with kb.sessions() as s:
        failed = (await s.execute(select(Document).where(Document.source == "notice-2.pdf"))).scalar_one()
        assert not (await s.execute(select(Chunk).where(Chunk.document_id == failed.id))).first()
    # the parser's memory was the child's: the 1 GB workbook and the PDF's pages never came here
    assert _rss_mb() - rss_before < 100
