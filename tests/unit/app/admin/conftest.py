"""Fixtures of the admin-console tests: the container over a real SQLite database (``conftest``) with the
real index store (FAISS + BM25 + jieba) on the model-free ``HashEmbedder``, the real ingestion job
functions on the in-process queue, and helpers to upload files and wait for their job."""

from __future__ import annotations

import asyncio
import io
import zipfile
from collections.abc import Sequence

import httpx
import pytest

from app.container import Container
from app.jobs import InProcessJobQueue
from app.services.knowledge import IndexedKnowledgeBases
from app.worker import JOB_FUNCTIONS
from retrieval.index.store import IndexStore
from retrieval.testing import HashEmbedder
from retrieval.text import KeywordAnalyzer
from tests.unit.app.helpers import Tenant, login, seed_tenant

FAQ_CSV = (
    "question,answer,lang\n"
    "如何申请信用卡分期？,登录手机银行选择账单分期，可分3、6、12期，手续费每期0.6%。,zh\n"
    "How do I report a lost card?,Call 95396 at any time to freeze the card and order a new one.,en\n"
)
GUIDE_MD = (
    "# Branch opening hours\n\nBranches open 9:00-17:00 on weekdays.\n\n"
    "## Holidays\n\nBranches are closed on public holidays.\n"
)


def make_docx(paragraphs: Sequence[str], heading: str = "") -> bytes:
    import docx

    d = docx.Document()
    if heading:
        d.add_heading(heading, level=1)
    for p in paragraphs:
        d.add_paragraph(p)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def zip_bomb_docx() -> bytes:
    """A ``.docx`` (a zip) whose one member inflates 50 MB of zeros from a few kilobytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", b"\0" * (50 * 1024 * 1024))
    return buf.getvalue()


@pytest.fixture(scope="session")
def keyword_analyzer() -> KeywordAnalyzer:
    """jieba + OpenCC take seconds to load: once per test session."""
    analyzer = KeywordAnalyzer()
    analyzer.warm_up()
    return analyzer


@pytest.fixture
def kb(container: Container, keyword_analyzer: KeywordAnalyzer) -> Container:
    """The container with the real index store and the real job functions."""
    embedder = HashEmbedder()
    store = IndexStore(
        container.settings.data_dir / "indexes", embedder, container.settings.retrieval, analyzer=keyword_analyzer
    )
    store.warm_up()
    container.embedder = embedder
    container.index_store = store
    container.knowledge = IndexedKnowledgeBases(container.sessions, store)
    container.jobs = InProcessJobQueue(JOB_FUNCTIONS, {"container": container})
    return container


@pytest.fixture
async def bank(kb: Container) -> Tenant:
    return await seed_tenant(kb, "harbor")


@pytest.fixture
async def admin_headers(client: httpx.AsyncClient, bank: Tenant) -> dict[str, str]:
    return await login(client, bank.admin_email)


async def upload(
    client: httpx.AsyncClient, headers: dict[str, str], files: Sequence[tuple[str, bytes]], **params: str
) -> httpx.Response:
    return await client.post(
        "/api/v1/admin/kb/uploads",
        headers=headers,
        params=params,
        files=[("files", (name, data, "application/octet-stream")) for name, data in files],
    )


async def wait_job(client: httpx.AsyncClient, headers: dict[str, str], job_id: str, timeout: float = 60) -> dict:
    """Poll the job until it is done; returns its last JSON."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        r = await client.get(f"/api/v1/admin/kb/jobs/{job_id}", headers=headers)
        assert r.status_code == 200, r.text
        job = r.json()
        if job["status"] in ("succeeded", "failed"):
            return job
        assert asyncio.get_running_loop().time() < deadline, f"job still {job['status']}: {job}"
        await asyncio.sleep(0.05)


async def upload_and_wait(
    client: httpx.AsyncClient, headers: dict[str, str], files: Sequence[tuple[str, bytes]]
) -> dict:
    r = await upload(client, headers, files)
    assert r.status_code == 202, r.text
    return await wait_job(client, headers, r.json()["job_id"])


async def publish(client: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
    return await client.post("/api/v1/admin/kb/versions/publish", headers=headers)
