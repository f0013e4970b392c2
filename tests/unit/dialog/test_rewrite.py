"""Follow-up rewriting: (previous standalone question, message) -> expected standalone question."""

from __future__ import annotations

from datetime import date

import pytest

from dialog.rewrite import RewriteContext, Rewriter
from dialog.slots import SlotContext, SlotExtractor

X = SlotExtractor()
R = Rewriter()
TODAY = date(2025, 3, 10)


def _rewrite(prev: str, text: str, lang: str, pending: str | None = None, hint: str = "") -> str:
    ctx = RewriteContext(
        lang=lang,
        previous_query=prev,
        topic_hint=hint,
        pending_slot=pending,
        slots_now=X.extract(text, SlotContext(today=TODAY, pending_slot=pending)),
        slots_prev=X.extract(prev, SlotContext(today=TODAY)),
    )
    return R.rewrite(text, ctx)


@pytest.mark.parametrize(
    ("prev", "text", "lang", "pending", "expected"),
    [
        ("信用卡分期怎么申请？", "那手续费呢？", "zh", None, "信用卡分期的手续费是多少？"),
        ("信用卡年费是多少？", "那借记卡呢？", "zh", None, "借记卡年费是多少？"),
        ("借记卡年费是多少？", "怎么减免呢", "zh", None, "借记卡年费怎么减免？"),
        ("信用卡分期怎么申请？", "那怎么取消呢？", "zh", None, "信用卡分期怎么取消？"),
        ("信用卡分期怎么申请？", "它的利率是多少", "zh", None, "信用卡分期的利率是多少？"),
        ("跨行转账要多久到账？", "手续费多少", "zh", None, "跨行转账的手续费多少？"),
        ("房贷利率是多少？", "那车贷呢", "zh", None, "车贷利率是多少？"),
        ("年费是多少？", "借记卡", "zh", "card_type", "借记卡年费是多少？"),
        ("年费是多少？", "信用的", "zh", "card_type", "信用卡年费是多少？"),
        ("How do I apply for credit card instalments?", "What about the fees?", "en", None,
         "What are the fees for credit card instalments?"),
        ("What is the annual fee for credit cards?", "what about debit cards?", "en", None,
         "What is the annual fee for debit cards?"),
        ("How do I apply for credit card instalments?", "How do I cancel it?", "en", None,
         "How do I cancel credit card instalments?"),
        ("How long does an international transfer take?", "and the fee?", "en", None,
         "What is the fee for international transfer?"),
        ("How do I apply for credit card instalments?", "interest rate?", "en", None,
         "What is the interest rate for credit card instalments?"),
        ("What is the annual fee?", "debit", "en", "card_type", "What is the annual fee for my debit card?"),
        ("What is the annual fee?", "It's a credit card", "en", "card_type",
         "What is the annual fee for my credit card?"),
        ("网点几点开门？", "那周末呢？", "zh", None, "周末网点几点开门？"),
        ("境外消费有手续费吗", "那境内呢", "zh", None, "境内消费有手续费吗"),
        ("今天美元汇率多少？", "那欧元呢？", "zh", None, "今天欧元汇率多少？"),
        ("信用卡分期怎么申请？", "那条件呢？", "zh", None, "信用卡分期的条件是什么？"),
        ("What are your opening hours?", "what about weekends?", "en", None,
         "What are your opening hours on weekends?"),
        ("What is the daily transfer limit in the app?", "what about at the branch?", "en", None,
         "What is the daily transfer limit in the branch?"),
        ("Is there a fee for using my card abroad?", "and domestically?", "en", None,
         "Is there a fee for using my card domestically?"),
        # not follow-ups: unchanged
        ("信用卡分期怎么申请？", "我的卡丢了", "zh", None, "我的卡丢了"),
        ("How do I apply for credit card instalments?", "I lost my card", "en", None, "I lost my card"),
        ("", "那手续费呢？", "zh", None, "那手续费呢？"),  # nothing to follow up on
        ("年费是多少？", "借记卡丢了，我想挂失并补办一张新卡", "zh", "card_type",
         "借记卡丢了，我想挂失并补办一张新卡"),  # more than an answer to the question
    ],
)  # fmt: skip
def test_rewrites(prev: str, text: str, lang: str, pending: str | None, expected: str) -> None:
    assert _rewrite(prev, text, lang, pending) == expected


def test_topic_of_merges_adjacent_terms() -> None:
    assert R.topic_of("信用卡的分期怎么申请", "zh") == "信用卡的分期"
    assert R.topic_of("How do I apply for credit card instalments?", "en") == "credit card instalments"
    assert R.topic_of("我想开通快捷支付", "zh") == "快捷支付"  # no known term: the core of the question


def test_tenant_terms_become_topics() -> None:
    r = Rewriter(extra_terms=["快捷支付"])
    assert r.topic_of("快捷支付怎么开通？", "zh") == "快捷支付"
