"""The semantic answer cache never outlives the KB version it was filled under: publishing a draft and
rolling back both drop the tenant's cached answers (and only that tenant's). Real SQLite, real index
store, real publish/rollback through the admin API, the real ``SemanticAnswerCache``."""

from __future__ import annotations

import httpx

from app.container import Container
from llm_backend.config import SemanticCacheConfig
from llm_backend.semantic_cache import SemanticAnswerCache
from llm_backend.types import CachedAnswer
from retrieval.testing import HashEmbedder
from tests.unit.app.admin.support import FAQ_CSV, GUIDE_MD, publish, upload_and_wait
from tests.unit.app.helpers import Tenant

QUESTION = "How do I report a lost card?"
ANSWER = CachedAnswer(text="Call 95396 to freeze the card [1].", citations=("chunk-1",), lang="en")


async def _fill(cache: SemanticAnswerCache, tenant: str, version: str) -> None:
    assert await cache.store(tenant=tenant, kb_version=version, question=QUESTION, answer=ANSWER)
    assert await cache.lookup(tenant=tenant, kb_version=version, question=QUESTION) is not None


async def test_publish_and_rollback_drop_the_tenants_cached_answers(
    client: httpx.AsyncClient, kb: Container, bank: Tenant, admin_headers: dict[str, str]
) -> None:
    cache = SemanticAnswerCache(HashEmbedder().embed_queries, SemanticCacheConfig())
    kb.answer_cache = cache
    await upload_and_wait(client, admin_headers, [("faq.csv", FAQ_CSV.encode())])
    assert (await publish(client, admin_headers)).json()["version"]["label"] == "v1"
    await _fill(cache, bank.id, "v1")
    await _fill(cache, "another-tenant", "v7")

    await upload_and_wait(client, admin_headers, [("hours.md", GUIDE_MD.encode())])
    assert cache.size(bank.id) == 1  # a draft changes nothing the customers see
    assert (await publish(client, admin_headers)).json()["version"]["label"] == "v2"
    assert cache.size(bank.id) == 0
    assert await cache.lookup(tenant=bank.id, kb_version="v1", question=QUESTION) is None
    assert cache.size("another-tenant") == 1

    await _fill(cache, bank.id, "v2")
    versions = {
        v["label"]: v for v in (await client.get("/api/v1/admin/kb/versions", headers=admin_headers)).json()
    }
    r = await client.post(f"/api/v1/admin/kb/versions/{versions['v1']['id']}/rollback", headers=admin_headers)
    assert r.status_code == 200, r.text
    assert cache.size(bank.id) == 0
    assert await cache.lookup(tenant=bank.id, kb_version="v2", question=QUESTION) is None
    assert cache.size("another-tenant") == 1
