"""Integration tier: real PostgreSQL and Redis (``DATABASE_URL``, ``REDIS_URL``; ``.ci/run`` sets both).

- A database of its own per test session (``kefu_it_<random>`` on the DATABASE_URL server), built by
  ``alembic upgrade head`` and dropped at the end; nothing touches the database the URL names.
- ``pg_sessions``: every test that uses it runs inside one outer transaction that is rolled back at the
  end (sessions commit to savepoints), so tests leave nothing behind.
- Redis keys live under a namespace of their own per test (``kefu-it-<random>:``), deleted afterwards;
  nothing else in the Redis database is touched (never FLUSHALL).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.db.engine import create_engine
from app.settings import Settings
from tests.integration.stack import stack_settings_of
from tests.pg import fresh_database


@pytest.fixture(scope="session")
def pg_url(service_urls: tuple[str, str]) -> Iterator[str]:
    """Async SQLAlchemy URL of a fresh, migrated database for this test session."""
    base = (
        service_urls[0]
        .replace("postgresql://", "postgresql+psycopg://", 1)
        .replace("postgres://", "postgresql+psycopg://", 1)
    )
    with fresh_database(base, "kefu_it", migrate=True) as url:
        yield url


@pytest.fixture
async def pg_engine(pg_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(pg_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def pg_sessions(pg_engine: AsyncEngine) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions inside one transaction that is rolled back after the test."""
    async with pg_engine.connect() as conn:
        outer = await conn.begin()
        yield async_sessionmaker(bind=conn, expire_on_commit=False, join_transaction_mode="create_savepoint")
        await outer.rollback()


@pytest.fixture
def stack_settings(pg_url: str, service_urls: tuple[str, str], redis_namespace: str) -> Settings:
    """The app's settings on this session's database and the real Redis, under this test's namespace."""
    return stack_settings_of(pg_url, service_urls[1], redis_namespace, log_json=False)
