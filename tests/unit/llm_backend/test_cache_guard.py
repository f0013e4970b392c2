"""The semantic cache's guard: pairs that may share an answer, and look-alikes that must not."""

from __future__ import annotations

import pytest

from llm_backend.cache_guard import signature

SAME = [
    ("信用卡年费是多少？怎么免年费？", "信用卡每年年费多少钱，怎样才能免掉"),
    (
        "What is the interest rate on a one-year fixed deposit?",
        "What rate do you pay on a 1-year fixed deposit?",
    ),
    ("一年期定期存款利率是多少？", "定期存1年利率多少"),
    ("可以给孩子开户吗？", "能不能帮小孩开户"),  # 能不能 is a question form, not a negation
    ("How do I report a lost card?", "how do i report a LOST card"),
    ("东湾支行几点开门", "东湾支行什么时候开门"),
]
DIFFERENT = [
    ("白金卡年费是多少？", "金卡年费是多少？"),  # tier, longest match first
    ("一年期定期存款利率是多少？", "三年期定期存款利率是多少？"),  # Chinese numerals
    ("What is the rate on a one-year deposit?", "What is the rate on a three-year deposit?"),
    ("ATM每天能取多少钱？", "ATM每天能存多少钱？"),  # direction
    ("跨行转账收费吗？", "本行转账收费吗？"),  # own vs other bank
    ("银行卡丢了怎么挂失？", "银行卡挂失后怎么解除挂失？"),
    ("多少钱可以办理信用卡分期？", "如何申请信用卡分期？"),  # what is asked: amount vs way
    ("跨行转账收费吗？", "跨行转账多久到账？"),  # duration
    ("How do I reset my debit card PIN?", "How do I reset my credit card PIN?"),
    ("Can I pay off an instalment plan early?", "Can I pay an instalment late?"),
    ("信用卡可以取现吗", "信用卡不可以取现吗"),  # negation
    ("东湾支行几点开门", "灯塔支行几点开门"),  # a named branch
    ("人工客服几点上班", "元旦期间人工客服几点上班"),  # a named holiday
    ("元旦网点开门吗", "春节网点开门吗"),
    ("are branches open on new year's day", "are branches open at chinese new year"),
    ("opening hours of the airport branch", "opening hours of the Newport branch"),
]


@pytest.mark.parametrize(("a", "b"), SAME)
def test_same_question_same_signature(a: str, b: str) -> None:
    assert signature(a) == signature(b)


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_look_alikes_differ(a: str, b: str) -> None:
    assert signature(a) != signature(b)
