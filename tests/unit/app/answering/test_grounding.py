"""Answers stay grounded: an answer the model forgot to cite is cited from the passages it used; one that
only repeats the question or that no passage supports is replaced by the quoted passage."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from app.answering.attribution import (
    attribute,
    figures,
    is_echo,
    unsupported_figures,
    unsupported_product_lines,
)
from app.answering.generation import Settled, fallback_answer, settle_answer
from app.container import Container
from llm_backend.config import FallbackMode
from llm_backend.prompt_text import system_text
from llm_backend.testing import ScriptedLLM
from llm_backend.types import Passage
from tests.unit.app.helpers import Tenant, ask_once

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


async def test_uncited_answer_gets_the_citation_of_the_passage_it_used(
    client: httpx.AsyncClient, tenant: Tenant, container: Container
) -> None:
    container.llm = ScriptedLLM(["Our branches open 9:00-17:00, Monday to Friday."])
    body = await ask_once(client, tenant, HOURS)
    assert body["decision"] == "answer"
    assert body["reason"] is None
    assert body["text"] == "Our branches open 9:00-17:00, Monday to Friday. [1]"
    assert [c["chunk_id"] for c in body["citations"]] == ["faq-3"]


@pytest.mark.parametrize("answer", [HOURS, "Our mascot is a friendly blue whale named Harbor."])
async def test_echo_or_unsupported_answer_is_replaced_by_the_quote(
    client: httpx.AsyncClient, tenant: Tenant, container: Container, answer: str
) -> None:
    container.llm = ScriptedLLM([answer])
    body = await ask_once(client, tenant, HOURS)
    assert body["reason"] == "llm_unsupported"
    assert body["model"] == "composer"
    assert "9:00-17:00" in body["text"]
    assert body["citations"][0]["chunk_id"] == "faq-3"
    # the model did answer: the composed answer claims no outage, and quotes no question
    assert body["text"].endswith("[1]")
    assert "can't" not in body["text"]
    assert "?" not in body["text"]


_HOURS_PASSAGES = [
    Passage("faq-3", "Branches open 9:00-17:00 Monday to Friday.", "Opening hours"),
    Passage("faq-9", "Report a lost card on 95555 at any time.", "Lost card"),
]


def _settle(answer: str, fallback: FallbackMode = "extractive") -> Settled:
    return settle_answer(
        answer,
        answer,
        question=HOURS,
        passages=_HOURS_PASSAGES,
        refs=[p.ref for p in _HOURS_PASSAGES],
        shown_texts=[p.text for p in _HOURS_PASSAGES],
        system=system_text(""),
        lang="en",
        fallback=fallback,
        model="m",
    )


def test_settle_keeps_a_cited_answer_and_cites_an_uncited_one() -> None:
    cited = _settle("Branches open 9:00-17:00 on weekdays [1].")
    assert (cited.marks, cited.withheld, cited.generated.cited) == ("", None, [(1, "faq-3")])
    uncited = _settle("Branches open 9:00-17:00 Monday to Friday.")
    assert uncited.marks == " [1]"
    assert uncited.generated.restored == "Branches open 9:00-17:00 Monday to Friday. [1]"
    assert uncited.generated.model == "m"
    assert uncited.generated.reason is None


def test_settle_reads_the_no_answer_phrase() -> None:
    settled = _settle("Sorry, I could not find the answer to this in our documents.")
    assert settled.generated.no_answer
    assert settled.withheld is None


@pytest.mark.parametrize(
    ("answer", "withheld"),
    [
        (HOURS, "llm_unsupported"),
        ("Our mascot is a friendly blue whale named Harbor.", "llm_unsupported"),
        (system_text(""), "llm_instruction_leak"),
    ],
)
def test_settle_gives_the_composed_answer_with_no_outage_lead(answer: str, withheld: str) -> None:
    settled = _settle(answer)
    assert settled.withheld == withheld
    assert settled.generated.reason == withheld
    assert settled.generated.restored == "Branches open 9:00-17:00 Monday to Friday. [1]"
    assert settled.generated.cited == [(1, "faq-3")]
    handoff = _settle(answer, fallback="handoff")
    assert handoff.withheld == withheld
    assert handoff.generated.handoff


@pytest.mark.parametrize(
    "answer",
    [
        "What are your branch opening hours? [1]",  # a cited echo
        "[1][2]",  # marks alone
        "Branches open 8:00-20:00 Monday to Friday [1].",  # hours no passage gives
        "Branches open 9:00-17:00 and charge a 15 yuan fee per visit [1].",  # an invented fee
        "Branches open 9:00-17:00 and also arrange mortgages [1].",  # a product line no passage names
    ],
)
def test_a_cited_answer_is_still_checked(answer: str) -> None:
    assert _settle(answer).withheld == "llm_unsupported"


def test_figures_are_compared_by_value_not_by_spelling() -> None:
    assert figures("年费300元，利率1.20%，额度5万") == {
        Decimal(300),
        Decimal("1.2"),
        Decimal(50000),
        Decimal(5),
    }
    assert (
        figures("1. Call us.\n2、拨打电话 <PHONE_NUMBER_1> [3]") == set()
    )  # list numbers, placeholder, mark
    passages = ["到账需三个工作日，限额50,000元。", "Fee: 1.20% per month."]
    assert unsupported_figures("3个工作日到账，单笔限额5万元，月费率1.2%。", passages) == []
    assert unsupported_figures("房贷利率是1.20%，期限30年。", passages) == ["30"]


def test_an_answer_about_a_product_line_no_passage_mentions_is_unsupported() -> None:
    deposit = ["一年期定期存款利率1.20%，2026年6月1日起执行。"]
    # the eval's case: a deposit passage's figures, spoken of mortgages (the question named them)
    assert unsupported_product_lines("海港银行的房贷利率是1.20%（2026年6月1日起执行）。", deposit) == ["loan"]
    assert unsupported_product_lines("You can buy our insurance and funds in the app.", deposit) == [
        "fund",
        "insurance",
    ]
    assert unsupported_product_lines("一年期定期存款利率为1.20%。", deposit) == []
    assert unsupported_product_lines("个人贷款可在App申请。", ["个人消费贷款：在App申请，最高20万元。"]) == []


def test_a_figure_the_customer_gave_is_not_invented() -> None:
    settled = settle_answer(
        "Branches open 9:00-17:00, so on 2 January you can visit [1].",
        "Branches open 9:00-17:00, so on 2 January you can visit [1].",
        question="Is the branch open on 2 January?",
        passages=_HOURS_PASSAGES,
        refs=[p.ref for p in _HOURS_PASSAGES],
        shown_texts=[p.text for p in _HOURS_PASSAGES],
        system=system_text(""),
        lang="en",
        fallback="extractive",
        model="m",
    )
    assert settled.withheld is None


def test_a_failed_model_keeps_the_outage_lead() -> None:
    out = fallback_answer(question=HOURS, passages=_HOURS_PASSAGES, lang="en", mode="extractive")
    assert out.reason == "llm_fallback"
    assert out.restored.startswith("Our assistant can't compose an answer right now.")
    assert out.restored.endswith("\nBranches open 9:00-17:00 Monday to Friday. [1]")  # composed, cited
    zh = fallback_answer(question="营业时间？", passages=_HOURS_PASSAGES, lang="zh", mode="extractive")
    assert zh.restored.startswith("智能助手暂时无法生成回答")
    for reason in ("llm_unsupported", "llm_slow"):  # the model answered, or is only slow: no outage lead
        quiet = fallback_answer(
            question=HOURS, passages=_HOURS_PASSAGES, lang="en", mode="extractive", reason=reason
        )
        assert quiet.restored == "Branches open 9:00-17:00 Monday to Friday. [1]"
        assert quiet.cited == [(1, "faq-3")]
