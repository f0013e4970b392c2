"""Reliability tier: faults, load edges, isolation, hostile input, data protection, operations.

Unit-speed tests here run the real API through the ASGI app on a SQLite database built by the migrations,
with the domain packages' fakes for the models (``tests.unit.app.helpers``). Fault tests start their own
private Redis / PostgreSQL servers and a real OpenAI-compatible stub model server (``bench.load``), on
free loopback ports, and signal only those processes.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from app.container import Container
from app.db.engine import create_engine, session_factory
from app.main import create_app
from app.settings import Settings
from bench.load.procs import LlmStub
from tests.unit.app.conftest import keyword_analyzer, sqlite_template  # noqa: F401 (fixtures)
from tests.unit.app.conftest import make_settings as app_settings
from tests.unit.app.fakes import StaticKnowledgeBases
from tests.unit.app.helpers import Tenant, fake_container, seed_tenant


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    """The app tests' settings, with JSON logs (the log tests read them)."""
    return app_settings(tmp_path, **{"log_json": True, **overrides})


@pytest.fixture
def db_copy(tmp_path: Path, sqlite_template: Path) -> Path:  # noqa: F811 (the imported fixture)
    shutil.copy(sqlite_template, tmp_path / "kefu.db")
    return tmp_path / "kefu.db"


@pytest.fixture
def settings(tmp_path: Path, db_copy: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def knowledge() -> StaticKnowledgeBases:
    return StaticKnowledgeBases()


@pytest.fixture
async def container(settings: Settings, knowledge: StaticKnowledgeBases) -> AsyncIterator[Container]:
    engine = create_engine(settings.sqlalchemy_url)
    yield fake_container(settings, engine, session_factory(engine), knowledge=knowledge)
    await engine.dispose()


@pytest.fixture
async def tenant(container: Container, knowledge: StaticKnowledgeBases) -> Tenant:
    return await seed_tenant(container, "harbor", knowledge)


def asgi_client(container: Container, settings: Settings | None = None) -> httpx.AsyncClient:
    app = create_app(settings or container.settings, container)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest.fixture
async def client(container: Container) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(container) as c:
        yield c


@pytest.fixture(scope="session")
def llm_stub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlmStub]:
    """The stub model server, one per session; tests set its behaviour and reset it."""
    stub = LlmStub(tmp_path_factory.mktemp("stub") / "stub.log").start()
    yield stub
    stub.stop()


@pytest.fixture
def stub(llm_stub: LlmStub) -> LlmStub:
    if not llm_stub.proc.alive():  # a test made it exit on purpose: a fresh one on the same port
        llm_stub.proc.start()
        llm_stub.proc.wait_for(llm_stub.stats, timeout=60, what="llm stub restart")
    llm_stub.set(mode="ok", ttft_s=0.02, interval_s=0.01, tokens=8, fail_after=3)
    llm_stub.reset()
    return llm_stub
