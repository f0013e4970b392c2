"""AI and knowledge help in the agent console: the audited reveal of a placeholder, the suggested reply,
KB search, canned responses and curated-answer proposals (ASGI app, real SQLite, fake models)."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from app.container import Container
from app.db import crud_audit, crud_tenancy
from app.db.models import AuditEvent, CuratedAnswer
from llm_backend.testing import ScriptedLLM
from tests.unit.app.helpers import Tenant, login, seed_tenant, send_message, start_conversation

API = "/api/v1"
PHONE = "13812345678"


async def _with_phone(client: httpx.AsyncClient, tenant: Tenant) -> str:
    cid, headers = await start_conversation(client, tenant)
    r = await send_message(client, cid, headers, f"我的手机 {PHONE}，如何申请信用卡分期？")
    assert r.status_code == 200
    r = await send_message(client, cid, headers, "转人工")
    assert r.json()["decision"] == "handoff"
    return cid


async def _reveal(
    client: httpx.AsyncClient,
    cid: str,
    headers: dict[str, str],
    placeholder: str = "<PHONE_NUMBER_1>",
    **body: str,
) -> httpx.Response:
    """Ask to see the value behind ``placeholder`` in conversation ``cid`` (``body``: e.g. a reason)."""
    return await client.post(
        f"{API}/agent/conversations/{cid}/reveal", json={"placeholder": placeholder, **body}, headers=headers
    )


# --- reveal ----------------------------------------------------------------------------------------------


async def test_agent_without_the_permission_cannot_reveal(
    client: httpx.AsyncClient, tenant: Tenant, container: Container
) -> None:
    cid = await _with_phone(client, tenant)
    agent = await login(client, tenant.agent_email)
    assert (await client.get(f"{API}/agent/me", headers=agent)).json()["can_reveal"] is False
    r = await _reveal(client, cid, agent)
    assert r.status_code == 403
    assert r.json()["error_code"] == "forbidden"
    assert PHONE not in r.text
    async with container.sessions() as s:
        assert await crud_audit.list_events(s, tenant_id=tenant.id, action="pii.reveal") == []


async def test_admin_reveals_and_the_audit_names_who_and_which_never_the_value(
    client: httpx.AsyncClient, tenant: Tenant, container: Container
) -> None:
    cid = await _with_phone(client, tenant)
    admin = await login(client, tenant.admin_email)
    assert (await client.get(f"{API}/agent/me", headers=admin)).json()["can_reveal"] is True
    r = await _reveal(client, cid, admin, reason="callback requested")
    assert r.status_code == 200, r.text
    assert r.json() == {"placeholder": "<PHONE_NUMBER_1>", "entity_type": "PHONE_NUMBER", "value": PHONE}
    assert r.headers["cache-control"] == "no-store"
    me = (await client.get(f"{API}/auth/me", headers=admin)).json()
    async with container.sessions() as s:
        [event] = await crud_audit.list_events(s, tenant_id=tenant.id, action="pii.reveal")
    assert event.actor_id == me["actor_id"]
    assert event.target_id == cid
    assert event.data["placeholder"] == "<PHONE_NUMBER_1>"
    assert event.data["entity_type"] == "PHONE_NUMBER"
    assert event.data["reason"] == "callback requested"
    assert PHONE not in str(event.data)

    # a placeholder this conversation does not have, and another tenant's admin
    r = await _reveal(client, cid, admin, "<PHONE_NUMBER_2>")
    assert r.status_code == 404
    assert r.json()["error_code"] == "not_found"
    other = await seed_tenant(container, "otherbank")
    r = await _reveal(client, cid, await login(client, other.admin_email))
    assert r.status_code == 404
    assert PHONE not in r.text


async def test_no_value_leaves_when_the_audit_cannot_be_written(
    client: httpx.AsyncClient, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid = await _with_phone(client, tenant)
    admin = await login(client, tenant.admin_email)

    async def broken(*_a: object, **_k: object) -> None:
        raise RuntimeError("audit table unavailable")

    monkeypatch.setattr(crud_audit, "record", broken)
    r = await _reveal(client, cid, admin)
    assert r.status_code == 500
    assert PHONE not in r.text


async def test_a_tenant_can_grant_reveal_to_agents(
    client: httpx.AsyncClient, tenant: Tenant, container: Container
) -> None:
    cid = await _with_phone(client, tenant)
    async with container.sessions() as s:
        t = await crud_tenancy.get_tenant(s, tenant_id=tenant.id)
        assert t is not None
        t.settings = {**t.settings, "pii_reveal_roles": ["admin", "agent"]}
        await s.commit()
    agent = await login(client, tenant.agent_email)
    r = await _reveal(client, cid, agent)
    assert r.status_code == 200
    assert r.json()["value"] == PHONE


async def test_the_console_transcript_keeps_placeholders(client: httpx.AsyncClient, tenant: Tenant) -> None:
    cid = await _with_phone(client, tenant)
    agent = await login(client, tenant.agent_email)
    t = await client.get(f"{API}/agent/conversations/{cid}", headers=agent)
    ctx = await client.get(f"{API}/agent/conversations/{cid}/context", headers=agent)
    assert PHONE not in t.text
    assert PHONE not in ctx.text
    assert "<PHONE_NUMBER_1>" in t.text
    assert ctx.json()["placeholders"] == ["<PHONE_NUMBER_1>"]


# --- suggested reply and KB search -----------------------------------------------------------------------


async def test_suggested_reply_answers_the_open_question_with_citations(
    client: httpx.AsyncClient, tenant: Tenant, llm: ScriptedLLM
) -> None:
    cid = await _with_phone(client, tenant)
    agent = await login(client, tenant.agent_email)
    before = len(llm.requests)
    r = await client.post(f"{API}/agent/conversations/{cid}/suggest", headers=agent)
    assert r.status_code == 200, r.text
    s = r.json()
    # the question is the customer's real one, not "转人工"; the placeholder is kept (never the value)
    assert s["question"] == "我的手机 <PHONE_NUMBER_1>，如何申请信用卡分期？"
    assert s["grounded"] is True
    assert s["no_answer"] is False
    assert [c["chunk_id"] for c in s["citations"]] == ["faq-1"]
    assert "分期" in s["citations"][0]["text"]
    assert "[1]" in s["text"]
    assert PHONE not in r.text
    # the model was asked (once), with the masked question and the KB passage
    assert len(llm.requests) == before + 1
    prompt = "\n".join(m.content for m in llm.requests[-1])
    assert "信用卡分期" in prompt
    assert PHONE not in prompt
    # nothing was sent to the customer
    t = (await client.get(f"{API}/agent/conversations/{cid}", headers=agent)).json()
    assert [m["role"] for m in t["messages"]].count("agent") == 0


async def test_suggestion_without_a_question_is_empty(client: httpx.AsyncClient, tenant: Tenant) -> None:
    cid, headers = await start_conversation(client, tenant)
    await client.post(f"{API}/chat/conversations/{cid}/handoff", headers=headers)
    agent = await login(client, tenant.agent_email)
    s = (await client.post(f"{API}/agent/conversations/{cid}/suggest", headers=agent)).json()
    assert s["no_answer"] is True
    assert s["text"] == ""
    assert s["citations"] == []


async def test_kb_search_ranks_the_tenants_passages(
    client: httpx.AsyncClient, tenant: Tenant, container: Container
) -> None:
    agent = await login(client, tenant.agent_email)
    r = await client.post(f"{API}/agent/kb/search", json={"query": "lost card freeze"}, headers=agent)
    assert r.status_code == 200
    body = r.json()
    assert body["hits"][0]["chunk_id"] == "faq-2"
    assert body["hits"][0]["rank"] == 1
    assert body["kb_version"] == "v1"
    assert (await client.post(f"{API}/agent/kb/search", json={"query": ""}, headers=agent)).status_code == 422
    # the query never travels in the URL: the old GET ?q= form is gone
    old = await client.get(f"{API}/agent/kb/search", params={"q": "lost card"}, headers=agent)
    assert old.status_code == 405
    other = await seed_tenant(container, "nokb")  # no knowledge base: no hits, not an error
    r = await client.post(
        f"{API}/agent/kb/search", json={"query": "lost card"}, headers=await login(client, other.agent_email)
    )
    assert r.status_code == 200
    assert r.json()["hits"] == []


# --- canned responses ------------------------------------------------------------------------------------


async def test_canned_responses_agents_read_admins_write(
    client: httpx.AsyncClient, tenant: Tenant, container: Container
) -> None:
    agent = await login(client, tenant.agent_email)
    admin = await login(client, tenant.admin_email)
    body = {"title": "问候", "text": "您好，很高兴为您服务。", "lang": "zh"}
    assert (await client.post(f"{API}/agent/canned", json=body, headers=agent)).status_code == 403
    r = await client.post(f"{API}/agent/canned", json=body, headers=admin)
    assert r.status_code == 201
    cid = r.json()["id"]
    await client.post(
        f"{API}/agent/canned", json={"title": "Hello", "text": "Hello!", "lang": "en"}, headers=admin
    )
    listed = (await client.get(f"{API}/agent/canned", params={"lang": "zh"}, headers=agent)).json()
    assert [c["title"] for c in listed] == ["问候"]
    assert len((await client.get(f"{API}/agent/canned", headers=agent)).json()) == 2

    r = await client.put(
        f"{API}/agent/canned/{cid}", json={"title": "问候", "text": "您好！", "lang": "zh"}, headers=admin
    )
    assert r.json()["text"] == "您好！"
    bad = await client.post(f"{API}/agent/canned", json={"title": " ", "text": "x"}, headers=admin)
    assert bad.status_code == 422

    other = await seed_tenant(container, "otherbank")
    other_admin = await login(client, other.admin_email)
    assert (await client.get(f"{API}/agent/canned", headers=other_admin)).json() == []
    r = await client.delete(f"{API}/agent/canned/{cid}", headers=other_admin)
    assert r.status_code == 404
    assert (await client.delete(f"{API}/agent/canned/{cid}", headers=admin)).status_code == 204
    assert len((await client.get(f"{API}/agent/canned", headers=agent)).json()) == 1


async def test_default_canned_responses_seed_once(container: Container, tenant: Tenant) -> None:
    from app.agent import canned

    async with container.sessions() as s:
        assert await canned.seed_defaults(s, tenant_id=tenant.id) == len(canned.DEFAULTS)
        assert await canned.seed_defaults(s, tenant_id=tenant.id) == 0
        await s.commit()


# --- curated answers -------------------------------------------------------------------------------------


async def test_save_as_curated_answer_is_pending_and_free_of_pii(
    client: httpx.AsyncClient, tenant: Tenant, container: Container
) -> None:
    cid = await _with_phone(client, tenant)
    agent = await login(client, tenant.agent_email)
    r = await client.post(
        f"{API}/agent/conversations/{cid}/curated",
        json={
            "question": "我的手机 <PHONE_NUMBER_1>，如何申请信用卡分期？",
            "answer": "登录手机银行选择账单分期；如有疑问请致电 13900001111。",
        },
        headers=agent,
    )
    assert r.status_code == 201, r.text
    got = r.json()
    assert got["status"] == "pending"
    assert got["conversation_id"] == cid
    assert got["question"] == "我的手机 <PHONE_NUMBER>，如何申请信用卡分期？"
    assert got["answer"] == "登录手机银行选择账单分期；如有疑问请致电 <PHONE_NUMBER>。"
    assert got["pii_removed"] == {"PHONE_NUMBER": 2}
    async with container.sessions() as s:
        row = (await s.execute(select(CuratedAnswer))).scalar_one()
        audit = (
            await s.execute(select(AuditEvent).where(AuditEvent.action == "curated.proposed"))
        ).scalar_one()
    assert row.proposed_by is not None
    assert row.decided_by is None
    assert row.decided_at is None
    assert "13900001111" not in row.answer
    assert audit.target_id == row.id
    mine = (await client.get(f"{API}/agent/curated", headers=agent)).json()
    assert [m["id"] for m in mine] == [row.id]
    r = await client.post(
        f"{API}/agent/conversations/{cid}/curated", json={"question": "", "answer": "x"}, headers=agent
    )
    assert r.status_code == 422
