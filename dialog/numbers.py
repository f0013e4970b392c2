"""Amounts as customers write them: ``5000``, ``1,200.50``, ``5k``, ``1.5万``, ``三千五``, ``两万``, ``一百二十``."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_DIGITS = {
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
_SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
_BIG_UNITS = {"万": 10_000, "亿": 100_000_000}
_SUFFIX = {
    "k": 1000,
    "K": 1000,
    "w": 10_000,
    "W": 10_000,
    "万": 10_000,
    "千": 1000,
    "百": 100,
    "亿": 100_000_000,
}
_ARABIC = re.compile(r"^(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?([kKwW万千百亿]?)$")

CN_NUMERAL_CHARS = "零〇一二两三四五六七八九十百千万亿"


def _parse_cn_section(text: str) -> int | None:
    """A number below 10,000 in Chinese numerals; ``三千五`` means 3500 (the dropped unit is implied)."""
    total, digit, last_unit = 0, None, 10_000
    for ch in text:
        if ch in "零〇":  # 一千零五: the zero only says the next digit is in the ones place
            digit, last_unit = None, 10
        elif ch in _DIGITS:
            if digit is not None:  # two digits in a row: 一二 is not a number here
                return None
            digit = _DIGITS[ch]
        elif ch in _SMALL_UNITS:
            unit = _SMALL_UNITS[ch]
            total += (1 if digit is None else digit) * unit
            digit, last_unit = None, unit
        else:
            return None
    if digit is not None:
        total += digit * (last_unit // 10 if last_unit <= 1000 and total else 1)
    return total


def parse_cn_number(text: str) -> int | None:
    """Chinese-numeral integer (``一万二千`` -> 12000, ``两亿`` -> 200000000), or None."""
    if not text or any(ch not in CN_NUMERAL_CHARS for ch in text):
        return None
    total, rest = 0, text
    for unit_char, unit in sorted(_BIG_UNITS.items(), key=lambda kv: -kv[1]):
        if unit_char in rest:
            head, rest = rest.split(unit_char, 1)
            value = _parse_cn_section(head) if head else 1
            if value is None:
                return None
            total += value * unit
    if rest:
        if rest.startswith(("零", "〇")):
            rest = rest.lstrip("零〇")
            tail = _parse_cn_section(rest) if rest else 0
        elif total and len(rest) == 1 and rest in _DIGITS:  # 一万五 -> 15000
            tail = _DIGITS[rest] * 1000
        else:
            tail = _parse_cn_section(rest)
        if tail is None:
            return None
        total += tail
    return total


def parse_amount(text: str) -> Decimal | None:
    """Arabic (with thousands separators and a k/万 suffix) or Chinese-numeral amount, or None."""
    text = text.strip()
    m = _ARABIC.match(text)
    if m:
        whole, frac, suffix = m.group(1).replace(",", ""), m.group(2), m.group(3)
        try:
            value = Decimal(f"{whole}.{frac}" if frac else whole)
        except InvalidOperation:  # pragma: no cover - the regex admits only digits
            return None
        return value * _SUFFIX[suffix] if suffix else value
    cn = parse_cn_number(text)
    return None if cn is None else Decimal(cn)


def format_amount(value: Decimal) -> str:
    """Canonical text: no exponent, no trailing zeros (``5000``, ``12.5``)."""
    q = value.quantize(Decimal("0.01")).normalize()
    return f"{q:f}"
