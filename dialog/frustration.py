"""Frustration of a customer message, 0..1, from lexicons, punctuation, shouting and repetition.

Rules, not a model: what a customer-service lead would flag, in Chinese and English. The policy looks at
the trend over turns (``DialogState.frustration``), not only at one message.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_STRONG = (
    "垃圾", "气死", "太差", "废物", "什么破", "破银行", "烦死", "受够", "忍无可忍", "坑人", "骗子", "无语",
    "没用", "智障", "听不懂人话", "搞什么", "有病", "太离谱", "离谱", "滚", "恶心", "差劲", "投诉你们",
    "useless", "ridiculous", "terrible", "awful", "stupid", "idiot", "worst", "fed up", "sick of",
    "waste of time", "pathetic", "wtf", "hate", "angry", "furious", "unacceptable", "scam", "disgusting",
    "incompetent", "nonsense", "rubbish", "garbage", "joke",
)  # fmt: skip
_MILD = (
    "到底", "还是不行", "还是没", "怎么还", "为什么还", "说了多少遍", "说过了", "已经说了", "不是这个",
    "答非所问", "没解决", "没有解决", "不对", "看不懂", "又是", "失望", "着急", "急死", "快点", "赶紧",
    "still", "again", "already told", "already said", "not what i asked", "doesn't help", "does not help",
    "not helpful", "didn't help", "wrong answer", "seriously", "come on", "not working", "doesn't work",
    "disappointed", "hurry", "urgent", "frustrat", "annoy", "upset", "confus",
)  # fmt: skip
_PLACEHOLDER = re.compile(r"<[A-Z][A-Z0-9_]*_\d+>")
_SHOUT = re.compile(r"\b[A-Z]{3,}\b")
_BANGS = re.compile(r"[!！]{2,}|[?？]{3,}|[?？][!！]|[!！][?？]")


def _lexicon(terms: tuple[str, ...]) -> tuple[re.Pattern[str], tuple[str, ...]]:
    ascii_terms = sorted((t for t in terms if t.isascii()), key=len, reverse=True)
    pattern = re.compile(r"(?<![a-z])(?:" + "|".join(re.escape(t) for t in ascii_terms) + ")")
    return pattern, tuple(t for t in terms if not t.isascii())


_STRONG_LEX = _lexicon(_STRONG)
_MILD_LEX = _lexicon(_MILD)


def _hits(lower: str, lexicon: tuple[re.Pattern[str], tuple[str, ...]]) -> int:
    """How many distinct terms of the lexicon occur (English ones at a word start)."""
    pattern, han = lexicon
    return len(set(pattern.findall(lower))) + sum(t in lower for t in han)


def _bigrams(text: str) -> set[str]:
    t = re.sub(r"\W+", "", text.lower())
    return {t[i : i + 2] for i in range(len(t) - 1)} or ({t} if t else set())


def similarity(a: str, b: str) -> float:
    """Character-bigram Jaccard similarity (script-agnostic), 0..1."""
    x, y = _bigrams(a), _bigrams(b)
    if not x or not y:
        return 0.0
    return len(x & y) / len(x | y)


def frustration_score(text: str, previous_user_texts: Sequence[str] = ()) -> float:
    """0 (calm) .. 1 (angry). ``previous_user_texts``: the customer's earlier messages, oldest first."""
    clean = _PLACEHOLDER.sub(" ", text)
    lower = clean.lower()
    score = 0.0
    score += 0.5 * _hits(lower, _STRONG_LEX)
    score += 0.25 * _hits(lower, _MILD_LEX)
    if _BANGS.search(clean):
        score += 0.2
    shouted = [w for w in _SHOUT.findall(clean) if w not in ("ATM", "PIN", "APP", "USD", "CNY", "RMB", "HKD")]
    if len(shouted) >= 2:
        score += 0.25
    if len(clean.strip()) >= 4 and any(similarity(clean, p) >= 0.7 for p in previous_user_texts[-3:]):
        score += 0.3  # asking the same thing again: the last answer did not help
    return min(1.0, score)
