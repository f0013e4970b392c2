"""A customer message with a phone number and an e-mail: the database, the logs, the live events and the
model's prompt only ever see placeholders; the customer still sees their own values.

Two stacks: the embedded one (SQLite, in-process state, the scripted model; with the fake masker and with
real Presidio), and the deployed one (marker ``integration``): PostgreSQL, every Redis key and value of the
deployment's namespace (dialog state, encrypted vault, live events, rate limits), and the request bodies
a real OpenAI-compatible model server received over HTTP (the stub server, captured on its side)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.container import Container
from app.main import create_app
from app.runtime.logs import JsonFormatter
from bench.load.procs import LlmStub
from llm_backend.config import LLMConfig
from llm_backend.factory import build_llm_client
from privacy.config import PrivacyConfig
from privacy.factory import build_vault_store
from privacy.protocols import PiiMasker
from tests.integration.stack import redis_container, stack_settings_of
from tests.unit.app.fakes import StaticKnowledgeBases
from tests.unit.app.helpers import Tenant, seed_tenant, send_message, start_conversation

PHONE = "13812345678"
EMAIL = "zhang.san@example.com"
MESSAGE = f"我的手机号是{PHONE}，邮箱 {EMAIL}，信用卡分期怎么申请？"


async def _dump_database(container: Container) -> str:
    out = []
    async with container.sessions() as s:
        if container.engine.dialect.name == "postgresql":
            listing = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        else:
            listing = "SELECT name FROM sqlite_master WHERE type='table'"
        tables = (await s.execute(text(listing))).scalars().all()
        assert "messages" in tables
        for table in tables:
            for row in (await s.execute(text(f'SELECT * FROM "{table}"'))).all():
                out.append(json.dumps([str(v) for v in row], ensure_ascii=False))
    return "\n".join(out)


def _database_files(folder: Path) -> dict[str, bytes]:
    files = {f.name: f.read_bytes() for f in folder.glob("kefu.db*")}
    assert "kefu.db" in files
    return files


@pytest.fixture(scope="session")
def presidio_masker(tmp_path_factory: pytest.TempPathFactory) -> PiiMasker:
    from privacy.config import PrivacyConfig
    from privacy.factory import build_masker

    masker = build_masker(PrivacyConfig(), tmp_path_factory.mktemp("privacy"))
    masker.warm_up()
    return masker


@pytest.fixture(params=["fake", pytest.param("presidio", marks=pytest.mark.models)])
def masker(request: pytest.FixtureRequest, container: Container) -> PiiMasker:
    """The fake masker drives the app's plumbing; the real Presidio masker proves it end to end."""
    if request.param == "presidio":
        container.masker = request.getfixturevalue("presidio_masker")
    return container.masker


async def test_phone_and_email_are_stored_as_placeholders_only(
    masker: PiiMasker,
    client: httpx.AsyncClient,
    tenant: Tenant,
    container: Container,
    llm,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    cid, headers = await start_conversation(client, tenant)
    live = container.events.subscribe(f"conv:{cid}")
    async with live:
        r = await send_message(client, cid, headers, MESSAGE)
        assert r.status_code == 200, r.text
        published = [await live.__anext__(), await live.__anext__()]
    body = r.json()
    assert body["pii"]["PHONE_NUMBER"] == 1
    assert body["pii"]["EMAIL_ADDRESS"] == 1

    # the database: every row of every table, and the files on disk (WAL included)
    dump = await _dump_database(container)
    assert "<PHONE_NUMBER_1>" in dump
    assert "<EMAIL_ADDRESS_1>" in dump
    assert PHONE not in dump
    assert EMAIL not in dump
    await container.engine.dispose()  # flush the WAL into the file we read next
    for name, raw in _database_files(Path(container.settings.data_dir)).items():
        assert PHONE.encode() not in raw, name
        assert EMAIL.encode() not in raw, name

    # what the model was asked
    prompt = "\n".join(m.content for m in llm.requests[0])
    assert "<PHONE_NUMBER_1>" in prompt
    assert PHONE not in prompt
    assert EMAIL not in prompt

    # the logs, as the JSON formatter writes them
    formatter = JsonFormatter()
    logged = "\n".join(formatter.format(rec) for rec in caplog.records)
    assert "turn conversation=" in logged  # the turn did log
    assert PHONE not in logged
    assert EMAIL not in logged

    # live events (what an agent console on another replica would receive)
    events_text = json.dumps(published, ensure_ascii=False)
    assert PHONE not in events_text
    assert EMAIL not in events_text

    # the customer's own transcript shows their values back (restored from the vault)
    transcript = (await client.get(f"/api/v1/chat/conversations/{cid}/messages", headers=headers)).json()
    assert transcript["messages"][0]["text"] == MESSAGE


async def test_agent_transcript_is_masked(client: httpx.AsyncClient, tenant: Tenant) -> None:
    from tests.unit.app.helpers import login

    cid, headers = await start_conversation(client, tenant)
    await send_message(client, cid, headers, MESSAGE)
    agent = await login(client, tenant.agent_email)
    r = await client.get(f"/api/v1/agent/conversations/{cid}", headers=agent)
    first = r.json()["messages"][0]
    assert first["text"] == "我的手机号是<PHONE_NUMBER_1>，邮箱 <EMAIL_ADDRESS_1>，信用卡分期怎么申请？"
    assert first["pii_counts"] == {"PHONE_NUMBER": 1, "EMAIL_ADDRESS": 1}


# --- the deployed stack: PostgreSQL, Redis, the model behind an OpenAI-compatible server --------------------


async def _dump_redis(redis: Redis, namespace: str) -> str:
    out = []
    async for key in redis.scan_iter(match=f"{namespace}:*", count=500):
        kind = (await redis.type(key)).decode()
        if kind == "string":
            value: object = await redis.get(key)
        elif kind == "hash":
            value = await redis.hgetall(key)
        elif kind == "list":
            value = await redis.lrange(key, 0, -1)
        elif kind == "set":
            value = await redis.smembers(key)
        elif kind == "zset":
            value = await redis.zrange(key, 0, -1, withscores=True)
        elif kind == "stream":
            value = await redis.xrange(key)
        else:
            value = kind
        out.append(f"{key!r} {value!r}")
    return "\n".join(out)


@pytest.mark.integration
async def test_no_raw_pii_in_postgres_redis_or_the_model_servers_requests(
    pg_url: str,
    pg_engine: AsyncEngine,
    pg_sessions: async_sessionmaker[AsyncSession],
    redis_namespace: str,
    service_urls: tuple[str, str],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    ns = redis_namespace
    stub = LlmStub(tmp_path / "stub.log").start()
    redis = Redis.from_url(service_urls[1])
    llm_config = LLMConfig(
        backend="openai", base_url=stub.base_url, model="kefu-stub", timeout_s=20, cache={"enabled": False}
    )
    llm = build_llm_client(llm_config, tmp_path)
    try:
        await llm.warm_up()
        settings = stack_settings_of(pg_url, service_urls[1], ns, data_dir=tmp_path, llm=llm_config)
        kb = StaticKnowledgeBases()
        container = redis_container(
            settings,
            pg_engine,
            pg_sessions,
            redis,
            kb,
            vaults=build_vault_store(
                PrivacyConfig(vault_key_prefix=f"{ns}:vault:"),
                "integration-vault-key-0123456789",
                redis=redis,
            ),
        )
        container.llm = llm
        container.redis = redis  # rate-limit counters in Redis too
        tenant = await seed_tenant(container, "pgpii", kb)
        app = create_app(settings, container)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            cid, headers = await start_conversation(client, tenant)
            r = await send_message(client, cid, headers, MESSAGE, stream=True)
            assert r.status_code == 200, r.text
            transcript = (
                await client.get(f"/api/v1/chat/conversations/{cid}/messages", headers=headers)
            ).json()
        assert transcript["messages"][0]["text"] == MESSAGE  # the customer's own values, from the vault

        stores = {
            "postgres": await _dump_database(container),
            "redis": await _dump_redis(redis, ns),  # byte reprs: the planted values are ASCII
            "model server": json.dumps(stub.requests(), ensure_ascii=False),
            "logs": "\n".join(JsonFormatter().format(rec) for rec in caplog.records),
        }
        assert "<PHONE_NUMBER_1>" in stores["postgres"]
        assert f"{ns}:vault:" in stores["redis"]  # the vault is there, encrypted
        assert f"{ns}:dialog:" in stores["redis"]
        assert "<PHONE_NUMBER_1>" in stores["model server"]
        assert "turn conversation=" in stores["logs"]
        for where, dump in stores.items():
            assert PHONE not in dump, where
            assert EMAIL not in dump, where
    finally:
        await llm.aclose()
        await redis.aclose()
        stub.stop()
