"""The app on the real PostgreSQL and Redis in a test: its settings under a test's Redis namespace, and a
Container of fakes whose dialog store and live events (and, when given, vault) are on that Redis."""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.container import Container
from app.settings import Settings
from dialog.channels.redis_channel import RedisEventChannel
from dialog.stores.redis_store import RedisDialogStore
from privacy.protocols import VaultStore
from tests.unit.app.fakes import StaticKnowledgeBases
from tests.unit.app.helpers import fake_container


def stack_settings_of(database_url: str, redis_url: str, namespace: str, **overrides: Any) -> Settings:
    """Test settings on this database and Redis, keys under ``namespace``; ``overrides`` as Settings fields."""
    return Settings(
        _env_file=None,
        environment="test",
        database_url=database_url,
        redis_url=redis_url,
        redis_namespace=namespace,
        **overrides,
    )


def redis_container(
    settings: Settings,
    engine: AsyncEngine,
    sessions: async_sessionmaker[AsyncSession],
    redis: Redis,
    knowledge: StaticKnowledgeBases,
    *,
    vaults: VaultStore | None = None,
) -> Container:
    """``fake_container`` with the Redis dialog store and event channel under ``settings.redis_namespace``."""
    ns = settings.redis_namespace
    return fake_container(
        settings,
        engine,
        sessions,
        knowledge=knowledge,
        dialog_store=RedisDialogStore(redis, ttl_s=3600, prefix=f"{ns}:dialog:"),
        events=RedisEventChannel(redis, prefix=f"{ns}:events:"),
        vaults=vaults,
    )
