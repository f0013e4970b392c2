"""Fixtures of the admin-console tests: the container over a real SQLite database (``../conftest``) with
the real index store (FAISS + BM25 + jieba) on the model-free ``HashEmbedder``, the real ingestion job
functions on the in-process queue (helpers: ``support``)."""

from __future__ import annotations

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
        container.settings.data_dir / "indexes",
        embedder,
        container.settings.retrieval,
        analyzer=keyword_analyzer,
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
