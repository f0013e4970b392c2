"""Answers stay grounded: an answer the model forgot to cite is cited from the passages it used; one that
only repeats the question or that no passage supports is replaced by the quoted passage."""

from __future__ import annotations

import httpx
import pytest

from app.container import Container
from app.services.attribution import attribute, is_echo
from llm_backend.testing import ScriptedLLM
from tests.unit.app.helpers import Tenant, start_conversation

HOURS = "What are your branch opening hours?"


@pytest.mark.parametrize(
    ("answer", "passages", "expected"),
    [
        (
            "Branches open 9:00-17:00 from Monday to Friday.",
            ["Lost card: call 95555.", "Branches open 9:00-17:00 Monday to Friday."],
            [2],
        ),
        (
            "登录手机银行选择账单分期，手续费每期0.6%。",
            ["信用卡分期：登录手机银行，选择账单分期，手续费每期0.6%。"],
            [1],
        ),
        (
            "The weather is lovely today, let us go for a walk.",
            ["Branches open 9:00-17:00 Monday to Friday."],
            [],
        ),
        ("", ["anything"], []),
    ],
)
def test_attribute(answer: str, passages: list[str], expected: list[int]) -> None:
    assert attribute(answer, passages) == expected


def test_echo() -> None:
    assert is_echo("如何申请信用卡分期？", "如何申请信用卡分期？")
    assert is_echo("How do I report a lost card", "How do I report a lost card?")
    assert not is_echo("Call 95555 to report a lost card at any time of day.", "How do I report a lost card?")


async def _ask(client: httpx.AsyncClient, tenant: Tenant, text: str) -> dict:
    cid, headers = await start_conversation(client, tenant)
    r = await client.post(f"/api/v1/chat/conversations/{cid}/messages", json={"text": text}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


async def test_uncited_answer_gets_the_citation_of_the_passage_it_used(
    client: httpx.AsyncClient, tenant: Tenant, container: Container
) -> None:
    container.llm = ScriptedLLM(["Our branches open 9:00-17:00, Monday to Friday."])
    body = await _ask(client, tenant, HOURS)
    assert body["decision"] == "answer"
    assert body["reason"] is None
    assert body["text"] == "Our branches open 9:00-17:00, Monday to Friday. [1]"
    assert [c["chunk_id"] for c in body["citations"]] == ["faq-3"]


@pytest.mark.parametrize("answer", [HOURS, "Our mascot is a friendly blue whale named Harbor."])
async def test_echo_or_unsupported_answer_is_replaced_by_the_quote(
    client: httpx.AsyncClient, tenant: Tenant, container: Container, answer: str
) -> None:
    container.llm = ScriptedLLM([answer])
    body = await _ask(client, tenant, HOURS)
    assert body["reason"] == "llm_unsupported"
    assert body["model"] == "extractive"
    assert "9:00-17:00" in body["text"]
    assert body["citations"][0]["chunk_id"] == "faq-3"
