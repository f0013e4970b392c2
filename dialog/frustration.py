"""Frustration of a customer message, 0..1, from lexicons, punctuation, shouting and repetition; and
whether the customer says the bot keeps repeating itself (``reports_repetition``).

Rules, not a model: what a customer-service lead would flag, in Chinese and English. The policy looks at
the trend over turns (``DialogState.frustration``), not only at one message. A message that says the bot
is getting nowhere ("跟没说一样", "对牛弹琴", "thanks for nothing", "you're not listening") or says it
sarcastically ("呵呵，真是太有帮助了", "wow very helpful") scores high enough to hand off on its own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_STRONG = (
    "垃圾", "气死", "太差", "废物", "什么破", "破银行", "透顶", "烦死", "受够", "忍无可忍", "坑人", "骗子", "无语",
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
# The conversation with the bot is getting nowhere, said in so many words (weight: hands off alone).
_FUTILE = (
    "跟没说一样", "等于没说", "说了等于没说", "白说", "对牛弹琴", "鸡同鸭讲", "听不懂", "听得懂吗", "能不能听懂",
    "到底懂不懂", "没法沟通", "沟通不了", "浪费我时间", "浪费时间", "什么玩意", "受不了", "说不明白", "讲不明白",
    "说不清楚", "一点用都没有", "一点用没有", "没有一点用", "答非所问",
    "thanks for nothing", "not listening", "don't listen", "doesn't listen", "you don't understand",
    "you do not understand", "don't get it", "waste of my time", "wasting my time", "had enough", "hopeless",
    "non-answer", "useless answer", "not helping", "no help at all", "even reading", "even listening",
    "pointless", "talking to a wall",
)  # fmt: skip
# Praise that is not meant: a scoff before it, or praise of a non-answer.
_SARCASM = re.compile(
    r"呵呵|(?:真是|可真|真)(?:太)?(?:有帮助|厉害|棒|行|专业|聪明)(?:了|啊|呢)?(?=.*(?:没说|没用|白说))|谢谢你了?啊"
    r"|(?<![a-z])(?:wow|oh|yeah|sure|brilliant|great|well)[,.!\s]+(?:very|so|really|super|just|that'?s|thanks|another|"
    r"great|that\s+was)?\s*(?:helpful|useful|great|thanks|non-answer|useless|brilliant|genius|clear)"
    r"|(?:very|so)\s+helpful[.!]*\s*(?:not|/s)\b|yeah\s+right",
    re.IGNORECASE,
)
# The customer says the bot repeats itself or that they have asked several times.
_REPETITION = re.compile(
    r"复读机|又是这[段句个]|又是同样|又是一样|同一[段句个]话|同样的话|一样的话|一模一样|车轱辘话|来回说|翻来覆去"
    r"|(?:问|说|讲)了(?:两|三|四|五|好几|几|[2-9])(?:遍|次)|(?:两|三|好几|[2-9])(?:遍|次)了"
    r"|(?:回答|答案|这段|这个)我(?:已经)?看过了|重复(?:的)?(?:回答|答案|内容)|每次都(?:回|发|说)"
    r"|(?<![a-z])(?:same\s+(?:thing|answer|reply|message|response|text|link|stuff)(?:\s+(?:again|over))?"
    r"|(?:second|third|fourth|fifth|\d+(?:st|nd|rd|th))\s+time"
    r"|(?:asked|told\s+you|said)\s+(?:this|that|it)?\s*(?:twice|three\s+times|\d+\s+times|already)"
    r"|already\s+(?:asked|told\s+you|said\s+that)|said\s+that\s+already|you\s+said\s+that"
    r"|going\s+(?:round\s+)?in\s+circles|broken\s+record|copy[\s-]?paste"
    r"|keep\s+(?:giving|sending|saying|telling|repeating)|again\s+and\s+again|over\s+and\s+over)",
    re.IGNORECASE,
)
_PLACEHOLDER = re.compile(r"<[A-Z][A-Z0-9_]*_\d+>")
_SHOUT = re.compile(r"\b[A-Z]{3,}\b")
_BANGS = re.compile(r"[!！]{2,}|[?？]{3,}|[?？][!！]|[!！][?？]")


def _lexicon(terms: tuple[str, ...]) -> tuple[re.Pattern[str], tuple[str, ...]]:
    ascii_terms = sorted((t for t in terms if t.isascii()), key=len, reverse=True)
    pattern = re.compile(r"(?<![a-z])(?:" + "|".join(re.escape(t) for t in ascii_terms) + ")")
    return pattern, tuple(t for t in terms if not t.isascii())


_STRONG_LEX = _lexicon(_STRONG)
_FUTILE_LEX = _lexicon(_FUTILE)
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
    if _hits(lower, _FUTILE_LEX) or _SARCASM.search(clean):
        score += 0.75
    if _BANGS.search(clean):
        score += 0.2
    shouted = [w for w in _SHOUT.findall(clean) if w not in ("ATM", "PIN", "APP", "USD", "CNY", "RMB", "HKD")]
    if len(shouted) >= 2:
        score += 0.25
    if len(clean.strip()) >= 4 and any(similarity(clean, p) >= 0.7 for p in previous_user_texts[-3:]):
        score += 0.3  # asking the same thing again: the last answer did not help
    return min(1.0, score)


def reports_repetition(text: str) -> bool:
    """The customer says the bot repeats itself or that they have asked several times ("又是这段话",
    "我已经问了三遍了", "same thing again", "that's the third time you've sent me the same thing")."""
    return bool(_REPETITION.search(_PLACEHOLDER.sub(" ", text)))
