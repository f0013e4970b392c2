"""Fixtures of the contract tests' Redis implementations (marker ``integration``): a key prefix of the
test's own on the real Redis (``redis_client``, ``../conftest.py``), and a client of no Redis at all."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis


@pytest.fixture
async def redis_prefix(redis_client: Redis) -> AsyncIterator[str]:
    """``kefu:test:<random>:``; the keys under it are deleted after the test."""
    prefix = f"kefu:test:{uuid.uuid4().hex}:"
    yield prefix
    async for key in redis_client.scan_iter(match=prefix + "*"):
        await redis_client.delete(key)


@pytest.fixture
async def unreachable_redis() -> AsyncIterator[Redis]:
    """A client of a port nothing listens on: every command fails to connect (within half a second)."""
    client = Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)
    yield client
    await client.aclose()
