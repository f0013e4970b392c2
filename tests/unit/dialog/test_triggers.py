from __future__ import annotations

import pytest

from dialog.frustration import frustration_score, reports_repetition, similarity
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
        # asked for in other words
        ("跟你说不明白，换个真人来", True),
        ("找个负责人来", True),
        ("叫你们经理来", True),
        ("你们领导呢，让他来", True),
        ("我要跟活人说话", True),
        ("别让机器人回复了", True),
        ("客服！客服！", True),
        ("人工客服电话打不通，帮我转人工", True),
        ("let me speak to your manager", True),
        ("get me a supervisor", True),
        ("put me through to customer service", True),
        ("escalate this please", True),
        ("can someone call me back", True),
        ("stop the bot", True),
        # a human term inside another word or question
        ("补办银行卡要收人工费吗", False),
        ("人工客服电话是多少", False),
        ("人工服务时间是几点到几点", False),
        ("这是真人还是机器人？好吧，那怎么修改密码", False),
        ("贷款是人工审核吗", False),
        ("我想给家人转账", False),
        ("is this a bot? ok then, how do I reset my PIN", False),
        ("is this a real person?", False),
        ("how do I transfer money to another person", False),
        ("do I need to be there in person to open an account", False),
        ("does a large cash withdrawal need a manager's approval", False),
        ("what's your customer service phone number?", False),
        ("human agent chat hours", False),
        ("live chat hours?", False),
        ("人工客服几点上班", False),
        ("live agent hours? ok, connect me to a live agent", True),
    ],
)
def test_explicit_request_for_a_human(text: str, human: bool) -> None:
    assert RULES.wants_human(text) is human


@pytest.mark.parametrize(
    ("text", "about"),
    [
        ("human agent chat hours", True),
        ("customer service phone number", True),
        ("what are the support hours", True),
        ("客服热线是多少", True),
        ("人工客服几点上班", True),
        ("转人工", False),
        ("talk to a human", False),
        ("what are your branch opening hours", False),
    ],
)
def test_a_question_about_the_agents_is_told_apart(text: str, about: bool) -> None:
    """The classifier's "human agent" verdict on these does not hand off (``dialog.tracker_local``)."""
    assert RULES.asks_about_agents(text) is about


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
        # the conversation is getting nowhere, in so many words or sarcastically: hands off alone (>= 0.75)
        ("说了半天等于白说", [], 0.75, 1.0),
        ("对牛弹琴", [], 0.75, 1.0),
        ("呵呵，真是太有帮助了", [], 0.75, 1.0),
        ("thanks for nothing", [], 0.75, 1.0),
        ("wow very helpful", [], 0.75, 1.0),
        ("you're not listening to me at all", [], 0.75, 1.0),
        # praise meant as praise
        ("thanks, that was really helpful", [], 0.0, 0.0),
        ("great, that's exactly what I needed", [], 0.0, 0.0),
        ("谢谢，很有帮助", [], 0.0, 0.0),
    ],
)
def test_frustration(text: str, history: list[str], low: float, high: float) -> None:
    assert low <= frustration_score(text, history) <= high


def test_similarity() -> None:
    assert similarity("信用卡年费多少", "信用卡年费多少？") == 1.0
    assert similarity("abc", "xyz") == 0.0
    assert similarity("", "abc") == 0.0


@pytest.mark.parametrize(
    ("text", "repeated"),
    [
        ("又是这段话，你是复读机吗", True),
        ("我已经问了三遍了", True),
        ("同样的话你发了好几次", True),
        ("that's the third time you've sent me the same thing", True),
        ("same thing again", True),
        ("you keep giving me the same answer", True),
        ("I already asked this twice", True),
        ("can I get the same card again after cancelling it?", False),
        ("is the fee the same for debit cards", False),
        ("信用卡注销以后还能再办吗", False),
        ("转账三次要手续费吗", False),
    ],
)
def test_the_customer_says_the_bot_repeats_itself(text: str, repeated: bool) -> None:
    assert reports_repetition(text) is repeated
