"""Top unanswered questions: the customers' (masked) messages the bot could not answer, with near-duplicates
grouped simply.

Two messages are one question when their *keys* are equal or close:

- key: NFKC, case-folded, placeholder numbers dropped (``<PHONE_NUMBER_2>`` -> ``<PHONE_NUMBER>``),
  whitespace and punctuation removed ("How do I close my account?" == "how do i close my account");
- close: the Dice coefficient of the keys' character bigrams is at least ``SIMILARITY`` (0.6), which
  merges small rewordings ("如何注销账户" / "怎么注销账户": 0.6) and keeps different questions apart
  ("信用卡年费多少" / "信用卡额度多少": 0.5).

Keys are visited most frequent first and each joins the first group whose leading key is close enough
(greedy, one pass; candidate leaders come from an inverted index of bigrams): simple and deterministic.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

SIMILARITY = 0.6
_PLACEHOLDER_NUMBER = re.compile(r"<([A-Z_]+?)_\d+>")
_DROP = re.compile(r"[\s\W_]+", re.UNICODE)
_PLACEHOLDER = re.compile(r"<[A-Z_]+>")


@dataclass(frozen=True, slots=True)
class Asked:
    text: str  # masked
    lang: str
    reason: str
    asked_at: datetime


@dataclass
class QuestionGroup:
    text: str  # the most frequent wording
    count: int
    last_asked_at: datetime
    langs: list[str]
    reasons: dict[str, int]
    variants: list[str] = field(default_factory=list)  # other wordings, most frequent first (at most 5)


def question_key(text: str) -> str:
    """The comparison key of a masked message (see the module docstring)."""
    t = unicodedata.normalize("NFKC", text).strip()
    t = _PLACEHOLDER_NUMBER.sub(r"<\1>", t)
    # Keep placeholders as single tokens; drop punctuation and spaces everywhere else.
    parts: list[str] = []
    last = 0
    for m in _PLACEHOLDER.finditer(t):
        parts.append(_DROP.sub("", t[last : m.start()]).casefold())
        parts.append(m.group(0))
        last = m.end()
    parts.append(_DROP.sub("", t[last:]).casefold())
    return "".join(parts)


def _bigrams(key: str) -> frozenset[str]:
    if len(key) < 2:
        return frozenset({key}) if key else frozenset()
    return frozenset(key[i : i + 2] for i in range(len(key) - 1))


def _dice(x: frozenset[str], y: frozenset[str]) -> float:
    if not x or not y:
        return 0.0
    return 2 * len(x & y) / (len(x) + len(y))


def similarity(a: str, b: str) -> float:
    """Dice coefficient of two keys' character bigrams (1.0 for equal keys)."""
    return 1.0 if a == b else _dice(_bigrams(a), _bigrams(b))


def group_questions(asked: Sequence[Asked], *, top: int = 10) -> list[QuestionGroup]:
    """The ``top`` groups, most asked first (ties: most recently asked first, then text)."""
    by_key: dict[str, list[Asked]] = {}
    for a in asked:
        key = question_key(a.text)
        if key:
            by_key.setdefault(key, []).append(a)
    ordered = sorted(by_key, key=lambda k: (-len(by_key[k]), k))
    members = _cluster(ordered)
    groups = [_group([a for k in keys for a in by_key[k]]) for keys in members]
    groups.sort(key=lambda g: (-g.count, -g.last_asked_at.timestamp(), g.text))
    return groups[:top]


def _cluster(ordered: Sequence[str]) -> list[list[str]]:
    """Greedy leader clustering: each key joins the earliest leader whose Dice similarity with it is at
    least ``SIMILARITY``, else leads a new group. Leaders are found through an inverted index of their
    bigrams, so only leaders sharing a bigram with the key are scored."""
    grams_of: list[frozenset[str]] = []
    members: list[list[str]] = []
    postings: dict[str, list[int]] = {}
    for key in ordered:
        grams = _bigrams(key)
        shared: Counter[int] = Counter()
        for g in grams:
            for leader in postings.get(g, ()):
                shared[leader] += 1
        size = len(grams)
        best = min(
            (i for i, n in shared.items() if 2 * n / (size + len(grams_of[i])) >= SIMILARITY),
            default=None,
        )
        if best is not None:
            members[best].append(key)
            continue
        index = len(members)
        grams_of.append(grams)
        members.append([key])
        for g in grams:
            postings.setdefault(g, []).append(index)
    return members


def _group(items: list[Asked]) -> QuestionGroup:
    wordings = Counter(a.text.strip() for a in items)
    ranked = [t for t, _ in sorted(wordings.items(), key=lambda kv: (-kv[1], kv[0]))]
    return QuestionGroup(
        text=ranked[0],
        count=len(items),
        last_asked_at=max(a.asked_at for a in items),
        langs=sorted({a.lang for a in items if a.lang}),
        reasons=dict(Counter(a.reason or "none" for a in items).most_common()),
        variants=ranked[1:6],
    )
