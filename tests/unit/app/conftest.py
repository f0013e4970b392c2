"""App unit tests: a real SQLite database built by the migrations (one template per session, copied per
test, so each test starts from a clean schema), the real in-process dialog store and event channel, and
the domain packages' fakes (``helpers.fake_container``)."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from app.container import Container
from app.db.engine import create_engine, session_factory
from app.db.migrate import upgrade
from app.main import create_app
from app.settings import Settings
from llm_backend.testing import ScriptedLLM
from retrieval.text import KeywordAnalyzer
from tests.integration.conftest import pg_engine, pg_sessions, pg_url  # noqa: F401
from tests.unit.app.fakes import StaticKnowledgeBases
from tests.unit.app.helpers import METRICS_TOKEN, Tenant, fake_container, seed_tenant

# pg_*: the integration tier's PostgreSQL fixtures, for app tests that also run on
# the deployed stack (marker ``integration``, e.g. test_pii_never_stored.py).


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("db") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def keyword_analyzer() -> KeywordAnalyzer:
    """jieba + OpenCC take seconds to load: once per test session (for ``helpers.use_real_index``)."""
    analyzer = KeywordAnalyzer()
    analyzer.warm_up()
    return analyzer


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "environment": "test",
        "database_url": f"sqlite+aiosqlite:///{tmp_path / 'kefu.db'}",
        "redis_url": None,
        "data_dir": tmp_path,
        "log_json": False,
        "cookie_secure": False,
        "metrics_token": METRICS_TOKEN,
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
    yield fake_container(settings, engine, session_factory(engine), llm=llm, knowledge=knowledge)
    await engine.dispose()


@pytest.fixture
async def tenant(container: Container, knowledge: StaticKnowledgeBases) -> Tenant:
    return await seed_tenant(container, "harbor", knowledge)


@pytest.fixture
async def client(container: Container) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(container.settings, container)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c
