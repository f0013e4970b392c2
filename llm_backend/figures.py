"""Figures by kind: rates, amounts, durations, clock times and counts, read from bank text in zh and en.

``figures(text)`` returns each figure as a ``Figure(kind, value, unit)`` with the value normalised
(``2万元`` = ``RMB 20,000`` = 20000; ``三个工作日`` = 3 working days; ``1.20%`` = ``1.2%``), so an answer can
be compared with the evidence it was given figure by figure (``composer.contradicting_figures``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Literal

FigureKind = Literal["rate", "amount", "duration", "clock", "count"]

# The Chinese digits (zh numerals without units); also read by cache_guard and composer_lexicon.
CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
# English number words, zero to twelve (index = value).
EN_NUMBER_WORDS = (
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
)
_CN_UNIT = {"十": 10, "百": 100, "千": 1000}
_NUM = r"(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千]+)"
_SCALE = r"(?:\s?(?:万|千|million|thousand|k)\b|万|千)?"
_CURRENCY_BEFORE = r"(?:RMB|CNY|USD|HKD|EUR|GBP|JPY|US\$|HK\$|¥|￥|\$)"
_CURRENCY_AFTER = r"(?:元|块|美元|港元|港币|欧元|英镑|日元|人民币)"

_RATE = re.compile(rf"({_NUM})\s?%")
_AMOUNT_BEFORE = re.compile(rf"{_CURRENCY_BEFORE}\s?({_NUM})({_SCALE})", re.IGNORECASE)
_AMOUNT_AFTER = re.compile(rf"({_NUM})\s?(万|千)?\s?{_CURRENCY_AFTER}")
_AMOUNT_WAN = re.compile(rf"({_NUM})\s?万(?!\s?{_CURRENCY_AFTER})")
_CLOCK = re.compile(r"(?<!\d)([01]?\d|2[0-4])[:：]([0-5]\d)(?!\d)")
_DURATION_ZH = re.compile(rf"({_NUM})\s?(?:个)?\s?(工作日|自然日|天|小时|分钟|秒|个月|月|周|年)")
_DURATION_EN = re.compile(
    rf"({_NUM})[\s-]?(working days?|business days?|calendar days?|days?|hours?|minutes?|seconds?|months?|weeks?|years?)\b",
    re.IGNORECASE,
)
_COUNT = re.compile(
    rf"({_NUM})\s?(次|笔|期|张|instalments?|installments?|times|transactions?)", re.IGNORECASE
)

_UNITS = {
    "工作日": "working_day",
    "working day": "working_day",
    "business day": "working_day",
    "自然日": "day",
    "calendar day": "day",
    "天": "day",
    "day": "day",
    "小时": "hour",
    "hour": "hour",
    "分钟": "minute",
    "minute": "minute",
    "秒": "second",
    "second": "second",
    "个月": "month",
    "月": "month",
    "month": "month",
    "周": "week",
    "week": "week",
    "年": "year",
    "year": "year",
}


@dataclass(frozen=True, slots=True)
class Figure:
    kind: FigureKind
    value: Decimal
    unit: str = ""  # durations: day / working_day / hour / minute / second / week / month / year
    text: str = ""  # as written (not compared)

    @property
    def key(self) -> tuple[str, Decimal, str]:
        return self.kind, self.value, self.unit


def cn_number(text: str) -> int | None:
    """``三`` 3, ``十二`` 12, ``二十`` 20, ``一百五十`` 150, ``两千`` 2000; None when it is not a numeral."""
    total, current = 0, 0
    for ch in text:
        if ch in CN_DIGITS:
            current = CN_DIGITS[ch]
        elif ch in _CN_UNIT:
            total += (current or 1) * _CN_UNIT[ch]
            current = 0
        else:
            return None
    return total + current


def number(token: str) -> Decimal | None:
    token = token.strip()
    if not token:
        return None
    if token[0].isdigit():
        try:
            return Decimal(token.replace(",", ""))
        except InvalidOperation:
            return None
    value = cn_number(token)
    return Decimal(value) if value is not None else None


def _scaled(value: Decimal, scale: str) -> Decimal:
    scale = scale.strip().lower()
    if scale == "万":
        return value * 10000
    if scale in ("千", "k", "thousand"):
        return value * 1000
    if scale == "million":
        return value * 1000000
    return value


def _unit(word: str) -> str:
    word = word.lower().rstrip("s") if word.isascii() else word
    return _UNITS.get(word, word)


def figures(text: str) -> tuple[Figure, ...]:
    """Every figure of ``text``, in order of appearance per kind (a span is read as one kind only)."""
    return _figures(text)


@lru_cache(maxsize=8192)
def _figures(text: str) -> tuple[Figure, ...]:
    out: list[Figure] = []
    taken: list[tuple[int, int]] = []

    def free(span: tuple[int, int]) -> bool:
        return all(span[1] <= a or span[0] >= b for a, b in taken)

    def add(kind: FigureKind, match: re.Match[str], value: Decimal | None, unit: str = "") -> None:
        if value is None or not free(match.span()):
            return
        taken.append(match.span())
        out.append(Figure(kind, value.normalize(), unit, match.group(0)))

    for m in _RATE.finditer(text):
        add("rate", m, number(m.group(1)))
    for m in _CLOCK.finditer(text):
        add("clock", m, Decimal(int(m.group(1)) * 100 + int(m.group(2))))
    for m in _AMOUNT_BEFORE.finditer(text):
        value = number(m.group(1))
        add("amount", m, None if value is None else _scaled(value, m.group(2) or ""))
    for m in _AMOUNT_AFTER.finditer(text):
        value = number(m.group(1))
        add("amount", m, None if value is None else _scaled(value, m.group(2) or ""))
    for m in _AMOUNT_WAN.finditer(text):
        value = number(m.group(1))
        add("amount", m, None if value is None else value * 10000)
    for m in _DURATION_ZH.finditer(text):
        value = number(m.group(1))
        if m.group(2) == "年" and value is not None and value > 100:  # 2027年: a date, not a term
            continue
        add("duration", m, value, _unit(m.group(2)))
    for m in _DURATION_EN.finditer(text):
        add("duration", m, number(m.group(1)), _unit(m.group(2)))
    for m in _COUNT.finditer(text):
        add("count", m, number(m.group(1)), "")
    return tuple(out)


def has_figure(text: str, kinds: frozenset[str] | set[str] | None = None) -> bool:
    return any(kinds is None or f.kind in kinds for f in figures(text))
