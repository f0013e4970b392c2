"""App unit tests: a real SQLite database built by the migrations (one template per session, copied per
test), the real in-process dialog store and event channel, and the domain packages' fakes."""

from __future__ import annotations

import functools
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from app.container import Container
from app.db import crud_tenancy
from app.db.engine import create_engine, session_factory
from app.db.migrate import upgrade
from app.jobs import InProcessJobQueue
from app.main import create_app
from app.metrics import Metrics
from app.security import hash_password, new_widget_key
from app.settings import Settings
from dialog.channels.memory import MemoryEventChannel
from dialog.stores.memory import MemoryDialogStore
from llm_backend.testing import ScriptedLLM
from llm_backend.tokens import EstimatingCounter
from privacy.testing import RegexMasker
from retrieval.testing import KeywordRetriever
from tests.unit.app.fakes import DictVault, KeywordTracker, StaticKnowledgeBases, chunks_of, simple_policy

ORIGIN = "https://bank.example"
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


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("db") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "environment": "test",
        "database_url": f"sqlite+aiosqlite:///{tmp_path / 'kefu.db'}",
        "redis_url": None,
        "data_dir": tmp_path,
        "log_json": False,
        "cookie_secure": False,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def settings(tmp_path: Path, sqlite_template: Path) -> Settings:
    shutil.copy(sqlite_template, tmp_path / "kefu.db")
    return make_settings(tmp_path)


@pytest.fixture
def llm() -> ScriptedLLM:
    return ScriptedLLM()


@pytest.fixture
def knowledge() -> StaticKnowledgeBases:
    return StaticKnowledgeBases()


@pytest.fixture
async def container(
    settings: Settings, llm: ScriptedLLM, knowledge: StaticKnowledgeBases
) -> AsyncIterator[Container]:
    engine = create_engine(settings.sqlalchemy_url)
    c = Container(
        settings=settings,
        engine=engine,
        sessions=session_factory(engine),
        metrics=Metrics(),
        masker=RegexMasker(),
        vaults=DictVault(),
        dialog_store=MemoryDialogStore(ttl_s=3600),
        events=MemoryEventChannel(),
        tracker=KeywordTracker(),
        policy=simple_policy,
        llm=llm,
        token_counter=EstimatingCounter(),
        knowledge=knowledge,
        jobs=InProcessJobQueue({}, {}),
    )
    yield c
    await engine.dispose()


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


@pytest.fixture
async def tenant(container: Container, knowledge: StaticKnowledgeBases) -> Tenant:
    return await seed_tenant(container, "harbor", knowledge)


@pytest.fixture
async def client(container: Container) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(container.settings, container)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


async def start_conversation(client: httpx.AsyncClient, tenant: Tenant) -> tuple[str, dict[str, str]]:
    r = await client.post(
        "/api/v1/chat/conversations", json={"widget_key": tenant.widget_key}, headers={"Origin": ORIGIN}
    )
    assert r.status_code == 201, r.text
    body = r.json()
    return body["id"], {"X-Conversation-Token": body["token"], "Origin": ORIGIN}


async def login(client: httpx.AsyncClient, email: str) -> dict[str, str]:
    r = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": "Bearer " + r.json()["token"]}
