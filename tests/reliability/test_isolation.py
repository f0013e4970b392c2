"""Tenant isolation, property-based (hypothesis): across randomly generated tenants, knowledge bases,
conversations and queries, nothing one tenant's people or customers can read holds another tenant's data.

Each example builds a fresh database (the migrations' SQLite template), the real per-tenant index store
(FAISS + BM25 on the model-free ``HashEmbedder``), the real semantic answer cache, and fills 2-3 tenants
through the real services and API: documents ingested and published, customer conversations with turns
(the scripted model quotes the passage it is given), some handed to a human. Every tenant's documents share
one vocabulary, so a query that crossed a tenant boundary would find the other tenant's passages; what
tells them apart is a marker word per tenant in its documents and in its customers' messages.

Then, for every tenant, every read: the widget's turns, transcript and cited passages; the agent's
conversation list, transcripts, context packages, hand-off queue and KB search; the admin's documents,
versions, hit-test, audit log, users and analytics. None may contain another tenant's markers, ids or
e-mails; direct reads and writes of another tenant's ids are 404. Each tenant does see its own data (so a
read that returned nothing would not pass by accident).
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import httpx
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from app.db.engine import create_engine, session_factory
from app.kb import ingest as kb_ingest
from llm_backend.config import SemanticCacheConfig
from llm_backend.semantic_cache import SemanticAnswerCache
from retrieval.text import KeywordAnalyzer
from tests.reliability.conftest import asgi_client, make_settings
from tests.unit.app.helpers import (
    Tenant,
    fake_container,
    login,
    seed_tenant,
    send_message,
    start_conversation,
    use_real_index,
)

API = "/api/v1"
VOCAB = [
    *("card", "fee", "branch", "loan", "transfer", "account", "limit", "hours", "freeze", "interest"),
    *("mortgage", "savings", "deposit", "withdrawal", "online", "mobile", "password", "statement"),
]
COMMON_QUESTION = "What is the card fee for a transfer?"  # every tenant asks it: the answer cache's test


def doc_marker(i: int) -> str:
    return f"zdocmark{i}q"


def customer_marker(i: int) -> str:
    return f"zcustmark{i}q"


words = st.lists(st.sampled_from(VOCAB), min_size=2, max_size=7).map(" ".join)


@dataclass
class TenantPlan:
    documents: list[str]
    messages: list[str]
    handoff: bool


@dataclass
class World:
    tenants: list[TenantPlan]
    queries: list[str]


@st.composite
def worlds(draw: st.DrawFn) -> World:
    tenants = [
        TenantPlan(
            documents=draw(st.lists(words, min_size=1, max_size=3)),
            messages=draw(st.lists(words, min_size=1, max_size=3)),
            handoff=draw(st.booleans()),
        )
        for _ in range(draw(st.integers(min_value=2, max_value=3)))
    ]
    return World(tenants=tenants, queries=draw(st.lists(words, min_size=1, max_size=3)))


@dataclass
class Seeded:
    tenant: Tenant
    index: int
    conversations: dict[str, dict[str, str]] = field(default_factory=dict)  # id -> widget headers
    reads: list[str] = field(default_factory=list)  # widget responses, collected while seeding
    document_ids: list[str] = field(default_factory=list)
    agent: dict[str, str] = field(default_factory=dict)  # login headers
    admin: dict[str, str] = field(default_factory=dict)

    def secrets(self) -> list[str]:
        """What must never reach another tenant."""
        return [
            doc_marker(self.index),
            customer_marker(self.index),
            self.tenant.id,
            self.tenant.admin_email,
            self.tenant.agent_email,
            self.tenant.widget_key,
            *self.conversations,
            *self.document_ids,
        ]


async def _seed(client: httpx.AsyncClient, container: object, i: int, plan: TenantPlan) -> Seeded:
    tenant = await seed_tenant(container, f"bank{i}")  # type: ignore[arg-type]
    seeded = Seeded(tenant, i)
    texts = [f"Card fee and transfer limit guide {doc_marker(i)}."] + [
        f"{text} {doc_marker(i)} note {n}." for n, text in enumerate(plan.documents)
    ]
    files = [kb_ingest.IngestFile(f"doc{n}.txt", t.encode()) for n, t in enumerate(texts)]
    job_id, _ = await kb_ingest.store_files(container, tenant_id=tenant.id, files=files)  # type: ignore[arg-type]
    result = await kb_ingest.run_ingestion_job(container, tenant_id=tenant.id, job_id=job_id)  # type: ignore[arg-type]
    assert result["indexed"] == len(texts), result
    for n, message in enumerate([COMMON_QUESTION, *plan.messages]):
        cid, headers = await start_conversation(client, tenant)
        seeded.conversations[cid] = headers
        text = message if n == 0 else f"{message} {customer_marker(i)}"
        r = await send_message(client, cid, headers, text)
        assert r.status_code == 200, r.text
        seeded.reads.append(r.text)
        if plan.handoff and n == 1:
            r = await client.post(f"{API}/chat/conversations/{cid}/handoff", headers=headers)
            assert r.status_code == 201, r.text
    return seeded


async def _reads(client: httpx.AsyncClient, s: Seeded, queries: list[str]) -> str:
    """Everything this tenant's widget, agent and admin can read, as one text."""
    agent, admin = s.agent, s.admin
    out = list(s.reads)

    async def get(url: str, headers: dict[str, str], limit: str | None = None) -> None:
        r = await client.get(url, headers=headers, params={"limit": limit} if limit else {})
        assert r.status_code == 200, (url, r.text)
        out.append(r.text)

    async def search(url: str, headers: dict[str, str], query: str) -> None:
        r = await client.post(url, json={"query": query}, headers=headers)
        assert r.status_code == 200, (url, r.text)
        out.append(r.text)

    for cid, headers in s.conversations.items():
        await get(f"{API}/chat/conversations/{cid}/messages", headers)
        for message in (await client.get(f"{API}/chat/conversations/{cid}/messages", headers=headers)).json()[
            "messages"
        ]:
            for citation in message["citations"]:
                chunk = citation["chunk_id"] if isinstance(citation, dict) else citation
                await get(f"{API}/chat/conversations/{cid}/citations/{quote(chunk, safe='')}", headers)
        await get(f"{API}/agent/conversations/{cid}", agent)
        await get(f"{API}/agent/conversations/{cid}/context", agent)
    for path, limit in (("conversations", "200"), ("handoffs", None), ("queue", None)):
        await get(f"{API}/agent/{path}", agent, limit)
    for q in [*queries, doc_marker(s.index), COMMON_QUESTION]:
        await search(f"{API}/agent/kb/search", agent, q)
        await search(f"{API}/admin/kb/hit-test", admin, q)
    for path, limit in (
        ("kb/documents", None),
        ("kb/versions", None),
        ("kb/jobs", None),
        ("audit", "200"),
        ("users", None),
        ("analytics", None),
    ):
        await get(f"{API}/admin/{path}", admin, limit)
    return "\n".join(out)


async def _cross_tenant_ids_are_404(client: httpx.AsyncClient, s: Seeded, other: Seeded) -> None:
    agent, admin = s.agent, s.admin
    for cid in other.conversations:
        for url in (f"{API}/agent/conversations/{cid}", f"{API}/agent/conversations/{cid}/context"):
            r = await client.get(url, headers=agent)
            assert r.status_code == 404, (url, r.text)
        r = await client.post(f"{API}/agent/conversations/{cid}/join", headers=agent)
        assert r.status_code == 404, r.text
    for doc_id in other.document_ids:
        r = await client.delete(f"{API}/admin/kb/documents/{doc_id}", headers=admin)
        assert r.status_code == 404, r.text


async def _run(world: World, template: Path, analyzer: KeywordAnalyzer) -> None:
    with tempfile.TemporaryDirectory(prefix="kefu-iso-") as folder:
        tmp = Path(folder)
        shutil.copy(template, tmp / "kefu.db")
        cfg = make_settings(tmp, log_json=False, rate_limit={"enabled": False})  # limits: test_edge_limits
        engine = create_engine(cfg.sqlalchemy_url)
        container = fake_container(cfg, engine, session_factory(engine))
        use_real_index(container, analyzer)  # under tmp / "indexes" (cfg.data_dir)
        container.answer_cache = SemanticAnswerCache(container.embedder.embed_queries, SemanticCacheConfig())
        try:
            async with asgi_client(container) as client:
                seeded = [await _seed(client, container, i, plan) for i, plan in enumerate(world.tenants)]
                for s in seeded:
                    s.agent = await login(client, s.tenant.agent_email)
                    s.admin = await login(client, s.tenant.admin_email)
                    client.cookies.clear()  # only the headers authenticate
                    s.document_ids = [str(d["id"]) for d in await _documents(client, s)]
                for s in seeded:
                    seen = await _reads(client, s, world.queries)
                    # its own data is there (the reads are not vacuous) ...
                    assert doc_marker(s.index) in seen
                    assert customer_marker(s.index) in seen
                    # ... and nobody else's
                    for other in seeded:
                        if other is s:
                            continue
                        leaked = [x for x in other.secrets() if x in seen]
                        assert not leaked, f"tenant {s.index} can read tenant {other.index}'s {leaked}"
                        await _cross_tenant_ids_are_404(client, s, other)
                        assert len(await _documents(client, other)) == len(other.document_ids)
        finally:
            await engine.dispose()


async def _documents(client: httpx.AsyncClient, s: Seeded) -> list[dict[str, object]]:
    docs: list[dict[str, object]] = (await client.get(f"{API}/admin/kb/documents", headers=s.admin)).json()
    return [d for d in docs if d.get("status") != "deleted"]


@settings(
    max_examples=5,
    deadline=None,
    # An example takes seconds (a database, indexes, logins): report the failing world as drawn rather
    # than spend minutes shrinking it (worlds are small already).
    phases=[Phase.explicit, Phase.generate],
    database=None,  # nothing written into the checkout
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(world=worlds())
def test_no_read_returns_another_tenants_data(
    world: World, sqlite_template: Path, keyword_analyzer: KeywordAnalyzer
) -> None:
    asyncio.run(_run(world, sqlite_template, keyword_analyzer))
