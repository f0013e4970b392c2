"""Block layout: a follow-up turn's prompt starts with the passages the previous answer's prompt showed, with the same
numbers and bytes (the prefix the model server's cache holds): the turn stores the prompt's refs on the
bot message and carries them, but only within one KB version. Real ingestion into SQL, the real prompt
builder; the index store is the seam's fake, the model the scripted one."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from app.container import Container
from app.db.models import Message
from app.kb import ingest as kb_ingest
from app.settings import Settings
from llm_backend.config import LLMConfig, PromptConfig
from llm_backend.testing import ScriptedLLM
from tests.unit.app.conftest import make_settings
from tests.unit.app.helpers import Tenant, seed_tenant, send_message, start_conversation, use_memory_index

FAQ = (
    "question,answer,lang\n"
    "How much does a transfer to another bank cost?,Transfers to other banks cost 2 yuan each in the app.,en\n"
    "Can I change my mobile banking password?,Tap Settings then Security then Change password in the app.,en\n"
    "What are the branch opening hours?,Branches open 9:00-17:00 on weekdays.,en\n"
)
MORE = "question,answer,lang\nWhat is the rate of a one-year deposit?,A one-year time deposit pays 1.5% a year.,en\n"


@pytest.fixture
def settings(tmp_path: Path, sqlite_template: Path) -> Settings:
    """The block layout (the append layout's carry: test_prompt_append_carry.py)."""
    shutil.copy(sqlite_template, tmp_path / "kefu.db")
    return make_settings(tmp_path, llm=LLMConfig(prompt=PromptConfig(layout="block")))


@pytest.fixture
async def bank(container: Container) -> Tenant:
    use_memory_index(container)
    tenant = await seed_tenant(container, "carry")
    await _ingest(container, tenant, "faq.csv", FAQ)
    return tenant


async def _ingest(container: Container, tenant: Tenant, name: str, text: str) -> None:
    job_id, _ = await kb_ingest.store_files(
        container, tenant_id=tenant.id, files=[kb_ingest.IngestFile(name, text.encode())]
    )
    await kb_ingest.run_ingestion_job(container, tenant_id=tenant.id, job_id=job_id)


def _passages(messages: list) -> list[str]:
    """The numbered passages of a prompt, as rendered ("[n] title\\ntext")."""
    block = next(m.content for m in messages if m.role == "user" and "<passages>\n" in m.content)
    body = block.split("<passages>\n", 1)[1].rsplit("\n</passages>", 1)[0]
    return [p for p in re.split(r"\n\n(?=\[\d+\])", body) if p.strip()]


async def test_the_follow_up_prompt_carries_the_previous_passages_first(
    client: httpx.AsyncClient, container: Container, bank: Tenant
) -> None:
    llm = ScriptedLLM()
    container.llm = llm
    cid, headers = await start_conversation(client, bank)

    async def ask(text: str) -> dict:
        r = await send_message(client, cid, headers, text)
        assert r.status_code == 200, r.text
        return r.json()

    first = await ask("What are the branch opening hours?")
    assert first["decision"] == "answer", first
    second = await ask("How much does a transfer to another bank cost?")
    assert second["decision"] == "answer", second
    assert len(llm.requests) == 2
    shown1, shown2 = _passages(llm.requests[0]), _passages(llm.requests[1])
    assert shown1, "the first prompt showed no passages"
    assert shown2[: len(shown1)] == shown1  # same numbers, same bytes: the prefix holds
    async with container.sessions() as s:
        bots = (
            (
                await s.execute(
                    select(Message)
                    .where(Message.conversation_id == cid, Message.role == "bot")
                    .order_by(Message.event_seq)
                )
            )
            .scalars()
            .all()
        )
    assert [b.prompt_refs["kb_version"] for b in bots] == ["v1", "v1"]
    assert bots[1].prompt_refs["refs"][: len(shown1)] == bots[0].prompt_refs["refs"]

    # A new KB version: nothing is carried from prompts built on the old one.
    await _ingest(container, bank, "more.csv", MORE)
    third = await ask("What is the rate of a one-year deposit?")
    assert third["decision"] == "answer", third
    shown3 = _passages(llm.requests[2])
    assert shown3[: len(shown2)] != shown2
    async with container.sessions() as s:
        last = (
            (
                await s.execute(
                    select(Message)
                    .where(Message.conversation_id == cid, Message.role == "bot")
                    .order_by(Message.event_seq.desc())
                )
            )
            .scalars()
            .first()
        )
    assert last is not None
    assert last.prompt_refs["kb_version"] == "v2"
