"""Fixtures of the admin-console tests: the container over a real SQLite database (``../conftest``) with
the real index store (FAISS + BM25 + jieba) on the model-free ``HashEmbedder``, the real ingestion job
functions on the in-process queue (``helpers.use_real_index``; helpers: ``support``)."""

from __future__ import annotations

import httpx
import pytest

from app.container import Container
from retrieval.text import KeywordAnalyzer
from tests.unit.app.helpers import Tenant, login, seed_tenant, use_real_index


@pytest.fixture
def kb(container: Container, keyword_analyzer: KeywordAnalyzer) -> Container:
    """The container with the real index store and the real job functions."""
    return use_real_index(container, keyword_analyzer)


@pytest.fixture
async def bank(kb: Container) -> Tenant:
    return await seed_tenant(kb, "harbor")


@pytest.fixture
async def admin_headers(client: httpx.AsyncClient, bank: Tenant) -> dict[str, str]:
    return await login(client, bank.admin_email)
