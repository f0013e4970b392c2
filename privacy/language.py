"""Which engines a text needs, and the width-folding that lets one set of patterns read both scripts.

``fold_width`` maps full-width ASCII (``１３８００``, ``＠``, ``：``) to half-width one character for one
character, so offsets into the folded text are offsets into the original. ``detect_languages`` is a
script count: Han characters -> ``zh``; Latin words -> ``en``; enough of both -> both (mixed messages are
analysed twice and the findings merged).
"""

from __future__ import annotations

import re

_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
_NOT_WORDS = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+|https?://\S+|<[A-Z_0-9]+>")
# Below this many Latin words a Chinese message's English is a term or two (App, VIP, ETC), not prose.
MIN_LATIN_WORDS_FOR_EN = 3


def fold_width(text: str) -> str:
    return text.translate(_FULLWIDTH)


def detect_languages(text: str, available: tuple[str, ...] = ("zh", "en")) -> tuple[str, ...]:
    """The languages to analyse ``text`` in, in order, restricted to ``available`` (never empty)."""
    has_han = _HAN.search(text) is not None
    latin = len(_LATIN_WORD.findall(_NOT_WORDS.sub(" ", text)))
    wanted: list[str] = []
    if has_han:
        wanted.append("zh")
    if latin >= (MIN_LATIN_WORDS_FOR_EN if has_han else 1):
        wanted.append("en")
    if not wanted:  # digits and punctuation only: the pattern recognizers are in every language
        wanted.append("zh" if "zh" in available else available[0])
    chosen = tuple(lang for lang in wanted if lang in available)
    return chosen or (available[0],)
