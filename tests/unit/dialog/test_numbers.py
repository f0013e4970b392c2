from __future__ import annotations

from decimal import Decimal

import pytest

from dialog.numbers import format_amount, parse_amount, parse_cn_number


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("5000", "5000"),
        ("1,200.50", "1200.5"),
        ("5k", "5000"),
        ("1.5万", "15000"),
        ("3千", "3000"),
        ("三千五", "3500"),
        ("两万", "20000"),
        ("一万五", "15000"),
        ("一万二千", "12000"),
        ("一百二十", "120"),
        ("一千零五", "1005"),
        ("一万零五百", "10500"),
        ("十", "10"),
        ("二十五", "25"),
        ("两亿", "200000000"),
        ("0.5", "0.5"),
    ],
)
def test_parses(text: str, value: str) -> None:
    amount = parse_amount(text)
    assert amount is not None
    assert format_amount(amount) == value


@pytest.mark.parametrize("text", ["", "abc", "一二", "5,00", "1.2.3", "十万abc"])
def test_refuses(text: str) -> None:
    assert parse_amount(text) is None


def test_cn_number_rejects_non_numerals() -> None:
    assert parse_cn_number("三个") is None
    assert parse_cn_number("三百") == 300


def test_format_has_no_exponent() -> None:
    assert format_amount(Decimal("5E+3")) == "5000"
    assert format_amount(Decimal("12.50")) == "12.5"
