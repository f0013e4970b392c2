"""The turn through every real layer the spine wires (marker ``models``): e5 embeddings, FAISS + BM25
hybrid index, Presidio masking and output check, the trained local tracker and policy, SQLite and the
in-process stores. The language model is the extractive backend here (the CPU LLM has its own tests)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from app import demo
from app.db.models import Message
from app.kb import ingest as kb_ingest
from app.main import create_app
from app.wiring import build_container
from tests.unit.app.conftest import make_settings
from tests.unit.app.helpers import parse_sse, send_message

pytestmark = pytest.mark.models

ROOT = Path(__file__).resolve().parents[3]


async def test_demo_questions_through_the_real_layers(tmp_path: Path, sqlite_template: Path) -> None:
    shutil.copy(sqlite_template, tmp_path / "kefu.db")
    kb = tmp_path / "kb"
    kb.mkdir()
    shutil.copy(ROOT / "data/demo_kb/faq.csv", kb / "faq.csv")
    shutil.copy(ROOT / "data/demo_kb/golden_questions.jsonl", kb / "golden_questions.jsonl")
    settings = make_settings(tmp_path, demo_kb_dir=kb, llm={"backend": "extractive"})
    container = await build_container(settings)
    try:
        seeded = await demo.seed(container, if_empty=True)
        assert seeded is not None
        assert seeded.version == "v1"
        app = create_app(settings, container)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            for question, lang in (("如何申请信用卡分期？", "zh"), ("How do I report a lost card?", "en")):
                r = await client.post("/api/v1/chat/conversations", json={"widget_key": seeded.widget_key})
                cid, headers = r.json()["id"], {"X-Conversation-Token": r.json()["token"]}
                r = await send_message(client, cid, headers, question, stream=True)
                events = parse_sse(r.text)
                final = events[-1][1]
                assert final["state"]["lang"] == lang
                assert final["citations"], final
                assert all(c["document_id"] for c in final["citations"])
                cited = final["citations"][0]["text"]
                assert ("分期" in cited) if lang == "zh" else ("lost" in cited.lower())
                # FAQ citations are labelled by their question; the file name is stored beside it
                for c in final["citations"]:
                    assert c["source"] == "faq.csv"
                    assert c["title"] == c["text"].split("\n")[0], c
                assert "faq.csv" not in final["text"]
                assert sum(1 for e, _ in events if e == "token") > 1

            # planted PII: stored masked by the real Presidio masker
            r = await client.post("/api/v1/chat/conversations", json={"widget_key": seeded.widget_key})
            cid, headers = r.json()["id"], {"X-Conversation-Token": r.json()["token"]}
            text = "My phone is 13812345678 and email zhang.san@example.com, how do I apply for instalments?"
            r = await send_message(client, cid, headers, text)
            assert r.status_code == 200
            async with container.sessions() as s:
                stored = (
                    (await s.execute(select(Message.text).where(Message.conversation_id == cid)))
                    .scalars()
                    .all()
                )
            dump = json.dumps(stored, ensure_ascii=False)
            assert "13812345678" not in dump
            assert "zhang.san@example.com" not in dump
            assert "<PHONE_NUMBER_1>" in dump
    finally:
        await container.aclose()


def test_collect_files_skips_hidden_and_excluded(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.md").write_text("x")
    (tmp_path / ".hidden.md").write_text("h")
    (tmp_path / "README.md").write_text("r")
    found = kb_ingest.collect_files([tmp_path], exclude=lambda rel: rel.name == "README.md")
    assert [name for name, _ in found] == ["a/x.md"]
