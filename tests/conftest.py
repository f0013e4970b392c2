"""Test-suite wide rules.

Tiers and markers (strict): unit and contract tests need nothing; ``integration`` tests need real
PostgreSQL and Redis and run only when ``DATABASE_URL`` and ``REDIS_URL`` are set — and then they FAIL,
not skip, when a server does not answer (``service_urls``; ``redis_client`` on top of it).
``models``/``llama``/``vllm``/``e2e``/``eval`` are gated by the areas that own them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from redis.asyncio import Redis


def _integration_env() -> tuple[str | None, str | None]:
    # The one place tests read these two variables (the app reads them through Settings).
    return os.environ.get("DATABASE_URL") or None, os.environ.get("REDIS_URL") or None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    db, redis = _integration_env()
    if db and redis:
        return
    skip = pytest.mark.skip(reason="integration tier: set DATABASE_URL and REDIS_URL (`.ci/run` does)")
    for item in items:
        if "integration" in item.keywords:
            item.add_marker(skip)


def check_services(db: str, redis: str, *, timeout_s: int = 5) -> None:
    """Raise ``RuntimeError`` naming the server that does not answer."""
    import psycopg
    import redis as redis_sync

    try:
        dsn = db.replace("postgresql+psycopg://", "postgresql://", 1)
        with psycopg.connect(dsn, connect_timeout=timeout_s) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:
        raise RuntimeError(f"DATABASE_URL is set but PostgreSQL is unreachable: {exc}") from exc
    try:
        client = redis_sync.Redis.from_url(redis, socket_connect_timeout=timeout_s)
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:
        raise RuntimeError(f"REDIS_URL is set but Redis is unreachable: {exc}") from exc


@pytest.fixture(scope="session")
def service_urls() -> tuple[str, str]:
    """(DATABASE_URL, REDIS_URL), checked reachable: an unreachable server is a failure, never a skip."""
    db, redis = _integration_env()
    if not (db and redis):
        pytest.skip("integration tier: set DATABASE_URL and REDIS_URL")
    try:
        check_services(db, redis)
    except RuntimeError as exc:
        pytest.fail(str(exc))
    return db, redis


@pytest.fixture
async def redis_client(service_urls: tuple[str, str]) -> AsyncIterator[Redis]:
    """An asyncio client of the real Redis (``REDIS_URL``), closed after the test."""
    from redis.asyncio import Redis

    client = Redis.from_url(service_urls[1])
    yield client
    await client.aclose()


@pytest.fixture
def redis_namespace(service_urls: tuple[str, str]) -> Iterator[str]:
    """A fresh key namespace on the real Redis; its keys are deleted after the test."""
    import redis as redis_sync

    ns = f"kefu-it-{uuid.uuid4().hex[:10]}"
    yield ns
    client = redis_sync.Redis.from_url(service_urls[1])
    try:
        keys = list(client.scan_iter(match=f"{ns}:*", count=500))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


# --- what a run skipped, and the one command that adds it -------------------------------------------------
# A fresh machine skips whole tiers (no PostgreSQL/Redis, no Chromium, no vLLM venv, no evaluation data);
# the end of the run says so, with the command that brings each back, instead of a bare "N skipped".
SKIPPED_TIERS: tuple[tuple[str, str, str], ...] = (
    # (a word in the skip reason, what was skipped, the command that adds it)
    (
        "integration tier",
        "integration tests (PostgreSQL + Redis)",
        ".ci/run  (or: DATABASE_URL=... REDIS_URL=... make test)",
    ),
    (
        "e2e tier",
        "browser tests (Chromium)",
        "apt-get install -y chromium fonts-wqy-zenhei  (.ci/run does it)",
    ),
    ("vLLM venv", "vLLM tests", "make vllm-prepare"),
    ("llama-cpp-python", "llama.cpp tests", "make venv  (builds llama-cpp-python)"),
    ("EVAL_DATA_DIR", "evaluation-data tests", "EVAL_DATA_DIR=/path/to/shared/data make test"),
    ("data", "evaluation-data tests", "EVAL_DATA_DIR=/path/to/shared/data make test"),
)


def skipped_tiers(reasons: list[str]) -> dict[tuple[str, str], int]:
    """(what was skipped, the command that adds it) -> how many tests, for the skip reasons of a run."""
    out: dict[tuple[str, str], int] = {}
    for reason in reasons:
        for word, what, command in SKIPPED_TIERS:
            if word in reason:
                out[(what, command)] = out.get((what, command), 0) + 1
                break
    return out


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    reasons = []
    for report in terminalreporter.stats.get("skipped", []):
        longrepr = report.longrepr
        reasons.append(str(longrepr[2] if isinstance(longrepr, tuple) else longrepr))
    tiers = skipped_tiers(reasons)
    if not tiers:
        return
    terminalreporter.section("skipped: what this run did not cover, and the command that adds it")
    for (what, command), n in sorted(tiers.items()):
        terminalreporter.write_line(f"{n:5d} {what}: {command}")
