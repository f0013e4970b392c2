"""Customer wording -> the bank's words, before the search and the composer (retrieval.colloquial)."""

from __future__ import annotations

import pytest

from retrieval.colloquial import normalise


@pytest.mark.parametrize(
    ("said", "searched"),
    [
        (
            "wallet got pinched with my card in it, who do I phone",
            "wallet got stolen with my card in it, who do I call",
        ),
        (
            "card got eaten by your atm, when can i get it back",
            "card got swallowed by your atm, when can i get it back",
        ),
        ("the atm took my card", "the atm swallowed my card"),
        (
            "ur app keeps logging me out every few mins",
            "your app logs me out automatically every few minutes",
        ),
        ("wat r the fees for an intl xfer", "what are the fees for an international transfer"),
        ("我卡被atm吞了!!!", "我卡被atm吞卡!!!"),
        ("信用咔逾期了会上征信吗", "信用卡逾期了会上征信吗"),
        ("转帐咋这么慢", "转账怎么这么慢"),
        ("不刷脸最多能转多少", "不人脸识别最多能转多少"),
        ("一年能换多少刀", "一年能换多少美元"),
        ("卡被偷了要报警吗", "卡被盗要报警吗"),
        ("Your service is terrible. Delete my account", "Your service is terrible. close my account"),
        ("I need to reverse the transaction now", "I need to cancel the transaction now"),
        ("I can't find my phone", "I lost my phone"),
        ("resetting my passcode", "resetting my password"),
        ("it disappeared in the machine", "it swallowed by the machine"),
        ("credit card 取现 limit 多少", "信用卡 取现 限额额度 多少"),
        ("我的debit card丢了", "我的借记卡丢了"),
        ("pin码忘了", "密码忘了"),
    ],
)
def test_common_customer_phrasings_become_the_banks_words(said: str, searched: str) -> None:
    assert normalise(said) == searched


@pytest.mark.parametrize(
    "question",
    [
        "I took money from the ATM and it was counted wrong",  # "took" only retains a card
        "the app ate my money",  # no ATM: not a retained card
        "how do i delete the app",
        "can the limit be lifted",
        "U.S. dollar deposit rate",
        "信用卡年费多少",
        "how long does a transfer to another bank take?",
        "无障碍通道在哪",
        "我想问一下 transfer to other bank fee in the app",  # mostly English: left as written
        "",
    ],
)
def test_a_question_that_needs_none_comes_back_unchanged(question: str) -> None:
    assert normalise(question) == question
