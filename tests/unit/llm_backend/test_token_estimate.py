"""The cautious token estimate: a table of exact counts, and the piece-by-piece definition it implements."""

from __future__ import annotations

import math
import random
import re

import pytest

from llm_backend.tokens import EstimatingCounter


def _reference(text: str) -> int:
    """The definition, one piece at a time (the implementation counts with three regexes and a cache)."""
    total = 0
    for piece in re.findall(r"[A-Za-z]+|\s+|.", text, re.DOTALL):
        if piece[0].isascii() and piece[0].isalpha():
            total += math.ceil(len(piece) / 3)
        elif not piece.isspace() or "\n" in piece:
            total += 1
    return total


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 0),
        ("a", 1),
        ("abc", 1),
        ("abcd", 2),
        ("hello world", 4),  # 2 + 2, the space is free
        ("a\nb", 3),  # a newline costs one
        ("a \n \n b", 3),  # one whitespace run with newlines costs one
        ("信用卡", 3),
        ("138-0013", 8),
        ("café", 2),  # "caf" 1, "é" 1 (a letter, but not ASCII)
        ("<PHONE_NUMBER_1>", 9),  # < PHONE(2) _ NUMBER(2) _ 1 >
        ("\u3000\u00a0", 0),  # Unicode spaces are whitespace
    ],
)
def test_estimate_table(text: str, expected: int) -> None:
    assert EstimatingCounter().count(text) == expected == _reference(text)


def test_estimate_matches_definition_on_random_text() -> None:
    alphabet = "abcXYZ \t\n\r\u3000\u00a0中文，。1é\x1c\x85<>_-"
    rnd = random.Random(7)
    counter = EstimatingCounter()
    for _ in range(3000):
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 40)))
        assert counter.count(text) == _reference(text), repr(text)
        assert counter.count(text) == _reference(text)  # again: from the cache, the same
