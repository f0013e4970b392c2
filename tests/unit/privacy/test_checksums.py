"""Check digits: known-good values, one-character corruptions, and the generator's arithmetic."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from privacy.checksums import (
    cn_id_check_char,
    is_valid_card,
    is_valid_cn_id,
    is_valid_iban,
    is_valid_uscc,
    looks_like_cn_id,
    luhn_check_digit,
    luhn_ok,
    uscc_check_char,
)

# GB 11643's own worked example and two numbers built with its arithmetic.
VALID_IDS = ["11010519491231002X", "110101199003074514", "440305198807012130"]


@pytest.mark.parametrize("number", VALID_IDS)
def test_valid_resident_ids(number: str) -> None:
    assert is_valid_cn_id(number)
    assert is_valid_cn_id(f"{number[:6]} {number[6:14]} {number[14:]}")  # separators tolerated


@pytest.mark.parametrize(
    ("number", "why"),
    [
        ("110105194912310021", "wrong check character"),
        ("990105194912310029", "no such province"),
        ("110105194902300023", "30 February"),
        ("110105209912310028", "born in the future"),
        ("11010519491231002", "17 characters"),
    ],
)
def test_invalid_resident_ids(number: str, why: str) -> None:
    assert not is_valid_cn_id(number, today=dt.date(2025, 1, 1)), why


def test_every_single_digit_corruption_of_an_id_is_caught() -> None:
    good = VALID_IDS[1]
    for i in range(17):
        for d in "0123456789":
            if d != good[i]:
                bad = good[:i] + d + good[i + 1 :]
                assert not is_valid_cn_id(bad) or cn_id_check_char(bad[:17]) == bad[17]


@pytest.mark.parametrize(
    "card", ["4111111111111111", "6222 0212 3456 7890 128", "5500-0000-0000-0004", "378282246310005"]
)
def test_luhn_valid_cards(card: str) -> None:
    assert is_valid_card(card)


@pytest.mark.parametrize(
    "card", ["4111111111111112", "1111111111111111", "411111111111", "62220212345678901234"]
)
def test_invalid_cards(card: str) -> None:
    assert not is_valid_card(card)


def test_luhn_check_digit_round_trip() -> None:
    rng = random.Random(1)
    for _ in range(200):
        payload = "".join(str(rng.randrange(10)) for _ in range(rng.randrange(12, 19)))
        assert luhn_ok(payload + luhn_check_digit(payload))


def test_uscc() -> None:
    assert is_valid_uscc("91350100M000100Y43")
    assert not is_valid_uscc("91350100M000100Y44")
    assert not is_valid_uscc("91350100M000100Y4")  # 17 characters
    assert not is_valid_uscc("91350100I000100Y43")  # I is not in the GB 32100 alphabet
    body = "9144030071526726X"[:17]
    assert is_valid_uscc(body + uscc_check_char(body))


def test_iban() -> None:
    assert is_valid_iban("GB82 WEST 1234 5698 7654 32")
    assert is_valid_iban("DE89370400440532013000")
    assert not is_valid_iban("GB82 WEST 1234 5698 7654 33")
    assert not is_valid_iban("GB82WEST123456987654")  # wrong length for GB
    assert not is_valid_iban("XX82WEST12345698765432")


def test_id_shape_ignores_the_checksum_but_not_the_structure() -> None:
    assert looks_like_cn_id("110101199003074515")  # wrong check, still ID-shaped
    assert looks_like_cn_id("430104199802308284")  # 30 February: a mistyped ID still
    assert not looks_like_cn_id("6222021234567890128")  # 19 digits
    assert not looks_like_cn_id("622202123456789012")  # month 34
