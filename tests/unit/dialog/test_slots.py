"""Slot recognizers: exact values and spans, negatives included."""

from __future__ import annotations

from datetime import date

import pytest

from dialog.slots import SlotContext, SlotExtractor, slot_label

TODAY = date(2025, 3, 10)
X = SlotExtractor()


def _slots(text: str, pending: str | None = None) -> dict[str, tuple[str, str]]:
    found = X.extract(text, SlotContext(today=TODAY, pending_slot=pending))
    return {k: (m.value, m.surface(text)) for k, m in found.items()}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我的信用卡年费是多少？", {"card_type": ("credit", "信用卡"), "product": ("credit_card", "信用卡")}),
        ("不是信用卡，是借记卡", {"card_type": ("debit", "借记卡"), "product": ("debit_card", "借记卡")}),
        ("how much is the fee for debit cards", {"card_type": ("debit", "debit cards"), "product": ("debit_card", "debit cards")}),
        ("我想转5000元给<PERSON_1>", {"amount": ("5000 CNY", "5000元")}),
        ("转账三千五到我的储蓄账户", {"product": ("transfer", "转账"), "amount": ("3500", "三千五"), "account_type": ("savings", "储蓄账户")}),
        ("昨天在ATM取了两千块", {"date": ("2025-03-09", "昨天"), "channel": ("atm", "ATM"), "amount": ("2000 CNY", "两千块")}),
        ("Transfer $200 to my checking account on March 5", {"product": ("transfer", "Transfer"), "amount": ("200 USD", "$200"), "account_type": ("current", "checking account"), "date": ("2025-03-05", "March 5")}),
        ("USD 1,200.50", {"amount": ("1200.5 USD", "USD 1,200.50"), "currency": ("USD", "USD")}),
        ("我想换1万美元", {"amount": ("10000 USD", "1万美元"), "currency": ("USD", "美元")}),
        ("send 5k", {"amount": ("5000", "5k")}),
        ("上个月的账单", {"date": ("2025-02", "上个月")}),
        ("2024年3月5日的交易", {"date": ("2024-03-05", "2024年3月5日")}),
        ("三月五号", {"date": ("2025-03-05", "三月五号")}),
        ("the payment on 5th of May 2024", {"date": ("2024-05-05", "5th of May 2024")}),
        ("房贷利率多少", {"product": ("mortgage", "房贷")}),
        ("白金卡年费多少", {"card_tier": ("platinum", "白金卡")}),
        ("the Gold card annual fee", {"card_tier": ("gold", "Gold card")}),
        ("I lost my credit card <CREDIT_CARD_1> yesterday", {"card_type": ("credit", "credit card"), "product": ("credit_card", "credit card"), "card_number": ("<CREDIT_CARD_1>", "<CREDIT_CARD_1>"), "date": ("2025-03-09", "yesterday")}),
        ("我的卡号是<CREDIT_CARD_1>，手机<PHONE_NUMBER_1>", {"card_number": ("<CREDIT_CARD_1>", "<CREDIT_CARD_1>"), "phone": ("<PHONE_NUMBER_1>", "<PHONE_NUMBER_1>")}),
        # negatives: numbers that are not money, dates that do not exist, words inside other words
        ("可以分12期吗", {}),
        ("I have 3 cards", {}),
        ("2月30日", {}),
        ("12月", {}),
        ("increditable", {}),
        ("<PERSON_1>", {}),
        ("credit", {}),  # a bare answer only counts when the bot asked for it
    ],
)  # fmt: skip
def test_extracts(text: str, expected: dict[str, tuple[str, str]]) -> None:
    assert _slots(text) == expected


@pytest.mark.parametrize(
    ("text", "value"),
    [("信用的", "credit"), ("借记", "debit"), ("debit", "debit"), ("credit, please", "credit")],
)
def test_bare_answer_counts_when_the_slot_is_pending(text: str, value: str) -> None:
    assert _slots(text, pending="card_type")["card_type"][0] == value
    assert "card_type" not in _slots(text, pending="amount")


def test_labels() -> None:
    assert slot_label("card_type", "credit", "zh") == "信用卡"
    assert slot_label("card_type", "debit", "en") == "debit card"
    assert slot_label("amount", "5000 CNY", "zh") == "5000 CNY"
