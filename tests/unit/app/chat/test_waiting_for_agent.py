"""After a handoff and before an agent joins, the customer's next message is not met with silence: the bot
says a person is coming (with how many customers wait ahead, when others do) and, where the knowledge base
clearly answers the new question, answers it first. No second handoff is opened; once an agent has joined
the bot is quiet again. Through the widget API, on the real tracker and policy."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select

from app.container import Container
from app.db.models import Handoff
from tests.unit.app.helpers import Tenant, login, send_message, start_conversation

API = "/api/v1"


async def _handed_off(client: httpx.AsyncClient, tenant: Tenant, first: str = "转人工") -> tuple[str, dict]:
    cid, headers = await start_conversation(client, tenant)
    r = await send_message(client, cid, headers, first)
    assert r.json()["decision"] == "handoff", r.text
    return cid, headers


async def _handoffs(container: Container, cid: str) -> int:
    async with container.sessions() as s:
        return int((await s.execute(select(func.count()).where(Handoff.conversation_id == cid))).scalar_one())


async def test_a_question_while_waiting_gets_the_answer_and_the_notice(
    client: httpx.AsyncClient, tenant: Tenant, container: Container
) -> None:
    cid, headers = await _handed_off(client, tenant)
    r = await send_message(client, cid, headers, "信用卡分期手续费多少？")
    assert r.status_code == 200
    body = r.json()
    assert (body["decision"], body["reason"]) == ("answer", "awaiting_agent")
    assert body["message_id"] is not None
    assert body["citations"], body  # the KB's answer, cited
    assert "人工客服队列" in body["text"]
    assert body["text"].index("人工客服队列") > 0  # the answer comes first
    assert body["state"]["mode"] == "waiting_agent"
    assert body["handoff_id"] is None
    assert await _handoffs(container, cid) == 1  # no second handoff


async def test_a_message_the_kb_does_not_answer_gets_the_notice_alone_in_its_language(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    cid, headers = await _handed_off(client, tenant, "I want to talk to a human agent")
    r = await send_message(client, cid, headers, "hello? anyone there?")
    body = r.json()
    assert (body["decision"], body["reason"]) == ("handoff", "awaiting_agent")
    assert body["citations"] == []
    assert body["text"].startswith("You're in the queue for a member of our team")


async def test_the_notice_counts_the_customers_ahead(client: httpx.AsyncClient, tenant: Tenant) -> None:
    await _handed_off(client, tenant)
    await _handed_off(client, tenant)
    cid, headers = await _handed_off(client, tenant)
    r = await send_message(client, cid, headers, "还要等多久")
    assert "前面还有2位" in r.json()["text"], r.text


async def test_no_bot_reply_once_an_agent_has_joined(client: httpx.AsyncClient, tenant: Tenant) -> None:
    cid, headers = await _handed_off(client, tenant)
    agent = await login(client, tenant.agent_email)
    assert (await client.post(f"{API}/agent/conversations/{cid}/join", headers=agent)).status_code == 200
    r = await send_message(client, cid, headers, "信用卡分期手续费多少？")
    assert r.json()["decision"] == "with_agent"
    assert r.json()["message_id"] is None
