"""The turn with the answer composer: the model gets the composer's evidence, a figure that contradicts it
is withheld for the composed answer, and a slow model is answered for by the composer without the outage
lead (a model that is down still gets it)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

import httpx
import pytest

from app.container import Container
from llm_backend.errors import LLMCircuitOpen, LLMError, LLMTimeout, LLMUnavailable
from llm_backend.prompt_text import read_evidence
from llm_backend.testing import ScriptedLLM
from llm_backend.types import ChatMessage
from retrieval.testing import KeywordRetriever
from tests.unit.app.fakes import StaticKnowledgeBases, chunks_of
from tests.unit.app.helpers import seed_tenant, send_message, start_conversation

ATM = (
    "faq-atm",
    "ATM每天能取多少钱？",
    "ATM每天能取多少钱？\nATM单笔最多取3000元，每日最多2万元。境外取现每日不超过等值1万元人民币。",
    "zh",
)
HOURS = ("faq-hours", "Opening hours", "Branches open 9:00-17:00 Monday to Friday.", "en")


class FailingLLM(ScriptedLLM):
    """Raises ``error`` from every stream before any text (a slow model, an open breaker, a dead server)."""

    def __init__(self, error: LLMError) -> None:
        super().__init__()
        self.error = error

    async def stream(
        self, messages: Sequence[ChatMessage], *, max_tokens: int | None = None, temperature: float = 0.0
    ) -> AsyncIterator[str]:
        self.requests.append(list(messages))
        raise self.error
        yield ""  # pragma: no cover (an async generator)


async def _ask(
    client: httpx.AsyncClient, container: Container, knowledge: StaticKnowledgeBases, text: str
) -> dict:
    tenant = await seed_tenant(container, "composer", knowledge)
    knowledge.by_tenant[tenant.id] = KeywordRetriever(chunks_of([ATM, HOURS]), floor=0.1)  # type: ignore[index]
    cid, headers = await start_conversation(client, tenant)
    r = await send_message(client, cid, headers, text)
    assert r.status_code == 200, r.text
    body: dict = r.json()
    return body


async def test_the_model_gets_the_evidence_and_its_right_answer_is_shown(
    client: httpx.AsyncClient, container: Container, knowledge: StaticKnowledgeBases
) -> None:
    llm = ScriptedLLM(["每天最多可以取2万元 [1]。"])
    container.llm = llm
    body = await _ask(client, container, knowledge, "ATM每天最多取多少钱")
    assert (body["decision"], body["reason"]) == ("answer", None)
    assert body["text"] == "每天最多可以取2万元 [1]。"
    evidence = read_evidence(llm.requests[-1][-1].content)
    assert evidence is not None
    assert "每日最多2万元" in evidence
    assert "3000" not in evidence


async def test_a_figure_contradicting_the_evidence_is_withheld_for_the_composed_answer(
    client: httpx.AsyncClient, container: Container, knowledge: StaticKnowledgeBases
) -> None:
    container.llm = ScriptedLLM(["ATM每天最多可以取3000元 [1]。"])  # the per-withdrawal limit, in the passage
    body = await _ask(client, container, knowledge, "ATM每天最多取多少钱")
    assert (body["decision"], body["reason"], body["model"]) == ("answer", "llm_contradiction", "composer")
    assert body["text"] == "每日最多2万元。 [1]"
    assert [c["chunk_id"] for c in body["citations"]] == ["faq-atm"]


SLOW_ANSWER = ("ATM每天最多取多少钱", "llm_slow", "每日最多2万元。 [1]", ["faq-atm"])
OUTAGE_ANSWER = (
    "What are the branch opening hours?",
    "llm_fallback",
    "Our assistant can't compose an answer right now. The most relevant passage from our documents:\n"
    "Branches open 9:00-17:00 Monday to Friday. [1]",
    ["faq-hours"],
)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        # a slow model: the composed answer without the outage lead
        (LLMTimeout("no first token within 15 s"), SLOW_ANSWER),
        (LLMCircuitOpen("paused after slow answers", slow=True), SLOW_ANSWER),
        # a model that is down: the outage lead before the composed answer
        (LLMUnavailable("connection refused"), OUTAGE_ANSWER),
        (LLMCircuitOpen("paused after failures"), OUTAGE_ANSWER),
    ],
    ids=["slow-deadline", "slow-breaker-open-on-slowness", "down", "down-breaker-open"],
)
async def test_a_failing_model_gets_the_composed_answer_with_the_outage_lead_only_when_down(
    client: httpx.AsyncClient,
    container: Container,
    knowledge: StaticKnowledgeBases,
    error: LLMError,
    expected: tuple[str, str, str, list[str]],
) -> None:
    question, reason, text, cited = expected
    container.llm = FailingLLM(error)
    body = await _ask(client, container, knowledge, question)
    assert (body["decision"], body["reason"]) == ("answer", reason)
    assert body["text"] == text
    assert [c["chunk_id"] for c in body["citations"]] == cited
