"""Knowledge-base ingestion in the app: files become documents, chunks and a published version; bad files
fail alone with a code; duplicates are skipped; the active version switches only when complete; a lost
index is rebuilt from the database. Real loaders and chunker; the index store is the seam's fake."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from app.container import Container
from app.db import crud_kb, crud_tenancy
from app.db.models import Chunk, Document, IngestionJob
from app.kb import ingest as kb_ingest
from app.kb.index_kind import index_kind_setting
from tests.unit.app.fakes import MemoryIndexStore
from tests.unit.app.helpers import Tenant, seed_tenant, use_memory_index

FAQ = "question,answer,lang,product\n如何申请信用卡分期？,登录App选择账单分期，手续费每期0.6%。,zh,credit_card\nHow do I report a lost card?,Call 95396 any time to freeze it.,en,card\n"
GUIDE = (
    "# Opening hours\n\nBranches open 9:00-17:00 on weekdays.\n\n## Holidays\n\nClosed on public holidays.\n"
)


@pytest.fixture
def index_store(container: Container) -> MemoryIndexStore:
    return use_memory_index(container)


@pytest.fixture
async def harbor(container: Container) -> Tenant:
    return await seed_tenant(container, "ingest")


async def _ingest(
    container: Container,
    tenant: Tenant,
    files: list[kb_ingest.IngestFile],
    pii_policy: kb_ingest.PiiPolicy | None = None,
) -> dict:
    job_id, _ = await kb_ingest.store_files(
        container, tenant_id=tenant.id, files=files, pii_policy=pii_policy
    )
    return await kb_ingest.run_ingestion_job(container, tenant_id=tenant.id, job_id=job_id)


async def test_files_become_a_published_version(
    container: Container, harbor: Tenant, index_store: MemoryIndexStore
) -> None:
    seen: list[kb_ingest.Progress] = []
    job_id, skipped = await kb_ingest.store_files(
        container,
        tenant_id=harbor.id,
        files=[
            kb_ingest.IngestFile("faq.csv", FAQ.encode()),
            kb_ingest.IngestFile("guides/hours.md", GUIDE.encode()),
        ],
    )
    result = await kb_ingest.run_ingestion_job(
        container, tenant_id=harbor.id, job_id=job_id, progress=seen.append
    )
    assert skipped == []
    assert result["indexed"] == 2
    assert result["failed"] == {}
    assert result["version"] == "v1"
    assert seen[-1].stage == "done"
    assert seen[-1].percent == 100.0
    assert [p.percent for p in seen] == sorted(p.percent for p in seen)
    async with container.sessions() as s:
        docs = (await s.execute(select(Document).where(Document.tenant_id == harbor.id))).scalars().all()
        assert {d.source: d.status for d in docs} == {"faq.csv": "indexed", "guides/hours.md": "indexed"}
        faq = next(d for d in docs if d.source == "faq.csv")
        assert faq.chunk_count == 2
        job = await s.get(IngestionJob, job_id)
        assert (job.status, job.progress, job.documents_done) == ("succeeded", 1.0, 2)
        active = await crud_kb.get_active_version(s, tenant_id=harbor.id)
        assert active is not None
        assert (active.label, active.status, active.chunk_count) == ("v1", "published", result["chunks"])
    kb = await container.knowledge.active(harbor.id)
    assert kb is not None
    hits = kb.retriever.search("lost card", k=3).hits
    assert hits[0].chunk.document_id == faq.id


async def test_bad_files_fail_alone_and_duplicates_are_skipped(
    container: Container, harbor: Tenant, index_store: MemoryIndexStore
) -> None:
    await _ingest(container, harbor, [kb_ingest.IngestFile("faq.csv", FAQ.encode())])
    job_id, skipped = await kb_ingest.store_files(
        container,
        tenant_id=harbor.id,
        files=[
            kb_ingest.IngestFile("copy-of-faq.csv", FAQ.encode()),
            kb_ingest.IngestFile("empty.txt", b""),
            kb_ingest.IngestFile("fake.pdf", b"this is not a pdf at all"),
            kb_ingest.IngestFile("hours.md", GUIDE.encode()),
        ],
    )
    assert skipped == ["copy-of-faq.csv"]
    result = await kb_ingest.run_ingestion_job(container, tenant_id=harbor.id, job_id=job_id)
    assert result["indexed"] == 1
    assert set(result["failed"]) == {"empty.txt", "fake.pdf"}
    assert result["failed"]["empty.txt"] == "empty_file"
    assert result["version"] == "v2"
    async with container.sessions() as s:
        failed = (await s.execute(select(Document).where(Document.source == "fake.pdf"))).scalar_one()
        assert failed.status == "failed"
        assert failed.error_code
        v2 = await crud_kb.get_active_version(s, tenant_id=harbor.id)
        # v2 keeps v1's FAQ and adds the guide
        assert sorted(
            c.document_id for c in await crud_kb.chunks_of_version(s, tenant_id=harbor.id, version_id=v2.id)
        )
        sources = {
            d.source
            for d in await crud_kb.list_documents(s, tenant_id=harbor.id)
            if d.id in await crud_kb.document_ids_of_version(s, version_id=v2.id)
        }
        assert sources == {"faq.csv", "hours.md"}


async def test_failed_build_leaves_the_active_version(
    container: Container, harbor: Tenant, index_store: MemoryIndexStore
) -> None:
    await _ingest(container, harbor, [kb_ingest.IngestFile("faq.csv", FAQ.encode())])
    index_store.fail_build = True
    with pytest.raises(RuntimeError):
        await _ingest(container, harbor, [kb_ingest.IngestFile("hours.md", GUIDE.encode())])
    async with container.sessions() as s:
        active = await crud_kb.get_active_version(s, tenant_id=harbor.id)
    assert active.label == "v1"
    kb = await container.knowledge.active(harbor.id)
    assert kb.version == "v1"


async def test_a_lost_index_is_rebuilt_from_the_database(
    container: Container, harbor: Tenant, index_store: MemoryIndexStore
) -> None:
    await _ingest(container, harbor, [kb_ingest.IngestFile("faq.csv", FAQ.encode())])
    index_store.forget(harbor.id, "v1")
    kb = await container.knowledge.active(harbor.id)
    assert kb is not None
    assert kb.retriever.search("信用卡分期", k=1).hits
    assert index_store.builds[-1] == (harbor.id, "v1", 2)


async def test_the_tenants_index_kind_reaches_every_build(
    container: Container, harbor: Tenant, index_store: MemoryIndexStore
) -> None:
    async with container.sessions() as s:
        tenant = await crud_tenancy.get_tenant(s, tenant_id=harbor.id)
        tenant.settings = {**tenant.settings, "index_kind": "ivfpq"}
        await s.commit()
    await _ingest(container, harbor, [kb_ingest.IngestFile("faq.csv", FAQ.encode())])
    index_store.forget(harbor.id, "v1")
    assert await container.knowledge.active(harbor.id) is not None  # rebuilt from the database
    assert index_store.index_kinds == ["ivfpq", "ivfpq"]


def test_an_unknown_index_kind_setting_is_ignored() -> None:
    assert index_kind_setting({"index_kind": "hnsw"}) == "hnsw"
    assert index_kind_setting({"index_kind": "diskann"}) is None
    assert index_kind_setting(None) is None


async def test_an_unreadable_index_is_replaced_from_the_database(
    container: Container, harbor: Tenant, index_store: MemoryIndexStore
) -> None:
    await _ingest(container, harbor, [kb_ingest.IngestFile("faq.csv", FAQ.encode())])
    index_store.corrupt.add((harbor.id, "v1"))  # e.g. written by an older index format
    kb = await container.knowledge.active(harbor.id)
    assert kb is not None
    assert kb.retriever.search("lost card", k=1).hits
    assert len(index_store.builds) == 2


async def test_pii_in_a_document_is_masked_before_indexing(
    container: Container, harbor: Tenant, index_store: MemoryIndexStore
) -> None:
    doc = "# Contact\n\nWrite to manager zhang.san@example.com or call 13812345678.\n"
    result = await _ingest(container, harbor, [kb_ingest.IngestFile("contact.md", doc.encode())])
    assert result["indexed"] == 1
    async with container.sessions() as s:
        chunks = (await s.execute(select(Chunk.text))).scalars().all()
        d = (await s.execute(select(Document).where(Document.source == "contact.md"))).scalar_one()
    assert d.pii_findings == {"EMAIL_ADDRESS": 1, "PHONE_NUMBER": 1}
    joined = "\n".join(chunks)
    assert "zhang.san@example.com" not in joined
    assert "13812345678" not in joined


async def test_flag_policy_keeps_the_text_and_counts_the_findings(
    container: Container, harbor: Tenant, index_store: MemoryIndexStore
) -> None:
    doc = "# Contact\n\nOur complaints desk: complaints@bank.example, hotline 13812345678.\n"
    await _ingest(container, harbor, [kb_ingest.IngestFile("contact.md", doc.encode())], pii_policy="flag")
    async with container.sessions() as s:
        text = "\n".join((await s.execute(select(Chunk.text))).scalars().all())
        d = (await s.execute(select(Document).where(Document.source == "contact.md"))).scalar_one()
    assert "complaints@bank.example" in text
    assert d.pii_findings == {"EMAIL_ADDRESS": 1, "PHONE_NUMBER": 1}


async def test_reject_policy_fails_the_document(
    container: Container, harbor: Tenant, index_store: MemoryIndexStore
) -> None:
    doc = "# Contact\n\nWrite to zhang.san@example.com.\n"
    result = await _ingest(
        container, harbor, [kb_ingest.IngestFile("c.md", doc.encode())], pii_policy="reject"
    )
    assert result["failed"] == {"c.md": "document_has_pii"}
    assert result["version"] is None


async def test_tenants_public_values_are_collected(container: Container) -> None:
    from app.db import crud_tenancy

    async with container.sessions() as s:
        a = await crud_tenancy.create_tenant(s, slug="a", name="A")
        a.settings = {"privacy_allow_list": ["+86-400-699-5396", "  "]}
        await crud_tenancy.create_tenant(s, slug="b", name="B")
        await s.commit()
        assert await crud_tenancy.all_privacy_allow_lists(s) == ["+86-400-699-5396"]


@pytest.fixture
def small_demo_kb(tmp_path: Path) -> Path:
    root = Path(__file__).resolve().parents[4] / "data" / "demo_kb"
    kb = tmp_path / "kb"
    kb.mkdir()
    for name in ("faq.csv", "golden_questions.jsonl", "README.md"):
        shutil.copy(root / name, kb / name)
    return kb


def _mode(path: Path) -> str:
    return oct(os.stat(path).st_mode & 0o777)


async def test_demo_seed_without_models(
    container: Container, index_store: MemoryIndexStore, small_demo_kb: Path
) -> None:
    """``kefu demo`` on the fakes: users with printed passwords, a widget key, the KB, golden questions
    pointing at document ids, the intent set, the credentials file (mode 600); a second run is a no-op."""
    from app import demo
    from app.db.models import GoldenQuestion, Intent, User

    container.settings = container.settings.model_copy(update={"demo_kb_dir": small_demo_kb})
    seeded = await demo.seed(container, if_empty=True)
    assert seeded is not None
    assert seeded.documents == 1  # README.md and the .jsonl files are not content
    assert await demo.seed(container, if_empty=True) is None
    async with container.sessions() as s:
        users = (await s.execute(select(User.email, User.role))).all()
        golden = (await s.execute(select(GoldenQuestion))).scalars().all()
        intents = (await s.execute(select(Intent))).scalars().all()
        faq = (await s.execute(select(Document).where(Document.source == "faq.csv"))).scalar_one()
    assert sorted(users) == [("admin@harbor.example", "admin"), ("agent@harbor.example", "agent")]
    assert any(g.expected_document_ids == [faq.id] for g in golden)
    assert {"human_agent", "card_lost_stolen"} <= {i.name for i in intents}
    creds = Path(container.settings.data_dir) / "demo_credentials.txt"
    assert seeded.admin_password in creds.read_text()
    assert _mode(creds) == "0o600"
