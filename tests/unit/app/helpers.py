"""Helpers shared by the app's unit and integration tests: a Container of fakes over a real database
(``use_real_index`` swaps in the real index store), tenant seeding, conversation and login shortcuts."""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.auth.credentials import hash_password, new_widget_key
from app.chat.tenant_trackers import Build, TenantTrackers
from app.container import Container
from app.db import crud_kb, crud_tenancy
from app.kb.knowledge import IndexedKnowledgeBases
from app.runtime.jobs import InProcessJobQueue
from app.runtime.metrics import Metrics
from app.settings import Settings
from app.worker import JOB_FUNCTIONS
from dialog.channels.memory import MemoryEventChannel
from dialog.intents import IntentSet, load_intents_yaml
from dialog.kb_profile import KBProfile
from dialog.policy import Policy
from dialog.protocols import DialogStore, EventChannel, Tracker
from dialog.stores.memory import MemoryDialogStore
from dialog.testing import DEMO_INTENTS, local_tracker
from llm_backend.testing import ScriptedLLM
from llm_backend.tokens import EstimatingCounter
from privacy.config import PrivacyConfig
from privacy.factory import build_vault_store
from privacy.protocols import VaultStore
from privacy.testing import RegexMasker
from retrieval.index.store import IndexStore
from retrieval.protocols import Embedder
from retrieval.testing import HashEmbedder, KeywordRetriever
from retrieval.text import KeywordAnalyzer
from retrieval.types import ChunkRecord
from tests.unit.app.fakes import MemoryIndexStore, StaticKnowledgeBases, chunks_of

ORIGIN = "https://bank.example"
# The app tests' settings carry this METRICS_TOKEN (``ENVIRONMENT=test``: /metrics needs it).
METRICS_TOKEN = "unit-test-metrics-token-0123456789"
METRICS_AUTH = {"Authorization": "Bearer " + METRICS_TOKEN}
PASSWORD = "correct horse battery"

KB = chunks_of(
    [
        (
            "faq-1",
            "信用卡分期",
            "信用卡分期：登录手机银行，选择账单分期，可分3、6、12期，手续费每期0.6%。",
            "zh",
        ),
        (
            "faq-2",
            "Lost card",
            "Lost card: call 95555 at any time to freeze your card, then order a new one.",
            "en",
        ),
        ("faq-3", "Opening hours", "Branches open 9:00-17:00 Monday to Friday.", "en"),
    ]
)


@functools.cache
def password_hash() -> str:
    return hash_password(PASSWORD)  # argon2 is slow on purpose: once per session


@functools.cache
def _tracker() -> Tracker:
    return local_tracker()  # the real local tracker on a model-free embedding; trained once per session


def fake_container(
    settings: Settings,
    engine: AsyncEngine,
    sessions: async_sessionmaker[AsyncSession],
    *,
    llm: ScriptedLLM | None = None,
    knowledge: StaticKnowledgeBases | None = None,
    dialog_store: DialogStore | None = None,
    events: EventChannel | None = None,
    vaults: VaultStore | None = None,
) -> Container:
    return Container(
        settings=settings,
        engine=engine,
        sessions=sessions,
        metrics=Metrics(),
        masker=RegexMasker(),
        vaults=vaults or build_vault_store(PrivacyConfig(), "unit-test-vault-key-0123456789"),
        dialog_store=dialog_store or MemoryDialogStore(ttl_s=3600),
        events=events or MemoryEventChannel(),
        tracker=_tracker(),
        policy=Policy(),
        llm=llm or ScriptedLLM(),
        token_counter=EstimatingCounter(),
        knowledge=knowledge or StaticKnowledgeBases(),
        jobs=InProcessJobQueue({}, {}),
    )


def use_real_index(
    container: Container, analyzer: KeywordAnalyzer, embedder: Embedder | None = None
) -> Container:
    """``container`` with the real index store (FAISS + BM25 + jieba, under ``data_dir/indexes``) on
    ``embedder`` (by default the model-free ``HashEmbedder``), and the real ingestion job functions on the
    in-process queue."""
    embedder = HashEmbedder() if embedder is None else embedder
    store = IndexStore(
        container.settings.data_dir / "indexes", embedder, container.settings.retrieval, analyzer=analyzer
    )
    store.warm_up()
    container.embedder = embedder
    container.index_store = store
    container.knowledge = IndexedKnowledgeBases(container.sessions, store)
    container.jobs = InProcessJobQueue(JOB_FUNCTIONS, {"container": container})
    return container


def use_memory_index(container: Container) -> MemoryIndexStore:
    """``container`` with the in-memory index store (``fakes.MemoryIndexStore``) behind its knowledge
    bases; returns the store."""
    store = MemoryIndexStore()
    container.index_store = store
    container.knowledge = IndexedKnowledgeBases(container.sessions, store)
    return store


@dataclass
class Tenant:
    id: str
    widget_key: str
    admin_email: str
    agent_email: str


async def seed_tenant(
    container: Container, slug: str, knowledge: StaticKnowledgeBases | None = None
) -> Tenant:
    async with container.sessions() as s:
        t = await crud_tenancy.create_tenant(s, slug=slug, name=slug.title())
        wk = await crud_tenancy.create_widget_key(
            s, tenant_id=t.id, public_key=new_widget_key(), name="site", allowed_origins=[ORIGIN]
        )
        pw = password_hash()
        admin = f"admin@{slug}.example"
        agent = f"agent@{slug}.example"
        await crud_tenancy.create_user(s, tenant_id=t.id, email=admin, password_hash=pw, role="admin")
        await crud_tenancy.create_user(s, tenant_id=t.id, email=agent, password_hash=pw, role="agent")
        await s.commit()
        tenant = Tenant(id=t.id, widget_key=wk.public_key, admin_email=admin, agent_email=agent)
    if knowledge is not None:
        knowledge.by_tenant[tenant.id] = KeywordRetriever(KB, floor=0.2)  # type: ignore[index]
    return tenant


async def start_conversation(client: httpx.AsyncClient, tenant: Tenant) -> tuple[str, dict[str, str]]:
    r = await client.post(
        "/api/v1/chat/conversations", json={"widget_key": tenant.widget_key}, headers={"Origin": ORIGIN}
    )
    assert r.status_code == 201, r.text
    body = r.json()
    return body["id"], {"X-Conversation-Token": body["token"], "Origin": ORIGIN}


async def send_message(
    client: httpx.AsyncClient, cid: str, headers: dict[str, str], text: str, *, stream: bool = False
) -> httpx.Response:
    """The customer's message ``text`` to conversation ``cid`` (``stream``: the Server-Sent Events route)."""
    path = f"/api/v1/chat/conversations/{cid}/messages" + ("/stream" if stream else "")
    return await client.post(path, json={"text": text}, headers=headers)


async def ask_once(client: httpx.AsyncClient, tenant: Tenant, text: str) -> dict[str, Any]:
    """The reply (JSON body) to ``text`` as the first message of a new conversation; asserts a 200."""
    cid, headers = await start_conversation(client, tenant)
    r = await send_message(client, cid, headers, text)
    assert r.status_code == 200, r.text
    return dict(r.json())


async def login(client: httpx.AsyncClient, email: str) -> dict[str, str]:
    r = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": "Bearer " + r.json()["token"]}


def parse_sse(text: str) -> list[tuple[str, dict]]:
    """(event, data) pairs of a Server-Sent Events body."""
    out = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        event, data = None, []
        for line in block.split("\n"):
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].strip())
        if event:
            out.append((event, json.loads("\n".join(data))))
    return out


async def publish_faq(container: Container, tenant: Tenant, rows: list[tuple[str, str]]) -> None:
    """A published (active) KB version of FAQ chunks (question, answer), as ingestion stores them."""
    async with container.sessions() as s:
        coll = await crud_kb.get_or_create_collection(s, tenant_id=tenant.id, name="default")
        raw = "\n".join(q + "," + a for q, a in rows).encode()
        doc = await crud_kb.create_document(
            s, tenant_id=tenant.id, collection_id=coll.id, job_id=None, source="faq.csv", mime_type="text/csv",
            content_hash=hashlib.sha256(raw).hexdigest(), raw=raw,
        )  # fmt: skip
        chunks = [
            ChunkRecord(chunk_id=f"{doc.id}-{i}", document_id=doc.id, text=f"{q}\n{a}", embed_text=q,
                        title="faq.csv", lang="zh", metadata={"kind": "faq", "question": q})
            for i, (q, a) in enumerate(rows)
        ]  # fmt: skip
        await crud_kb.add_chunks(s, tenant_id=tenant.id, document_id=doc.id, chunks=chunks)
        version = await crud_kb.create_version(
            s, tenant_id=tenant.id, document_ids=[doc.id], embedder="hash", chunk_count=len(chunks)
        )
        await crud_kb.activate_version(s, tenant_id=tenant.id, version_id=version.id)
        await s.commit()


def demo_trackers(container: Container, build: Build, **options: float) -> TenantTrackers:
    """The per-tenant trackers as the app wires them (the demo intents are the default set) that train with
    ``build``; ``options``: ``refresh_s``."""
    return TenantTrackers(
        default=container.tracker,
        sessions=container.sessions,
        build=build,
        default_intents=lambda: load_intents_yaml(DEMO_INTENTS),
        **options,
    )


def counting_trackers(container: Container, **options: float) -> TenantTrackers:
    """``demo_trackers`` training the real local tracker (model-free embedding); ``.builds`` lists the size
    of each intent set trained, in order."""
    builds: list[int] = []

    def build(intents: IntentSet, kb: KBProfile | None = None) -> Tracker:
        builds.append(len(intents))
        return local_tracker(intents, kb=kb)

    trackers = demo_trackers(container, build, **options)
    trackers.builds = builds  # type: ignore[attr-defined]
    return trackers
