"""The agent console's API through the ASGI app (real SQLite, real in-process dialog store and channel,
fake models): the queue, joining, writing to the customer, returning to the bot, closing, and the live
events a customer's widget receives."""

from __future__ import annotations

import asyncio
import contextlib

import httpx
from sqlalchemy import select

from app.container import Container
from app.conversations.live_feed import FeedEvent, customer_feed
from app.db.models import AuditEvent, Conversation, Handoff, Message
from tests.unit.app.agent_helpers import store_kb_chunks
from tests.unit.app.helpers import Tenant, login, seed_tenant, send_message, start_conversation

API = "/api/v1"


async def _handed_off(client: httpx.AsyncClient, tenant: Tenant) -> tuple[str, dict[str, str]]:
    """A conversation with one answered question, then 转人工."""
    cid, headers = await start_conversation(client, tenant)
    for text in ("如何申请信用卡分期？", "转人工"):
        r = await send_message(client, cid, headers, text)
        assert r.status_code == 200, r.text
    assert r.json()["decision"] == "handoff"
    return cid, headers


async def test_queue_lists_the_handoff_with_reason_wait_and_context(
    client: httpx.AsyncClient, tenant: Tenant, container: Container
) -> None:
    await store_kb_chunks(container, tenant)
    cid, _ = await _handed_off(client, tenant)
    agent = await login(client, tenant.agent_email)
    q = (await client.get(f"{API}/agent/queue", headers=agent)).json()
    [item] = q["waiting"]
    assert item["conversation_id"] == cid
    assert item["reason"] == "explicit_request"
    assert item["waiting_s"] >= 0
    assert "客户要求人工服务" in item["summary"]
    assert q["assigned"] == []

    ctx = (await client.get(f"{API}/agent/conversations/{cid}/context", headers=agent)).json()
    assert ctx["mode"] == "waiting_agent"
    assert ctx["handoff"]["reason"] == "explicit_request"
    assert ctx["package"]["summary"]
    assert "intent" in ctx["package"]
    assert "slots" in ctx["package"]
    # the chunk the bot cited before the handoff, with its text
    assert [c["chunk_id"] for c in ctx["cited_chunks"]] == ["faq-1"]
    assert "分期" in ctx["cited_chunks"][0]["text"]


async def test_agent_routes_need_a_login_and_stay_in_the_tenant(
    client: httpx.AsyncClient, tenant: Tenant, container: Container
) -> None:
    cid, widget_headers = await _handed_off(client, tenant)
    assert (await client.get(f"{API}/agent/queue")).status_code == 401
    # a conversation token is not an agent login
    r = await client.get(
        f"{API}/agent/queue", headers={"X-Conversation-Token": widget_headers["X-Conversation-Token"]}
    )
    assert r.status_code == 401
    other = await seed_tenant(container, "otherbank")
    other_agent = await login(client, other.agent_email)
    assert (await client.get(f"{API}/agent/queue", headers=other_agent)).json()["waiting"] == []
    for method, path, body in (
        ("GET", f"/agent/conversations/{cid}/context", None),
        ("POST", f"/agent/conversations/{cid}/join", None),
        ("POST", f"/agent/conversations/{cid}/messages", {"text": "hello"}),
        ("POST", f"/agent/conversations/{cid}/return", None),
        ("POST", f"/agent/conversations/{cid}/close", {"outcome": "resolved"}),
        ("POST", f"/agent/conversations/{cid}/suggest", None),
        ("POST", f"/agent/conversations/{cid}/curated", {"question": "q", "answer": "a"}),
    ):
        r = await client.request(method, API + path, json=body, headers=other_agent)
        assert r.status_code == 404, (path, r.text)
        assert r.json()["error_code"] == "conversation_not_found"


async def test_join_then_a_second_agent_is_refused(
    client: httpx.AsyncClient, tenant: Tenant, container: Container
) -> None:
    cid, _ = await _handed_off(client, tenant)
    agent = await login(client, tenant.agent_email)
    r = await client.post(f"{API}/agent/conversations/{cid}/join", headers=agent)
    assert r.status_code == 200
    assert r.json()["changed"] is True
    r = await client.post(f"{API}/agent/conversations/{cid}/join", headers=agent)
    assert r.json()["changed"] is False  # idempotent: no second AgentJoined
    q = (await client.get(f"{API}/agent/queue", headers=agent)).json()
    assert q["waiting"] == []
    assert [i["conversation_id"] for i in q["assigned"]] == [cid]

    async with container.sessions() as s:
        from app.db import crud_tenancy
        from tests.unit.app.helpers import password_hash

        await crud_tenancy.create_user(
            s, tenant_id=tenant.id, email="agent2@harbor.example", password_hash=password_hash(), role="agent"
        )
        await s.commit()
    second = await login(client, "agent2@harbor.example")
    r = await client.post(f"{API}/agent/conversations/{cid}/join", headers=second)
    assert r.status_code == 409
    assert r.json()["error_code"] == "conflict"
    r = await client.post(f"{API}/agent/conversations/{cid}/messages", json={"text": "hi"}, headers=second)
    assert r.status_code == 409
    async with container.sessions() as s:
        h = (await s.execute(select(Handoff).where(Handoff.conversation_id == cid))).scalar_one()
        assert h.status == "assigned"
        assert h.agent_id is not None
        assert h.assigned_at is not None


async def test_agent_message_is_masked_stored_and_reaches_the_customer_live(
    client: httpx.AsyncClient, tenant: Tenant, container: Container
) -> None:
    cid, headers = await start_conversation(client, tenant)
    r = await send_message(client, cid, headers, "我的手机 13812345678，转人工")
    assert r.json()["decision"] == "handoff"
    agent = await login(client, tenant.agent_email)

    received: list[FeedEvent] = []
    ready = asyncio.Event()

    async def watch() -> None:
        async for ev in customer_feed(container, conversation_id=cid):
            received.append(ev)
            if ev.event == "ready":
                ready.set()
            if ev.event == "message":
                return

    watcher = asyncio.create_task(watch())
    await asyncio.wait_for(ready.wait(), 5)
    # The agent repeats the customer's number: it gets the customer's own placeholder.
    r = await client.post(
        f"{API}/agent/conversations/{cid}/messages",
        json={"text": "您好，我们会致电 13812345678 核实。"},
        headers=agent,
    )
    assert r.status_code == 201, r.text
    sent = r.json()
    assert sent["joined"] is True
    assert sent["text"] == "您好，我们会致电 <PHONE_NUMBER_1> 核实。"
    await asyncio.wait_for(watcher, 5)
    kinds = [e.event for e in received]
    assert kinds == ["ready", "agent_joined", "message"]
    # the customer sees their own value restored; the agent id does not reach the customer
    assert received[-1].data["text"] == "您好，我们会致电 13812345678 核实。"
    assert "agent_id" not in received[-1].data

    async with container.sessions() as s:
        rows = (await s.execute(select(Message).where(Message.conversation_id == cid))).scalars().all()
        conv = await s.get(Conversation, cid)
    assert conv is not None
    assert conv.status == "agent"
    agent_rows = [m for m in rows if m.role == "agent"]
    assert [m.text for m in agent_rows] == ["您好，我们会致电 <PHONE_NUMBER_1> 核实。"]
    assert agent_rows[0].agent_id is not None
    assert all("13812345678" not in m.text for m in rows)

    # the customer's transcript restores it too; the agent's transcript keeps the placeholder
    t = (await client.get(f"{API}/chat/conversations/{cid}/messages", headers=headers)).json()
    assert t["messages"][-1]["role"] == "agent"
    assert "13812345678" in t["messages"][-1]["text"]
    t = (await client.get(f"{API}/agent/conversations/{cid}", headers=agent)).json()
    assert "<PHONE_NUMBER_1>" in t["messages"][-1]["text"]


async def test_customer_messages_while_with_agent_get_no_bot_reply(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    cid, headers = await _handed_off(client, tenant)
    agent = await login(client, tenant.agent_email)
    await client.post(f"{API}/agent/conversations/{cid}/join", headers=agent)
    r = await send_message(client, cid, headers, "还在吗？")
    assert r.json()["decision"] == "with_agent"
    assert r.json()["message_id"] is None


async def test_return_to_bot_keeps_the_state_and_the_bot_answers_again(
    client: httpx.AsyncClient, tenant: Tenant, container: Container
) -> None:
    cid, headers = await _handed_off(client, tenant)
    agent = await login(client, tenant.agent_email)
    await client.post(f"{API}/agent/conversations/{cid}/messages", json={"text": "我来帮您"}, headers=agent)
    before = (await client.get(f"{API}/agent/conversations/{cid}/context", headers=agent)).json()
    r = await client.post(f"{API}/agent/conversations/{cid}/return", headers=agent)
    assert r.status_code == 200
    assert r.json()["mode"] == "bot"
    after = (await client.get(f"{API}/agent/conversations/{cid}/context", headers=agent)).json()
    assert after["mode"] == "bot"
    assert after["package"]["intent"] == before["package"]["intent"]
    assert after["package"]["slots"] == before["package"]["slots"]
    assert len(after["package"]["transcript"]) == len(before["package"]["transcript"])
    assert (await client.post(f"{API}/agent/conversations/{cid}/return", headers=agent)).status_code == 409

    r = await send_message(client, cid, headers, "分期手续费是多少？")
    assert r.json()["decision"] == "answer", r.json()
    assert r.json()["citations"][0]["chunk_id"] == "faq-1"
    async with container.sessions() as s:
        h = (await s.execute(select(Handoff).where(Handoff.conversation_id == cid))).scalar_one()
        assert h.status == "returned"
        assert h.closed_at is not None
        actions = (
            (await s.execute(select(AuditEvent.action).where(AuditEvent.target_id == cid))).scalars().all()
        )
    assert "conversation.agent_joined" in actions
    assert "conversation.bot_resumed" in actions


async def test_close_with_outcome_ends_the_conversation(
    client: httpx.AsyncClient, tenant: Tenant, container: Container
) -> None:
    cid, headers = await _handed_off(client, tenant)
    agent = await login(client, tenant.agent_email)
    await client.post(f"{API}/agent/conversations/{cid}/join", headers=agent)
    r = await client.post(f"{API}/agent/conversations/{cid}/close", json={"outcome": "maybe"}, headers=agent)
    assert r.status_code == 422
    r = await client.post(
        f"{API}/agent/conversations/{cid}/close", json={"outcome": "not_resolved"}, headers=agent
    )
    assert r.status_code == 200
    assert r.json()["mode"] == "closed"
    async with container.sessions() as s:
        conv = await s.get(Conversation, cid)
        h = (await s.execute(select(Handoff).where(Handoff.conversation_id == cid))).scalar_one()
    assert conv is not None
    assert conv.status == "closed"
    assert conv.outcome == "not_resolved"
    assert conv.closed_at is not None
    assert h.status == "closed"
    r = await send_message(client, cid, headers, "hello")
    assert r.status_code == 409
    assert r.json()["error_code"] == "conversation_closed"
    r = await client.post(f"{API}/agent/conversations/{cid}/messages", json={"text": "hi"}, headers=agent)
    assert r.status_code == 409
    assert r.json()["error_code"] == "conversation_closed"
    # the customer can still rate the service after the end
    r = await client.post(f"{API}/chat/conversations/{cid}/feedback", json={"csat": 4}, headers=headers)
    assert r.status_code == 201
    assert (await client.get(f"{API}/agent/queue", headers=agent)).json()["assigned"] == []


async def test_agent_message_bad_input(client: httpx.AsyncClient, tenant: Tenant) -> None:
    cid, _ = await _handed_off(client, tenant)
    agent = await login(client, tenant.agent_email)
    r = await client.post(f"{API}/agent/conversations/{cid}/messages", json={"text": "  "}, headers=agent)
    assert r.status_code == 422
    assert r.json()["error_code"] == "empty_message"
    r = await client.post(
        f"{API}/agent/conversations/{cid}/messages", json={"text": "x" * 4001}, headers=agent
    )
    assert r.status_code == 413
    assert r.json()["error_code"] == "message_too_long"
    r = await client.post(f"{API}/agent/conversations/nope/messages", json={"text": "hi"}, headers=agent)
    assert r.status_code == 404


async def test_queue_shows_live_bot_conversations_and_queue_events(
    client: httpx.AsyncClient, tenant: Tenant, container: Container
) -> None:
    from app.conversations.live_feed import agent_queue_feed

    agent = await login(client, tenant.agent_email)
    cid, headers = await start_conversation(client, tenant)
    await send_message(client, cid, headers, "营业时间？")
    q = (await client.get(f"{API}/agent/queue", headers=agent)).json()
    assert [i["conversation_id"] for i in q["bot"]] == [cid]

    got: list[FeedEvent] = []
    ready = asyncio.Event()

    async def watch() -> None:
        async for ev in agent_queue_feed(container, tenant_id=tenant.id):
            got.append(ev)
            if ev.event == "ready":
                ready.set()
            if len(got) == 3:
                return

    task = asyncio.create_task(watch())
    await asyncio.wait_for(ready.wait(), 5)
    await client.post(f"{API}/chat/conversations/{cid}/handoff", headers=headers)
    await client.post(f"{API}/agent/conversations/{cid}/join", headers=agent)
    try:
        await asyncio.wait_for(task, 5)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert [e.event for e in got] == ["ready", "handoff", "queue"]
    assert got[2].data == {"type": "queue", "conversation_id": cid, "change": "agent_joined"}
    q = (await client.get(f"{API}/agent/queue", headers=agent)).json()
    assert q["bot"] == []
    assert [i["conversation_id"] for i in q["assigned"]] == [cid]
