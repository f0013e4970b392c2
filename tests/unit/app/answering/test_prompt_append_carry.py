"""With ``LLM__PROMPT__LAYOUT=append`` a follow-up turn's prompt starts with the previous one's messages,
byte for byte (the previous question without the composer's evidence the turn put after it), then the
answer as stored, then this turn's new passages and question: the turn stores the prompt's turns with its
refs on the bot message and renders them again from there. Real ingestion into SQL, the real prompt
builder; the index store is the seam's fake, the model the scripted one."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from app.container import Container
from app.db.models import Message
from app.settings import Settings
from llm_backend.config import LLMConfig, PromptConfig
from llm_backend.testing import ScriptedLLM
from tests.unit.app.answering.test_prompt_carry import FAQ, _ingest
from tests.unit.app.conftest import make_settings
from tests.unit.app.helpers import Tenant, seed_tenant, send_message, start_conversation, use_memory_index


@pytest.fixture
def settings(tmp_path: Path, sqlite_template: Path) -> Settings:
    shutil.copy(sqlite_template, tmp_path / "kefu.db")
    return make_settings(tmp_path, llm=LLMConfig(prompt=PromptConfig(layout="append")))


@pytest.fixture
async def bank(container: Container) -> Tenant:
    use_memory_index(container)
    tenant = await seed_tenant(container, "append")
    await _ingest(container, tenant, "faq.csv", FAQ)
    return tenant


async def test_the_follow_up_prompt_extends_the_previous_one(
    client: httpx.AsyncClient, container: Container, bank: Tenant
) -> None:
    llm = ScriptedLLM()
    container.llm = llm
    cid, headers = await start_conversation(client, bank)
    for text in ("What are the branch opening hours?", "How much does a transfer to another bank cost?"):
        r = await send_message(client, cid, headers, text)
        assert r.status_code == 200, r.text
        assert r.json()["decision"] == "answer", r.json()
    first, second = llm.requests
    assert [m.role for m in first] == ["system", "user"]
    assert [m.role for m in second] == ["system", "user", "assistant", "user"]
    assert second[0] == first[0]
    # the first turn's message comes back as it was sent, less the evidence appended after its question
    assert "<passages>" in second[1].content
    assert second[1].content.endswith("</question>")
    assert first[1].content.startswith(second[1].content + "\n\n")
    assert "<evidence>" in first[1].content
    assert "How much does a transfer" in second[3].content
    async with container.sessions() as s:
        bots = (
            (await s.execute(select(Message).where(Message.conversation_id == cid, Message.role == "bot")
                             .order_by(Message.event_seq)))
            .scalars().all()
        )  # fmt: skip
    assert second[2].content == bots[0].text  # the answer as stored
    refs0, refs1 = bots[0].prompt_refs, bots[1].prompt_refs
    assert refs0 is not None
    assert refs1 is not None
    turns = refs1["turns"]
    assert [t["asked"] for t in turns] == [
        "What are the branch opening hours?",
        "How much does a transfer to another bank cost?",
    ]
    numbered = [r for t in turns for r in t["refs"]]
    assert numbered == refs1["refs"]  # numbers run on across the turns
    assert refs0["refs"] == turns[0]["refs"]
