"""A customer message with a phone number and an e-mail: the database, the logs, the live events and the
model's prompt only ever see placeholders; the customer still sees their own values."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from app.container import Container
from app.logs import JsonFormatter
from privacy.protocols import PiiMasker
from tests.unit.app.helpers import Tenant, start_conversation

PHONE = "13812345678"
EMAIL = "zhang.san@example.com"
MESSAGE = f"我的手机号是{PHONE}，邮箱 {EMAIL}，信用卡分期怎么申请？"


async def _dump_database(container: Container) -> str:
    out = []
    async with container.sessions() as s:
        tables = (await s.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))).scalars().all()
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
        r = await client.post(
            f"/api/v1/chat/conversations/{cid}/messages", json={"text": MESSAGE}, headers=headers
        )
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
    await client.post(f"/api/v1/chat/conversations/{cid}/messages", json={"text": MESSAGE}, headers=headers)
    agent = await login(client, tenant.agent_email)
    r = await client.get(f"/api/v1/agent/conversations/{cid}", headers=agent)
    first = r.json()["messages"][0]
    assert first["text"] == "我的手机号是<PHONE_NUMBER_1>，邮箱 <EMAIL_ADDRESS_1>，信用卡分期怎么申请？"
    assert first["pii_counts"] == {"PHONE_NUMBER": 1, "EMAIL_ADDRESS": 1}
