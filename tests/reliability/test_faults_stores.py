"""Redis and PostgreSQL go away and come back, under the real API (ASGI app), against private servers this
module starts on free loopback ports (never the shared ones).

Redis (the hot copy of dialog state, the PII vault, rate-limit counters) — the documented choice
(docs/OPERATIONS.md): a turn **fails fast** with 503 ``store_unavailable`` (within the Redis client's
``worst_case_s``), writes nothing, and the customer may send again; the SQL event log is the record, so no
event is lost, and when Redis returns (with its data, or empty) the state resumes from it.

PostgreSQL — requests fail with 503 ``database_unavailable`` while it is down and recover by themselves
when it returns (pool pre-ping); a turn cut between its two commits leaves whole writes only (the
customer's message and its events, no half of a bot reply).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path

import httpx
import pytest

from app.container import Container
from app.db import crud_conversations
from app.db.engine import create_engine, session_factory
from app.db.migrate import upgrade
from app.runtime.redis_client import RedisClientConfig, command_client
from dialog.events import EVENT_ADAPTER, Event
from dialog.state import DialogState
from dialog.stores.redis_store import RedisDialogStore
from llm_backend.testing import ScriptedLLM
from privacy.config import PrivacyConfig
from privacy.factory import build_vault_store
from tests.reliability.conftest import asgi_client, make_settings
from tests.reliability.servers import PrivatePostgres, PrivateRedis
from tests.unit.app.fakes import StaticKnowledgeBases
from tests.unit.app.helpers import (
    METRICS_AUTH,
    Tenant,
    fake_container,
    parse_sse,
    seed_tenant,
    send_message,
    start_conversation,
)

QUESTIONS = ["What are the branch opening hours?", "And on Saturday?", "Thanks, what about holidays?"]
FAST_REDIS = RedisClientConfig(
    connect_timeout_s=0.5, socket_timeout_s=0.5, retries=2, retry_backoff_s=0.05, retry_backoff_max_s=0.2
)


async def send(client: httpx.AsyncClient, cid: str, headers: dict[str, str], text: str) -> httpx.Response:
    return await send_message(client, cid, headers, text)


async def _version(container: Container, cid: str) -> int | None:
    async with container.sessions() as s:
        conv = await crud_conversations.find_conversation(s, conversation_id=cid)
        return None if conv is None else conv.event_version


async def durable(container: Container, cid: str) -> tuple[list[str], int, list[Event]]:
    """The conversation as the database has it: message roles, event_version, and its event log.

    Read while a turn may be committing (the polls below): each statement of a READ COMMITTED session
    sees the latest commit, so the read is taken again until the version is the same before and after
    it (a commit between them would pair one commit's version with the next one's events)."""
    for _ in range(50):
        before = await _version(container, cid)
        async with container.sessions() as s:
            roles = [m.role for m in await crud_conversations.list_messages(s, conversation_id=cid)]
            conv = await crud_conversations.find_conversation(s, conversation_id=cid)
            rows = await crud_conversations.load_events(s, conversation_id=cid)
        if before == await _version(container, cid):
            break
    assert conv is not None
    events = [EVENT_ADAPTER.validate_python(r.payload) for r in rows]
    # the log, its version and the state folded from it never disagree
    assert DialogState.replay(events).version == conv.event_version == len(rows)
    return roles, conv.event_version, events


# --- Redis -----------------------------------------------------------------------------------------------


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path / "redis", persist=False).start()
    yield server
    server.close()


@pytest.fixture
async def on_redis(container: Container, redis_server: PrivateRedis) -> AsyncIterator[Container]:
    """The container with its dialog store, vault and rate limiter on the private Redis."""
    client = command_client(redis_server.url, FAST_REDIS)
    container.redis = client
    container.dialog_store = RedisDialogStore(client, ttl_s=3600, prefix="t:dialog:")
    container.vaults = build_vault_store(
        PrivacyConfig(vault_key_prefix="t:vault:"), "unit-test-vault-key-0123456789", redis=client
    )
    container.settings = container.settings.model_copy(update={"redis": FAST_REDIS})
    yield container
    await client.aclose()


async def test_redis_away_fails_fast_then_resumes_from_the_event_log(
    on_redis: Container, tenant: Tenant, redis_server: PrivateRedis
) -> None:
    async with asgi_client(on_redis) as client:
        cid, headers = await start_conversation(client, tenant)
        assert (await send(client, cid, headers, QUESTIONS[0])).status_code == 200
        roles, version, before = await durable(on_redis, cid)
        assert roles == ["user", "bot"]

        redis_server.stop()
        started = time.monotonic()
        r = await send(client, cid, headers, QUESTIONS[1])
        waited = time.monotonic() - started
        assert r.status_code == 503, r.text
        assert r.json()["error_code"] == "store_unavailable"
        assert waited < FAST_REDIS.worst_case_s() + 2.0  # fails fast, does not hang the customer
        assert (await durable(on_redis, cid))[:2] == (roles, version)  # nothing half-written
        metrics = (await client.get("/metrics", headers=METRICS_AUTH)).text
        assert "kefu_rate_limit_store_errors_total 0.0" not in metrics  # the limiter failed open, counted
        assert "kefu_rate_limit_store_errors_total" in metrics
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["redis"] is False

        redis_server.start()  # back on the same port, empty (persist=False): the hot copy is gone
        r = await send(client, cid, headers, QUESTIONS[1])  # the customer sends again
        assert r.status_code == 200, r.text
        roles, version, after = await durable(on_redis, cid)
        assert roles == ["user", "bot", "user", "bot"]
        assert after[: len(before)] == before  # no event lost: resumed, not restarted
        hot = await on_redis.dialog_store.load(cid)
        assert hot.version == version  # the hot copy was rebuilt from the log and follows it again
        assert (await client.get("/readyz")).status_code == 200


async def test_redis_that_hangs_is_bounded_by_the_client_deadlines(
    on_redis: Container, tenant: Tenant, redis_server: PrivateRedis
) -> None:
    """A stalled Redis (SIGSTOP: connections open, no answers) costs a turn at most ``worst_case_s``."""
    async with asgi_client(on_redis) as client:
        cid, headers = await start_conversation(client, tenant)
        redis_server.pause()
        try:
            started = time.monotonic()
            r = await send(client, cid, headers, QUESTIONS[0])
            waited = time.monotonic() - started
        finally:
            redis_server.resume()
        assert r.status_code == 503, r.text
        assert r.json()["error_code"] == "store_unavailable"
        assert FAST_REDIS.socket_timeout_s <= waited < FAST_REDIS.worst_case_s() + 2.0
        r = await send(client, cid, headers, QUESTIONS[0])
        assert r.status_code == 200, r.text
        assert (await durable(on_redis, cid))[0] == ["user", "bot"]


def test_redis_limits_come_from_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("REDIS__SOCKET_TIMEOUT_S", "0.7")
    monkeypatch.setenv("REDIS__RETRIES", "4")
    from app.settings import get_settings

    settings = get_settings()
    client = command_client("redis://127.0.0.1:1/0", settings.redis)
    kwargs = client.connection_pool.connection_kwargs
    assert kwargs["socket_timeout"] == 0.7
    assert client.get_retry()._retries == 4  # type: ignore[union-attr]


# --- PostgreSQL ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def postgres() -> Iterator[PrivatePostgres]:
    pg = PrivatePostgres().init().start()
    upgrade(pg.url.replace("postgresql://", "postgresql+psycopg://"))
    yield pg
    pg.close()


@pytest.fixture
async def on_postgres(postgres: PrivatePostgres, tmp_path: Path) -> AsyncIterator[Container]:
    settings = make_settings(tmp_path, database_url=postgres.url)
    engine = create_engine(settings.sqlalchemy_url)
    llm = ScriptedLLM(delay_s=0.3)  # a slow model: time to take the database away mid-turn
    container = fake_container(
        settings, engine, session_factory(engine), llm=llm, knowledge=StaticKnowledgeBases()
    )
    yield container
    await engine.dispose()


async def test_postgres_down_gives_a_clear_code_and_recovers_by_itself(
    on_postgres: Container, postgres: PrivatePostgres
) -> None:
    tenant = await seed_tenant(on_postgres, "pgdown", on_postgres.knowledge)  # type: ignore[arg-type]
    async with asgi_client(on_postgres) as client:
        cid, headers = await start_conversation(client, tenant)
        assert (await send(client, cid, headers, QUESTIONS[0])).status_code == 200

        postgres.stop("fast")  # every pooled connection is terminated
        try:
            started = time.monotonic()
            r = await send(client, cid, headers, QUESTIONS[1])
            assert r.status_code == 503, r.text
            assert r.json()["error_code"] == "database_unavailable"
            assert time.monotonic() - started < 10
            assert (await client.get("/readyz")).status_code == 503
        finally:
            postgres.start()

        r = await send(client, cid, headers, QUESTIONS[1])  # the pool's pre-ping replaces dead connections
        assert r.status_code == 200, r.text
        assert (await client.get("/readyz")).status_code == 200
    roles, _, _ = await durable(on_postgres, cid)
    assert roles == ["user", "bot", "user", "bot"]


async def test_postgres_lost_mid_turn_leaves_only_whole_writes(
    on_postgres: Container, postgres: PrivatePostgres
) -> None:
    tenant = await seed_tenant(on_postgres, "pgmid", on_postgres.knowledge)  # type: ignore[arg-type]
    async with asgi_client(on_postgres) as client:
        cid, headers = await start_conversation(client, tenant)
        assert (await send(client, cid, headers, QUESTIONS[0])).status_code == 200
        _, version_before, _ = await durable(on_postgres, cid)

        async def stream() -> list[tuple[str, dict]]:
            r = await send_message(client, cid, headers, QUESTIONS[1], stream=True)
            return parse_sse(r.text)

        task = asyncio.create_task(stream())
        for _ in range(500):  # until the customer's message is committed (the model is still answering)
            if (await durable(on_postgres, cid))[0] == ["user", "bot", "user"]:
                break
            await asyncio.sleep(0.02)
        postgres.stop("fast")
        try:
            events = await task
        finally:
            postgres.start()
        kinds = [k for k, _ in events]
        assert kinds[0] == "accepted"
        assert kinds[-1] == "error"  # a clear code at the end of the stream, not a dropped connection
        assert events[-1][1]["error_code"] == "database_unavailable"

        r = await send(client, cid, headers, QUESTIONS[2])
        assert r.status_code == 200, r.text
    roles, version, events = await durable(on_postgres, cid)  # asserts the log and its version agree
    # The cut turn kept the customer's message (its own commit) and nothing of a reply.
    assert roles == ["user", "bot", "user", "user", "bot"]
    assert version > version_before
    assert [e.type for e in events].count("user_said") == 3


async def test_redis_lost_between_the_commit_and_the_hot_copy_loses_no_event(
    container: Container, tenant: Tenant, tmp_path: Path
) -> None:
    """Redis dies in the one window the fail-fast check cannot cover: after a turn's SQL commit, before the
    events are mirrored into the hot copy. It comes back *with* its data (append-only file), so its copy
    is stale, not empty: the next load must see the version gap and rebuild from the event log."""
    server = PrivateRedis(tmp_path / "aof", persist=True).start()

    class DiesBeforeMirror(RedisDialogStore):
        armed = False

        async def append(self, conversation_id: str, events: Sequence[Event], expected_version: int) -> int:
            if self.armed:  # called only after the SQL commit (ConversationLog.publish)
                self.armed = False
                server.stop()
            return await super().append(conversation_id, events, expected_version)

    client = command_client(server.url, FAST_REDIS)
    store = DiesBeforeMirror(client, ttl_s=3600, prefix="t:dialog:")
    container.dialog_store = store
    try:
        async with asgi_client(container) as api:
            cid, headers = await start_conversation(api, tenant)
            assert (await send(api, cid, headers, QUESTIONS[0])).status_code == 200
            stale = (await store.load(cid)).version
            store.armed = True
            # Both of this turn's commits land; both mirrors fail (logged): the turn itself completes.
            r = await send(api, cid, headers, QUESTIONS[1])
            assert r.status_code == 200, r.text
            roles, committed, logged = await durable(container, cid)
            assert committed > stale
            assert roles == ["user", "bot", "user", "bot"]

            server.start()  # back with the copy it had: version `stale`, behind the record
            assert (await store.load(cid)).version == stale
            r = await send(api, cid, headers, QUESTIONS[2])
            assert r.status_code == 200, r.text
            _, version, after = await durable(container, cid)
            assert after[: len(logged)] == logged  # nothing lost, nothing rewritten
            assert (await store.load(cid)).version == version  # the hot copy caught up from the log
    finally:
        await client.aclose()
        server.close()
