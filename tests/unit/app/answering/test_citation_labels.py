"""Citations name what a customer can read (the FAQ question, the guide's title › section), never the
uploaded file's name; the file name is stored beside it. Chunks come from the real loaders and chunker
(a CSV FAQ and a Markdown guide); retrieval is the keyword fake, the model the scripted one."""

from __future__ import annotations

import re

import httpx

from app.answering.citing import citation_of, passage_of
from app.container import Container
from llm_backend.testing import ScriptedLLM
from retrieval.chunking import Chunker
from retrieval.config import RetrievalConfig
from retrieval.loaders import load_document
from retrieval.testing import KeywordRetriever
from retrieval.types import ChunkRecord
from tests.unit.app.fakes import StaticKnowledgeBases
from tests.unit.app.helpers import parse_sse, seed_tenant, send_message, start_conversation

CFG = RetrievalConfig()
FAQ = "question,answer\n信用卡分期怎么申请？,登录海港银行App，点击“信用卡—分期”，选择账单分期，确认后立即生效。\n"
GUIDE = (
    "# Branches and opening hours\n\nHarbor Bank has 40 branches.\n\n"
    "## Weekday hours\n\nBranches open 9:00-17:00 Monday to Friday.\n"
)


def _chunks() -> list[ChunkRecord]:
    faq = Chunker(CFG).chunk(load_document(FAQ.encode(), "faq.csv", CFG), "doc-faq")
    guide = Chunker(CFG).chunk(load_document(GUIDE.encode(), "guides/en/hours.md", CFG), "doc-guide")
    return [*faq, *guide]


def test_prompt_passage_and_citation_carry_the_label() -> None:
    faq, intro, hours = _chunks()
    assert passage_of(faq).title == ""  # the text starts with the question: not shown twice to the model
    assert passage_of(hours).title == "Branches and opening hours › Weekday hours"
    assert passage_of(intro).title == "Branches and opening hours"
    cited = citation_of(2, faq)
    assert (cited.n, cited.title, cited.source, cited.document_id) == (
        2,
        "信用卡分期怎么申请？",
        "faq.csv",
        "doc-faq",
    )
    assert cited.as_json()["source"] == "faq.csv"  # what is stored on the message


async def test_widget_answer_transcript_and_prompt_use_labels(
    client: httpx.AsyncClient, container: Container, knowledge: StaticKnowledgeBases, llm: ScriptedLLM
) -> None:
    tenant = await seed_tenant(container, "labels", knowledge)
    knowledge.by_tenant[tenant.id] = KeywordRetriever(_chunks(), floor=0.2)  # type: ignore[index]
    cid, headers = await start_conversation(client, tenant)
    r = await send_message(client, cid, headers, "信用卡分期怎么申请？", stream=True)
    final = parse_sse(r.text)[-1][1]
    assert final["decision"] == "answer", final
    assert [(c["title"], c["source"]) for c in final["citations"]] == [("信用卡分期怎么申请？", "faq.csv")]

    r = await send_message(client, cid, headers, "What are the weekday branch opening hours?")
    assert r.json()["decision"] == "answer", r.json()
    assert [(c["title"], c["source"]) for c in r.json()["citations"]] == [
        ("Branches and opening hours › Weekday hours", "guides/en/hours.md")
    ]

    r = await client.get(f"/api/v1/chat/conversations/{cid}/messages", headers=headers)
    stored = [c for m in r.json()["messages"] for c in m["citations"]]
    assert [(c["title"], c["source"]) for c in stored] == [
        ("信用卡分期怎么申请？", "faq.csv"),
        ("Branches and opening hours › Weekday hours", "guides/en/hours.md"),
    ]
    prompts = "\n".join(m.content for request in llm.requests for m in request)
    assert "faq.csv" not in prompts
    assert "hours.md" not in prompts
    assert re.search(r"\[\d\] Branches and opening hours › Weekday hours\n", prompts)


async def test_extractive_fallback_quotes_no_file_name(
    client: httpx.AsyncClient, container: Container, knowledge: StaticKnowledgeBases, llm: ScriptedLLM
) -> None:
    tenant = await seed_tenant(container, "labels", knowledge)
    knowledge.by_tenant[tenant.id] = KeywordRetriever(_chunks(), floor=0.2)  # type: ignore[index]
    llm.down = True
    cid, headers = await start_conversation(client, tenant)
    r = await send_message(client, cid, headers, "信用卡分期怎么申请？")
    body = r.json()
    assert body["reason"] == "llm_fallback", body
    assert body["text"].startswith("智能助手暂时无法生成回答")
    assert "faq.csv" not in body["text"]
    assert "登录海港银行App" in body["text"]  # the composed answer: the FAQ's answer, not its question
    assert "信用卡分期怎么申请？" not in body["text"]
    assert [c["title"] for c in body["citations"]] == ["信用卡分期怎么申请？"]
