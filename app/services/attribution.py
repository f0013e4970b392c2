"""Post-hoc grounding of a model answer that carries no ``[n]`` citation (small models often drop them).

The answer is compared with each passage the model was given: the share of the answer's terms (Latin
words, digit runs, CJK character bigrams) found in a passage. Passages that cover enough of the answer
are attributed, best first; an answer no passage covers is unsupported, and an answer that only repeats
the question is an echo — both are treated by the turn like a failed generation (extractive fallback).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_LATIN = re.compile(r"[a-z]{2,}")
_DIGITS = re.compile(r"\d+(?:[.,:]\d+)*")
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")
_PLACEHOLDER = re.compile(r"<[A-Z][A-Z0-9_]*_\d+>")
_STOP = frozenset(
    [
        "the",
        "and",
        "for",
        "you",
        "your",
        "are",
        "can",
        "with",
        "this",
        "that",
        "from",
        "have",
        "has",
        "will",
        "not",
        "but",
        "our",
        "all",
        "any",
        "was",
        "were",
        "its",
        "also",
        "may",
        "more",
        "when",
        "what",
        "how",
        "which",
        "who",
        "into",
        "out",
        "per",
    ]
)

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
