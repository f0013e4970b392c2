from __future__ import annotations

import pytest

from dialog.frustration import frustration_score, similarity
from dialog.triggers import TriggerRules

RULES = TriggerRules()


@pytest.mark.parametrize(
    ("text", "human"),
    [
        ("转人工", True),
        ("我要人工客服", True),
        ("帮我接人工", True),
        ("有没有真人", True),
        ("human", True),
        ("Agent please", True),
        ("I want to talk to a real person", True),
        ("can I speak to someone", True),
        ("connect me with an agent", True),
        ("人工智能是什么", False),
        ("what does a travel agent do", False),
        ("human resources department", False),
        ("What is the annual fee", False),
        ("信用卡年费多少", False),
    ],
)
def test_explicit_request_for_a_human(text: str, human: bool) -> None:
    assert RULES.wants_human(text) is human


@pytest.mark.parametrize(
    ("text", "urgent"),
    [
        ("我的卡被盗刷了", True),
        ("卡丢了怎么办", True),
        ("我要投诉", True),
        ("有一笔不是我本人操作的交易", True),
        ("I think my card was stolen", True),
        ("I want to file a complaint", True),
        ("there is a transaction I don't recognize", True),
        ("how do I report a lost card", True),
        ("信用卡年费多少", False),
        ("How do I apply for a credit card?", False),
        ("lostwithiel branch opening hours", False),
    ],
)
def test_urgent_topics(text: str, urgent: bool) -> None:
    assert RULES.urgent(text) is urgent


def test_tenant_terms_extend_the_lists() -> None:
    rules = TriggerRules(
        extra_human_terms=("找经理", "supervisor"), extra_urgent_terms=("洗钱", "money laundering")
    )
    assert rules.wants_human("我要找经理")
    assert rules.wants_human("get me a supervisor")
    assert rules.urgent("这是洗钱吗")
    assert rules.urgent("is this money laundering?")
    assert not RULES.urgent("这是洗钱吗")


@pytest.mark.parametrize(
    ("text", "history", "low", "high"),
    [
        ("信用卡年费多少", [], 0.0, 0.0),
        ("thanks", [], 0.0, 0.0),
        ("到底能不能转人工", [], 0.2, 0.3),
        ("你们这什么破银行，垃圾！！", [], 1.0, 1.0),
        ("THIS IS RIDICULOUS, I WANT MY MONEY", [], 0.7, 1.0),
        ("still not working", [], 0.4, 0.6),
        ("信用卡年费多少", ["信用卡年费多少？"], 0.3, 0.3),  # the same question again
        ("My ATM PIN", [], 0.0, 0.0),  # banking acronyms are not shouting
    ],
)
def test_frustration(text: str, history: list[str], low: float, high: float) -> None:
    assert low <= frustration_score(text, history) <= high


def test_similarity() -> None:
    assert similarity("信用卡年费多少", "信用卡年费多少？") == 1.0
    assert similarity("abc", "xyz") == 0.0
    assert similarity("", "abc") == 0.0
