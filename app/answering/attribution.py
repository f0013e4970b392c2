"""Post-hoc grounding of a model answer that carries no ``[n]`` citation (small models often drop them).

The answer is compared with each passage the model was given: the share of the answer's terms (Latin
words, digit runs, CJK character bigrams) found in a passage. Passages that cover enough of the answer
are attributed, best first; an answer no passage covers is unsupported, and an answer that only repeats
the question is an echo — both are treated by the turn like a failed generation (extractive fallback).
So is an answer that states a figure (a fee, a rate, a period, an amount) found in no passage and not in
the question: a bank's answer never invents numbers, and a term overlap alone would let "房贷利率是1.20%"
pass on a deposit-rate passage. And so is an answer about a product line (loans, insurance, funds and
wealth products) that no passage shown mentions: "房贷利率是1.20%" carries the figure of a deposit-rate
passage, but the passage says nothing of mortgages.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal

from dialog.numbers import parse_amount
from llm_backend.cache_guard import signature
from llm_backend.composer_lexicon import EN_STOPWORDS as _STOP

_LATIN = re.compile(r"[a-z]{2,}")
_DIGITS = re.compile(r"\d+(?:[.,:]\d+)*")
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")
_PLACEHOLDER = re.compile(r"<[A-Z][A-Z0-9_]*_\d+>")
_MARK = re.compile(r"\[\d+\]")
# A figure: Arabic digits with thousands separators, decimals and a 万/千/k suffix; in the passages also
# Chinese numerals (三个工作日, 两万元), so an answer that writes them in digits is still supported.
_FIGURE = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?[万千kK]?|\d+(?:\.\d+)?[万千kK]?")
_CN_FIGURE = re.compile(r"[零〇一二两三四五六七八九十百千万亿]+")
_LIST_MARKER = re.compile(r"(?m)^\s*\d{1,2}\s*[.、)）]\s*")

MIN_COVERAGE = 0.35  # share of the answer's terms a passage must contain to be cited
ECHO_COVERAGE = 0.8  # an answer this covered by the question, and not longer, only repeats it


def terms(text: str) -> set[str]:
    text = _PLACEHOLDER.sub(" ", text.lower())
    out = {w for w in _LATIN.findall(text) if w not in _STOP}
    out.update(_DIGITS.findall(text))
    for run in _CJK_RUN.findall(text):
        if len(run) == 1:
            out.add(run)
        else:
            out.update(run[i : i + 2] for i in range(len(run) - 1))
    return out


def coverage(answer_terms: set[str], text: str) -> float:
    if not answer_terms:
        return 0.0
    return len(answer_terms & terms(text)) / len(answer_terms)


def is_echo(answer: str, question: str) -> bool:
    a = terms(answer)
    return (
        bool(a)
        and len(answer.strip()) <= 1.5 * len(question.strip()) + 10
        and coverage(a, question) >= ECHO_COVERAGE
    )


def attribute(answer: str, passages: Sequence[str], *, limit: int = 2) -> list[int]:
    """1-based numbers of the passages that support ``answer``, best first (empty: unsupported)."""
    a = terms(answer)
    scored = sorted(((coverage(a, p), i + 1) for i, p in enumerate(passages)), reverse=True)
    return [n for score, n in scored[:limit] if score >= MIN_COVERAGE]


def strip_marks(text: str) -> str:
    """The answer without its ``[n]`` citation marks."""
    return _MARK.sub("", text)


def _values(token: str) -> set[Decimal]:
    """A figure's value(s): ``5万`` is 50000 and also 5 (permissive: a figure matches either)."""
    out: set[Decimal] = set()
    value = parse_amount(token)
    if value is not None:
        out.add(value.normalize())
    bare = token.rstrip("万千kK").replace(",", "")
    if bare and bare[0].isdigit():
        out.add(Decimal(bare).normalize())
    return out


def _tokens(text: str, *, chinese_numerals: bool) -> list[str]:
    text = _LIST_MARKER.sub(" ", strip_marks(_PLACEHOLDER.sub(" ", text)))
    found = _FIGURE.findall(text)
    return [*found, *_CN_FIGURE.findall(text)] if chinese_numerals else found


def figures(text: str, *, chinese_numerals: bool = False) -> set[Decimal]:
    """The numbers ``text`` states, by value (``1.20%`` and ``1.2%`` agree; ``50,000`` and ``5万`` too),
    leaving out placeholders, citation marks and list numbering (``1.`` / ``2、`` at a line start)."""
    out: set[Decimal] = set()
    for token in _tokens(text, chinese_numerals=chinese_numerals):
        out |= _values(token)
    return out


def unsupported_figures(answer: str, sources: Sequence[str]) -> list[str]:
    """Figures of ``answer``, as written, that none of ``sources`` (the passages shown, the question)
    states under any reading of it."""
    known: set[Decimal] = set()
    for source in sources:
        known |= figures(source, chinese_numerals=True)
    return [t for t in _tokens(answer, chinese_numerals=False) if not _values(t) & known]


# Product lines a bank's answer must never speak for without a passage (the cache guard's key-term classes).
PRODUCT_LINES = frozenset({"loan", "insurance", "fund"})


def unsupported_product_lines(answer: str, passages: Sequence[str]) -> list[str]:
    """Product lines ``answer`` speaks of that none of ``passages`` mentions (the question does not count:
    the customer naming a product does not make the answer about it supported)."""
    named = signature(answer)[2] & PRODUCT_LINES
    for passage in passages:
        named -= signature(passage)[2]
    return sorted(named)
