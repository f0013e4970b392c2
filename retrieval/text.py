"""Text normalisation, language detection and keyword tokenisation (Chinese and English).

Keyword matching happens in one script: Traditional Chinese is converted to Simplified (OpenCC ``tw2sp``,
which also maps Taiwan phrasing such as 網路→网络, plus 帐→账, which OpenCC leaves alone but mainland banking
text always writes 账). Chinese runs are segmented with jieba (search mode: words and their sub-words),
English runs are lower-cased words with a small stop list; full-width forms fold to ASCII (NFKC).
bm25s's own tokenizer splits on whitespace only, so a Chinese query would score 0 against everything.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from typing import Any

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")
_RUNS = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[a-z0-9]+(?:[.'][a-z0-9]+)*")
_EXTRA_T2S = str.maketrans({"帐": "账"})

EN_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "for",
        "from",
        "had",
        "has",
        "have",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "me",
        "my",
        "of",
        "on",
        "or",
        "our",
        "please",
        "should",
        "so",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "uh",
        "um",
        "umm",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yes",
        "no",
        "ok",
        "hi",
        "hello",
    ]
)
ZH_STOP = frozenset(
    [
        "的",
        "了",
        "吗",
        "嗎",
        "呢",
        "吧",
        "啊",
        "呀",
        "是",
        "我",
        "你",
        "您",
        "他",
        "她",
        "它",
        "们",
        "們",
        "在",
        "有",
        "和",
        "与",
        "與",
        "或",
        "就",
        "都",
        "也",
        "还",
        "還",
        "要",
        "会",
        "會",
        "能",
        "可以",
        "请问",
        "請問",
        "请",
        "請",
        "一下",
        "怎么",
        "怎麼",
        "什么",
        "什麼",
        "如何",
        "哪些",
        "哪里",
        "哪裡",
        "这个",
        "這個",
        "那个",
        "那個",
        "这",
        "這",
        "那",
        "个",
        "個",
        "吗",
        "么",
        "麼",
        "被",
        "把",
        "给",
        "給",
        "让",
        "讓",
    ]
)


def detect_lang(text: str) -> str:
    """``"zh"`` when Han characters make up at least a fifth of the letters, ``"en"`` when Latin letters
    dominate, ``""`` when the text has neither."""
    han = len(_HAN.findall(text))
    latin = len(_LATIN.findall(text))
    if han == 0 and latin == 0:
        return ""
    # a Han character carries about as much as a 4-letter word
    return "zh" if han * 4 >= (han * 4 + latin) * 0.2 else "en"


def fold(text: str) -> str:
    """NFKC (full-width -> ASCII) and lower case."""
    return unicodedata.normalize("NFKC", text).lower()


class KeywordAnalyzer:
    """Turns text into keyword tokens for BM25. Loads OpenCC and jieba in ``warm_up()``; thread-safe.

    ``analyze`` returns tokens in text order (duplicates kept: BM25 counts term frequency).
    """

    def __init__(self, user_words: tuple[str, ...] = ()) -> None:
        self._user_words = user_words
        self._cc: Any = None
        self._jieba: Any = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        with self._lock:
            if self._jieba is not None:
                return
            import logging

            import jieba
            import opencc

            jieba.setLogLevel(logging.WARNING)
            tok = jieba.Tokenizer()
            tok.initialize()
            for w in self._user_words:
                tok.add_word(w)
            self._cc = opencc.OpenCC("tw2sp")
            self._jieba = tok

    def to_simplified(self, text: str) -> str:
        if self._cc is None:
            raise RuntimeError("KeywordAnalyzer: call warm_up() first")
        if not _HAN.search(text):
            return text
        converted: str = self._cc.convert(text)
        return converted.translate(_EXTRA_T2S)

    def analyze(self, text: str) -> list[str]:
        if self._jieba is None:
            raise RuntimeError("KeywordAnalyzer: call warm_up() first")
        text = self.to_simplified(fold(text))
        out: list[str] = []
        for run in _RUNS.findall(text):
            if _HAN.match(run):
                for w in self._jieba.cut_for_search(run):
                    if w not in ZH_STOP:
                        out.append(w)
            elif run not in EN_STOP:
                out.append(s_stem(run))
        return out


def s_stem(word: str) -> str:
    """Harman's "S" stemmer (plural folding only: cards->card, policies->policy), possessive dropped."""
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) > 3 and word.endswith("ies") and word[-4] not in "ae":
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("es") and word[-3] not in "aeo":
        return word[:-1]
    if len(word) > 2 and word.endswith("s") and word[-2] not in "us":
        return word[:-1]
    return word
