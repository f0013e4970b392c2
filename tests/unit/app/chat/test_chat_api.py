"""The widget's API end to end through the ASGI app: real SQLite (migrated), real in-process dialog store,
fake models. What a customer and a bank's integrator would notice."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from app.container import Container
from app.db.models import DialogEventRow, Handoff, Message
from app.runtime.metrics import STAGES
from llm_backend.testing import ScriptedLLM
from tests.unit.app.helpers import ORIGIN, Tenant, parse_sse, seed_tenant, send_message, start_conversation


async def test_zh_question_gets_a_cited_answer(client: httpx.AsyncClient, tenant: Tenant) -> None:
    cid, headers = await start_conversation(client, tenant)
    r = await send_message(client, cid, headers, "如何申请信用卡分期？")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["decision"] == "answer"
    assert "分期" in body["text"]
    assert [c["chunk_id"] for c in body["citations"]] == ["faq-1"]
    assert body["citations"][0]["title"] == "信用卡分期"
    assert body["state"]["lang"] == "zh"
    for stage in STAGES:  # every stage of the turn, in order
        assert stage in body["timings_ms"], stage


async def test_unanswerable_question_is_dont_know_without_llm(
    client: httpx.AsyncClient, tenant: Tenant, llm
) -> None:
    cid, headers = await start_conversation(client, tenant)
    r = await send_message(client, cid, headers, "zzz qqq")
    assert r.status_code == 200
    assert r.json()["decision"] == "dont_know"
    assert r.json()["citations"] == []
    assert llm.requests == []


async def test_sse_streams_tokens_then_final(client: httpx.AsyncClient, tenant: Tenant) -> None:
    cid, headers = await start_conversation(client, tenant)
    r = await send_message(client, cid, headers, "What are your branch opening hours?", stream=True)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/event-stream")
    events = parse_sse(r.text)
    kinds = [e for e, _ in events]
    assert kinds[0] == "accepted"
    assert kinds[-1] == "final"
    assert "token" in kinds
    final = events[-1][1]
    streamed = "".join(d["text"] for e, d in events if e == "token")
    assert streamed == final["text"]
    assert final["citations"][0]["chunk_id"] == "faq-3"
    assert final["decision"] == "answer"


async def test_transcript_in_order_and_survives_a_new_app(
    client: httpx.AsyncClient, tenant: Tenant, container: Container
) -> None:
    cid, headers = await start_conversation(client, tenant)
    for q in ("如何申请信用卡分期？", "How do I report a lost card?"):
        assert (await send_message(client, cid, headers, q)).status_code == 200
    # A "restarted server": a new app and a fresh hot store over the same database.
    from app.main import create_app
    from dialog.stores.memory import MemoryDialogStore

    container.dialog_store = MemoryDialogStore(ttl_s=3600)
    app2 = create_app(container.settings, container)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app2), base_url="http://t") as c2:
        r = await c2.get(f"/api/v1/chat/conversations/{cid}/messages", headers=headers)
        assert r.status_code == 200
        roles = [m["role"] for m in r.json()["messages"]]
        assert roles == ["user", "bot", "user", "bot"]
        assert r.json()["messages"][0]["text"] == "如何申请信用卡分期？"
        # the rebuilt state keeps counting: a third turn appends after the four messages
        r3 = await send_message(c2, cid, headers, "opening hours")
        assert r3.status_code == 200
        assert r3.json()["state"]["version"] > 4


async def test_bad_input_codes(client: httpx.AsyncClient, tenant: Tenant) -> None:
    cid, headers = await start_conversation(client, tenant)
    url = f"/api/v1/chat/conversations/{cid}/messages"
    r = await client.post(url, json={"text": "   \n\t "}, headers=headers)
    assert (r.status_code, r.json()["error_code"]) == (422, "empty_message")
    r = await client.post(url, json={"text": "x" * 4001}, headers=headers)
    assert (r.status_code, r.json()["error_code"]) == (413, "message_too_long")
    assert (await client.post(url, json={"text": "x" * 4000}, headers=headers)).status_code == 200
    r = await client.post(
        url, content=b'{"text": "unterminated', headers={**headers, "content-type": "application/json"}
    )
    assert (r.status_code, r.json()["error_code"]) == (422, "validation_error")
    r = await client.post(url, json={"txt": "hi"}, headers=headers)
    assert (r.status_code, r.json()["error_code"]) == (422, "validation_error")
    r = await client.post(
        "/api/v1/chat/conversations/" + "0" * 32 + "/messages", json={"text": "hi"}, headers=headers
    )
    assert (r.status_code, r.json()["error_code"]) == (404, "conversation_not_found")
    r = await client.post(url, json={"text": "hi"}, headers={**headers, "X-Conversation-Token": "forged"})
    assert (r.status_code, r.json()["error_code"]) == (404, "conversation_not_found")
    r = await client.post(url, json={"text": "y" * 200_000}, headers=headers)
    assert (r.status_code, r.json()["error_code"]) == (413, "payload_too_large")


async def test_widget_key_and_origin(client: httpx.AsyncClient, tenant: Tenant) -> None:
    url = "/api/v1/chat/conversations"
    r = await client.post(
        url, json={"widget_key": tenant.widget_key}, headers={"Origin": "https://evil.example"}
    )
    assert (r.status_code, r.json()["error_code"]) == (403, "origin_not_allowed")
    r = await client.post(url, json={"widget_key": "kefu_pk_nope"}, headers={"Origin": ORIGIN})
    assert (r.status_code, r.json()["error_code"]) == (401, "unauthenticated")
    r = await client.post(url, json={}, headers={"Origin": ORIGIN})
    assert r.status_code == 401
    r = await client.post(url, json={"widget_key": tenant.widget_key}, headers={"Origin": ORIGIN})
    assert r.status_code == 201
    assert r.headers["access-control-allow-origin"] == ORIGIN
    # a conversation started from the bank's site cannot be driven from another site
    cid, token = r.json()["id"], r.json()["token"]
    r = await client.post(
        f"/api/v1/chat/conversations/{cid}/messages",
        json={"text": "hi"},
        headers={"X-Conversation-Token": token, "Origin": "https://evil.example"},
    )
    assert (r.status_code, r.json()["error_code"]) == (403, "origin_not_allowed")
    pre = await client.options(url, headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"})
    assert pre.status_code == 204
    assert pre.headers["access-control-allow-origin"] == ORIGIN


async def test_feedback_and_human_request(
    client: httpx.AsyncClient, tenant: Tenant, container: Container
) -> None:
    cid, headers = await start_conversation(client, tenant)
    turn = (await send_message(client, cid, headers, "What are your branch opening hours?")).json()
    r = await client.post(
        f"/api/v1/chat/conversations/{cid}/feedback",
        json={"message_id": turn["message_id"], "thumbs": "up"},
        headers=headers,
    )
    assert r.status_code == 201
    assert r.json()["thumbs"] == "up"
    r = await client.post(f"/api/v1/chat/conversations/{cid}/feedback", json={"csat": 5}, headers=headers)
    assert r.status_code == 201
    r = await client.post(f"/api/v1/chat/conversations/{cid}/feedback", json={"csat": 9}, headers=headers)
    assert r.status_code == 422
    r = await client.post(
        f"/api/v1/chat/conversations/{cid}/feedback",
        json={"message_id": turn["user_message_id"], "thumbs": "down"},
        headers=headers,
    )
    assert r.status_code == 404  # only answers can be rated

    queue = container.events.subscribe(f"tenant:{tenant.id}:queue")
    async with queue:
        r = await client.post(f"/api/v1/chat/conversations/{cid}/handoff", headers=headers)
        assert r.status_code == 201
        assert r.json()["reason"] == "explicit_request"
        first = r.json()["id"]
        event = await queue.__anext__()
    assert event["type"] == "handoff"
    assert event["conversation_id"] == cid
    again = await client.post(f"/api/v1/chat/conversations/{cid}/handoff", headers=headers)
    assert again.json()["id"] == first
    async with container.sessions() as s:
        h = (await s.execute(select(Handoff).where(Handoff.conversation_id == cid))).scalar_one()
    assert h.context["transcript"][0]["text"] == "What are your branch opening hours?"
    # while waiting for an agent, the bot says a person is coming (tests/unit/app/chat/test_waiting_for_agent.py)
    r = await send_message(client, cid, headers, "hello?")
    assert r.status_code == 200
    assert (r.json()["decision"], r.json()["reason"]) == ("handoff", "awaiting_agent")
    assert r.json()["handoff_id"] is None


async def test_turn_handoff_decision_creates_handoff_with_context(
    client: httpx.AsyncClient, tenant: Tenant, container: Container
) -> None:
    cid, headers = await start_conversation(client, tenant)
    r = await send_message(client, cid, headers, "转人工")
    body = r.json()
    assert body["decision"] == "handoff"
    assert body["handoff_id"]
    assert body["state"]["mode"] == "waiting_agent"
    async with container.sessions() as s:
        h = await s.get(Handoff, body["handoff_id"])
        assert h is not None
        assert h.reason == "explicit_request"
        assert h.status == "waiting"
        assert h.context["intent"] == "human_agent"


async def test_user_message_is_durable_before_the_model_is_called(
    client: httpx.AsyncClient, tenant: Tenant, container: Container
) -> None:
    class Crashing:
        model_name, context_tokens = "crash", 4096

        def stream(self, *a: object, **k: object):
            raise RuntimeError("process died mid-turn")

    container.llm = Crashing()  # type: ignore[assignment]
    cid, headers = await start_conversation(client, tenant)
    r = await send_message(client, cid, headers, "lost card help")
    assert r.status_code == 500
    assert r.json()["error_code"] == "internal_error"
    async with container.sessions() as s:
        msgs = (await s.execute(select(Message).where(Message.conversation_id == cid))).scalars().all()
        events = (
            (await s.execute(select(DialogEventRow).where(DialogEventRow.conversation_id == cid)))
            .scalars()
            .all()
        )
    assert [(m.role, m.text) for m in msgs] == [("user", "lost card help")]
    assert events[0].type == "user_said"
    assert events[0].payload["text"] == "lost card help"


async def test_llm_down_degrades_to_a_quoted_passage(client: httpx.AsyncClient, tenant: Tenant, llm) -> None:
    llm.down = True
    cid, headers = await start_conversation(client, tenant)
    r = await send_message(client, cid, headers, "What are your branch opening hours?")
    body = r.json()
    assert r.status_code == 200
    assert body["decision"] == "answer"
    assert body["reason"] == "llm_fallback"
    assert body["model"] == "composer"
    assert body["text"].startswith("Our assistant can't compose an answer right now.")  # a true outage
    assert "9:00-17:00" in body["text"]
    assert body["citations"][0]["chunk_id"] == "faq-3"


async def test_urgent_topic_answers_from_the_kb_and_hands_off(
    client: httpx.AsyncClient, tenant: Tenant, container: Container
) -> None:
    """A lost card goes to a person, but the customer gets the KB's steps (freeze it, the hotline) at once."""
    container.llm = ScriptedLLM(["Call 95555 at any time to freeze your card [1]."])
    cid, headers = await start_conversation(client, tenant)
    r = await send_message(client, cid, headers, "How do I report a lost card?")
    body = r.json()
    assert (body["decision"], body["reason"]) == ("handoff", "urgent_topic")
    assert "95555" in body["text"]
    assert body["citations"][0]["chunk_id"] == "faq-2"
    assert body["state"]["mode"] == "waiting_agent"
    async with container.sessions() as s:
        h = await s.get(Handoff, body["handoff_id"])
    assert h is not None
    assert h.reason == "urgent_topic"
    assert h.context["cited_chunks"] == [{"chunk_id": "faq-2", "title": "Lost card"}]


async def test_other_tenant_cannot_see_a_conversation(
    client: httpx.AsyncClient, tenant: Tenant, container: Container
) -> None:
    from tests.unit.app.helpers import login

    cid, _ = await start_conversation(client, tenant)
    other = await seed_tenant(container, "rival")
    own = await login(client, tenant.agent_email)
    theirs = await login(client, other.agent_email)
    assert (await client.get(f"/api/v1/agent/conversations/{cid}", headers=own)).status_code == 200
    r = await client.get(f"/api/v1/agent/conversations/{cid}", headers=theirs)
    assert (r.status_code, r.json()["error_code"]) == (404, "conversation_not_found")
    listed = (await client.get("/api/v1/agent/conversations", headers=theirs)).json()
    assert cid not in [c["id"] for c in listed]


async def test_frequent_question_is_answered_from_the_cache(
    client: httpx.AsyncClient, tenant: Tenant, container: Container, llm
) -> None:
    from llm_backend.config import SemanticCacheConfig
    from llm_backend.semantic_cache import SemanticAnswerCache
    from retrieval.testing import HashEmbedder

    container.answer_cache = SemanticAnswerCache(HashEmbedder().embed_queries, SemanticCacheConfig())
    answers = []
    for _ in range(2):
        cid, headers = await start_conversation(client, tenant)
        r = await send_message(client, cid, headers, "What are your branch opening hours?")
        answers.append(r.json())
    assert len(llm.requests) == 1
    assert answers[1]["reason"] == "answer_cache"
    assert answers[1]["model"] == "answer-cache:exact"
    assert answers[1]["text"] == answers[0]["text"]
    assert answers[1]["citations"] == answers[0]["citations"]
    # a question carrying the customer's data is never answered from (or stored in) the cache
    cid, headers = await start_conversation(client, tenant)
    r = await send_message(client, cid, headers, "What are your branch opening hours? Call me on 13812345678")
    assert r.json()["reason"] != "answer_cache"
    assert not (r.json()["model"] or "").startswith("answer-cache")
