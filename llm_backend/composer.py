"""The answer composer: the clauses of the passages that answer what was asked, verbatim, cited ``[n]``.

No model. The question is read for what it asks (the attribute: a limit, fee, rate, time, steps, a
number to call, documents, a condition), about which variant (qualifiers: card tier and kind, term, the
scope of a limit, currency, channel, destination, speed, side of an amount) and with which words. Each
passage is cut into units — sentences and their clauses (。；！？, and the parts of an enumeration),
list items, table rows (a Markdown pipe row with its header, or a loader's ``header: value; …`` row) —
and each unit is scored on the question's words it shares (itself, and its context: the passage title,
heading, FAQ question and sentence), whether it states the asked attribute, and whether its qualifiers
agree with the question's (a per-transaction clause for a daily question, a 1-year rate for a 3-year
question, the slow path for the fast one is marked down, a clause naming the asked variant up). The best
units of the best passage are quoted in their order — within a sentence, the clauses that name another
variant are left out, a table row keeps its key cell and the cells of the asked variant — for a how-to,
the list of steps; at most ``ComposerConfig.max_chars`` per language, so a long passage is never dumped
whole when a clause answers. Every quoted passage ends with its ``[n]``.

``contradicting_figures(answer, composition)`` is the check for a model that phrases the answer from the
composition's evidence: a figure of the asked attribute's kind that the evidence does not state.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Protocol, runtime_checkable

from llm_backend.cache_guard import signature
from llm_backend.composer_lexicon import (
    EN_STOPWORDS,
    FIGURE_KINDS,
    answers_attribute,
    attributes_asked,
    qualifiers,
)
from llm_backend.config import ComposerConfig
from llm_backend.figures import Figure, figures
from llm_backend.prompt_text import detect_language, no_answer_text
from llm_backend.types import Lang, Passage

_LATIN = re.compile(r"[a-z][a-z0-9'-]+|\d+(?:[.,:]\d+)*")
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")
_PLACEHOLDER = re.compile(r"<[A-Z][A-Z0-9_]*_\d+>")
_MD = re.compile(r"\*\*|__|`|(?<!\w)\*(?=\S)|(?<=\S)\*(?!\w)")
_HEADING = re.compile(r"^#{1,6}\s+")
_LIST = re.compile(r"^\s*(?:[-*•·]\s+|\d{1,2}\s*[.、)）]\s*|[（(]\d{1,2}[)）]\s*)")
_TABLE_SEP = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_PAIR = re.compile(r"^([^:;|]{1,40}): (.+)$")
_SENTENCE = re.compile(r"(?<=[。！？!?])|(?<=[.])\s+(?=[A-Z0-9\"“(（])")
_CLAUSE = re.compile(
    r"(?<=[；;])|(?<=，)|(?<=, )|(?= and (?:RMB|USD|HKD|EUR|GBP|\d|free\b|waived\b|no charge\b))"
)
_CONJUNCTION = re.compile(r"^\s*(?:and|or|以及|和|及)\s*")
_FIRST_FIGURE = re.compile(r"(?:RMB|USD|HKD|EUR|GBP|¥|\$)?\s?\d")
_TRIM = " \t，,；;：:。.！!？?、"
_DIGIT = re.compile(r"\d")
_OFF_TOPIC = 0.3  # a clause whose subject shares less than this share of the best one's words is another's
_MODIFIER = re.compile(
    r"^(最低|最高|最少|最多|另|另收|加收|免|at least|at most|minimum|maximum|min\.?|max\.?|plus)", re.I
)
_CAPS_HEADING = re.compile(r"^[A-Z][A-Z&/ -]{3,60}$")  # CREDIT CARD PAYMENTS (a plain-text notice)
_ENDS = ("。", "！", "？", ".", "!", "?", ":", "：", ";", "；", "…", "）", ")")
_LABEL = re.compile(r"^[^：:，,。.]{1,16}[：:](?!\d)\s?\S")  # 电话办理： 拨打… / Branch: bring…
_LEAD = re.compile(r"^[^：:，,]{1,24}[：:](?!\d)\s*")  # not a clock time's colon (9:00)
_STOP = EN_STOPWORDS | frozenset(
    ["a", "an", "or", "is", "be", "do", "does", "i", "my", "me", "to", "of", "in", "on", "at", "it", "by", "if", "there", "their", "please", "much", "many"]
)  # fmt: skip
_QUESTION_BIGRAMS = frozenset(
    [
        "多少",
        "是多",
        "少钱",
        "怎么",
        "如何",
        "什么",
        "吗？",
        "请问",
        "可以",
        "能不",
        "不能",
        "是什",
        "么时",
        "需要",
    ]
)
_PRODUCT_LINES = frozenset({"loan", "insurance", "fund"})
_OTHER_PRODUCT = frozenset({"account", "tier", "deposit"})  # an extra unit naming one unasked is another's
_PRODUCT_DIMS = frozenset({"account", "tier", "deposit", "card", "currency"})  # which product a figure is of


def _stem(word: str) -> str:
    """A crude stem: opens ~ open, confirmation ~ confirm, activating ~ activate (first 6 letters)."""
    if word[0].isdigit():
        return word
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            word = word[: -len(suffix)]
            break
    return word[:6]


@lru_cache(maxsize=8192)
def _terms(text: str) -> frozenset[str]:
    text = _PLACEHOLDER.sub(" ", unicodedata.normalize("NFKC", text).lower())  # Ⅱ类 ~ II类
    words = _LATIN.findall(text)
    words += [
        part for w in words if "-" in w for part in w.split("-") if len(part) > 1
    ]  # sub-branch ~ branch
    out = {_stem(w) for w in words if w not in _STOP}
    for run in _CJK_RUN.findall(text):
        out.update(run)  # characters too (转了钱 ~ 已转账); the idf weights keep common ones light
        out.update(run[i : i + 2] for i in range(len(run) - 1))
    return frozenset(out - _QUESTION_BIGRAMS)


@dataclass(frozen=True, slots=True)
class Asked:
    """What a question asks: attributes, qualifiers (dimension -> values) and content terms."""

    attributes: frozenset[str]
    qualifiers: dict[str, frozenset[str]]
    terms: frozenset[str]
    product_lines: frozenset[str]
    text: str = ""  # the question, normalised (NFKC, lower case, spaces collapsed)
    yes_no: bool = False  # "分期有利息吗", "can I use my quota to buy a flat abroad": the answer is yes or no


# A yes/no question: Chinese ending in 吗 / A-not-A (能不能, 有没有, 能…不), English opening with an auxiliary.
_YES_NO_ZH = re.compile(
    r"[吗嘛么][\s?？!！。.~]*$|(.)[不没]\1|[能可会要有行][^，,。？?]{0,12}不[\s?？!！。.~]*$"
)
_YES_NO_EN = re.compile(
    r"^(?:(?:hi|hello|hey|so|and|but|ok|okay|um|pls|please)[\s,]+)*"
    r"(?:can|could|may|is|are|am|do|does|did|will|would|should|has|have|must|isn't|aren't|don't|doesn't|won't|can't)\b"
)
# What a yes/no answer turns on: a negation, a permission, "free", "only", "in person".
_POLARITY = re.compile(
    r"不[能可得会收计需再予用要]|无(?!障碍)|免|没有|禁止|须本人|本人亲自|仅限?|只能|"
    r"\b(?:not|no|cannot|can't|never|free|only|must|in person|won't|isn't|aren't|don't)\b",
    re.IGNORECASE,
)


def read_question(question: str) -> Asked:
    text = " ".join(unicodedata.normalize("NFKC", question).lower().split())
    return Asked(
        attributes=attributes_asked(question),
        qualifiers=qualifiers(question),
        terms=_terms(question),
        product_lines=signature(question)[2] & _PRODUCT_LINES,
        text=text,
        yes_no=bool(_YES_NO_ZH.search(text) or _YES_NO_EN.match(text)),
    )


@dataclass(slots=True)
class _Unit:
    passage: int  # 0-based index into the passages
    order: int  # position in the passage
    kind: str  # sentence | item | row
    clauses: tuple[str, ...]  # a sentence's clauses (one when it enumerates nothing); a row: its text
    block: int  # consecutive list items share it (-1: not an item)
    context: str  # title, heading, FAQ question / table header
    cells: tuple[tuple[str, str], ...] = ()  # table rows: (header, value)
    score: float = 0.0
    conflict: bool = False  # names another variant of an asked dimension, never the asked one
    figs: tuple[Figure, ...] = ()
    terms: frozenset[str] = frozenset()
    line: int = -1  # the passage line it is on (a list item's sentences share one)

    @property
    def text(self) -> str:
        return "".join(self.clauses)


@dataclass(frozen=True, slots=True)
class Evidence:
    """The clauses quoted from one passage."""

    number: int  # the passage's [n]
    ref: str
    text: str  # the quoted clauses, without the mark
    figures: tuple[Figure, ...] = ()


@dataclass(frozen=True, slots=True)
class Composition:
    """A composed answer: ``text`` (the evidence, each piece followed by its ``[n]``), or the no-answer
    phrase (``no_answer``) when no passage was given or the question is about a product line none of them
    mentions."""

    text: str
    evidence: tuple[Evidence, ...] = ()
    attributes: frozenset[str] = frozenset()
    lang: Lang = "zh"
    no_answer: bool = False
    question: str = ""

    @property
    def numbers(self) -> tuple[int, ...]:
        return tuple(e.number for e in self.evidence)

    @property
    def refs(self) -> tuple[str, ...]:
        return tuple(e.ref for e in self.evidence)


@runtime_checkable
class Composer(Protocol):
    """Composes an answer from passages, deterministically, without a model, in milliseconds.

    ``passages`` are numbered ``[1]..[n]`` in the order given; ``ranks[i]`` is passage i's retrieval rank
    (0 best; default: its position). ``urgent``: the customer needs to act now (a lost card, fraud): what
    to do and whom to call is asked besides whatever the question asks. Never raises on odd input (empty
    question, no passages, emoji): the result is then the no-answer phrase or the best passage's first
    clauses."""

    def compose(
        self,
        question: str,
        passages: Sequence[Passage],
        *,
        lang: Lang | None = None,
        ranks: Sequence[int] | None = None,
        urgent: bool = False,
    ) -> Composition: ...


def _clean(text: str) -> str:
    return " ".join(_MD.sub("", text).split())


def _split_cells(line: str) -> list[str]:
    return [_clean(c) for c in line.strip().strip("|").split("|")]


def _pairs(line: str) -> tuple[tuple[str, str], ...] | None:
    """A loader's table row ``header: value; header: value`` as pairs, or None."""
    parts = line.split("; ")
    found = [_PAIR.match(p) for p in parts]
    if len(parts) < 2 or sum(m is not None for m in found) < 2:
        return None
    return tuple(
        (m.group(1).strip(), m.group(2).strip()) if m else ("", _clean(p))
        for p, m in zip(parts, found, strict=True)
    )


def _pipe_header(line: str) -> bool:
    """A loader's table header row (``期数 | 每期手续费率 | 总手续费率``)."""
    return " | " in line and ": " not in line and not line.startswith("|")


def _structural(line: str) -> bool:
    return bool(
        _HEADING.match(line)
        or _CAPS_HEADING.match(line)
        or line.startswith("|")
        or _LIST.match(line)
        or _pipe_header(line)
    )


def _join_wrapped(raw: list[str]) -> list[str]:
    """Hard-wrapped lines (a paragraph or list item cut mid-sentence) joined back into one line each; a
    line that ends a sentence or a clause (。：; .) is never continued."""
    out: list[str] = []
    for line in raw:
        stripped = line.strip()
        prev = out[-1].strip() if out else ""
        if (
            stripped
            and prev
            and not _structural(stripped)
            and not _structural(prev)
            and _pairs(prev) is None
            and _pairs(stripped) is None
            and not prev.endswith(_ENDS)
        ):
            glue = "" if _CJK_RUN.match(stripped[:1]) and _CJK_RUN.match(prev[-1:]) else " "
            out[-1] = out[-1].rstrip() + glue + stripped
        else:
            out.append(line.rstrip())
    return out


def _units(index: int, passage: Passage) -> list[_Unit]:
    """A passage cut into quotable units (sentences, list items, table rows), each with its context.

    List items: Markdown's (``- ``, ``1. ``), or the lines after a line that ends with a colon (a loader
    keeps list items as lines without their markers), up to a blank line or a labelled line (``电话办理：``)."""
    units: list[_Unit] = []
    title = _clean(passage.title)
    heading = ""
    header: list[str] = []
    lines = _join_wrapped(passage.text.splitlines())
    block_no = 0
    in_list = False
    after_lead = False  # the lines after a "…：" line are the items of a list
    asked_in_text = ""  # the last question the text itself asks (an FAQ's, a help page's): context
    # an FAQ chunk's first line is its question (the app shows it as the label, the title left empty)
    faq = (not title or title.upper() == "FAQ") and len([x for x in lines if x.strip()]) >= 2
    for i, raw in enumerate(lines):
        line = raw.strip()
        if not line:
            in_list = after_lead = False
            continue
        if faq and not units and not asked_in_text and not line.endswith((":", "：")):
            asked_in_text = _clean(line)
            continue
        if _HEADING.match(line) or _CAPS_HEADING.match(line):
            heading = _clean(_HEADING.sub("", line))
            header, in_list, after_lead, asked_in_text = [], False, False, ""
            continue
        if line.startswith("|") or _pipe_header(line):
            if _TABLE_SEP.match(line):
                continue
            cells = _split_cells(line)
            nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
            if _TABLE_SEP.match(nxt) or _pipe_header(line):
                header = cells
                continue
            pairs = tuple(zip(header or [""] * len(cells), cells, strict=False))
            units.append(_row(index, len(units), pairs, f"{title} {heading} {' '.join(header)}"))
            continue
        row = _pairs(line)
        if row is not None:
            units.append(_row(index, len(units), row, f"{title} {heading} {' '.join(header)}"))
            continue
        marker = _LIST.match(line)
        labelled = bool(_LABEL.match(line))
        item = bool(marker) or (after_lead and not labelled)
        if item and not in_list:
            block_no += 1
        in_list = item
        after_lead = line.endswith((":", "：")) or (after_lead and item)
        for sentence in _SENTENCE.split(_clean(line)):
            sentence = sentence.strip()
            if not sentence:
                continue
            if sentence.endswith(("?", "？")):
                asked_in_text = sentence
                continue
            units.append(
                _Unit(
                    passage=index,
                    order=len(units),
                    kind="item" if item else "sentence",
                    clauses=tuple(_clauses(sentence)),
                    block=block_no if item else -1,
                    context=f"{title} {heading} {asked_in_text}",
                    line=i,
                )
            )
    return units


def _row(index: int, order: int, pairs: tuple[tuple[str, str], ...], context: str) -> _Unit:
    text = "; ".join(f"{h}: {v}" if h and v else v for h, v in pairs if v)
    return _Unit(index, order, "row", (text,), -1, context, cells=pairs)


def _clauses(sentence: str) -> list[str]:
    """A sentence's clauses when it enumerates two or more figures (``经典卡2.5%，金卡2%，白金卡1%``,
    ``单笔5000元；日累计2万元``): parts without a digit join the part before them (or after, at the start).
    Joined back, the clauses are the sentence."""
    parts = [p for p in _CLAUSE.split(sentence) if p]
    if sum(bool(_DIGIT.search(p)) for p in parts) < 2:
        return [sentence]
    out: list[str] = []
    pending = ""
    for part in parts:
        if not _DIGIT.search(part) and not qualifiers(part):  # 金卡免费 names a variant: its own clause
            if out:
                out[-1] += part
            else:
                pending += part
            continue
        out.append(pending + part)
        pending = ""
    if pending:
        out[-1] += pending
    return out


class ClauseComposer:
    """The default ``Composer`` (see the module docstring)."""

    def __init__(self, config: ComposerConfig | None = None) -> None:
        self.config = config or ComposerConfig()

    def compose(
        self,
        question: str,
        passages: Sequence[Passage],
        *,
        lang: Lang | None = None,
        ranks: Sequence[int] | None = None,
        urgent: bool = False,
    ) -> Composition:
        lang = lang or detect_language(question)
        asked = read_question(question)
        if urgent and not asked.attributes:  # "my card was stolen!! what now": what to do, whom to call
            asked = replace(asked, attributes=asked.attributes | {"how", "contact"})
        usable = [(i, p) for i, p in enumerate(passages) if p.text.strip()]
        if not usable or _missing_product_line(asked, passages):
            return Composition(no_answer_text(lang), lang=lang, no_answer=True, question=question)
        rank_of = list(ranks) if ranks is not None else list(range(len(passages)))
        units = [u for i, p in usable for u in _units(i, p)]
        if not units or _asked_variant_missing(asked, units):
            return Composition(no_answer_text(lang), lang=lang, no_answer=True, question=question)
        weights = _weights(asked.terms, units)
        for u in units:
            _score(u, asked, weights, rank_of[u.passage] if u.passage < len(rank_of) else u.passage)
        chosen = self._select(units, asked, lang, weights)
        if _about_something_else(asked, chosen, [passages[i] for i in {u.passage for u in chosen}]):
            return Composition(no_answer_text(lang), lang=lang, no_answer=True, question=question)
        evidence: list[Evidence] = []
        for i in dict.fromkeys(u.passage for u in chosen):
            mine = [u for u in chosen if u.passage == i]
            quoted = [_quote(u, asked, weights) for u in sorted(mine, key=lambda u: u.order)]
            text = _render(quoted, mine, lang, steps="how" in asked.attributes)
            figs = tuple(f for q in quoted for f in figures(q))
            evidence.append(Evidence(number=i + 1, ref=passages[i].ref, text=text, figures=figs))
        text = "\n".join(f"{e.text} [{e.number}]" for e in evidence)
        return Composition(text, tuple(evidence), asked.attributes, lang, question=question)

    def _select(self, units: list[_Unit], asked: Asked, lang: Lang, weights: dict[str, float]) -> list[_Unit]:
        cfg = self.config
        ranked = sorted(units, key=lambda u: (-u.score, u.passage, u.order))
        best = next((u for u in ranked if not u.conflict), ranked[0])
        cap = cfg.max_chars_zh if lang == "zh" else cfg.max_chars_en
        same = [u for u in units if u.passage == best.passage]
        if "how" in asked.attributes and best.kind == "item":
            steps = [u for u in same if u.block == best.block and not u.conflict][: cfg.max_steps]
            lead = [u for u in same if u.order == steps[0].order - 1 and u.text.endswith((":", "："))]
            return _fit([*lead, *steps], cap, keep=best)
        floor = best.score - cfg.margin
        # more units only while each adds a question word or a stated attribute the chosen ones lack
        picked = [best]
        covered = set(best.terms & asked.terms)
        stated = {a for a in asked.attributes if _states(best, a) == 1.0}
        for u in sorted(same, key=lambda u: (-u.score, u.order)):
            if len(picked) >= cfg.max_units or u.score < floor:
                break
            if u is best or u.conflict or _unasked_variant(u, best, asked):
                continue
            # a row adds only what its key cell says (the other rows of a table repeat the headers)
            own = _terms(u.cells[0][1]) if u.cells else u.terms
            new_terms = (own & asked.terms) - covered
            new_attrs = {a for a in asked.attributes if _states(u, a) == 1.0} - stated
            if sum(weights.get(t, 0.0) for t in new_terms) < 0.5 and not new_attrs:
                continue
            picked.append(u)
            covered |= new_terms
            stated |= new_attrs
        if not asked.attributes - {"how"}:
            # "ATM吞卡了" asks for no figure: the rest of the advice on the best one's line goes with it
            # ("…请拨打ATM上的服务电话。" + "本行ATM吞的卡可于下一个工作日到该网点领取。")
            picked += [
                u for u in same
                if u.line == best.line and u.order > best.order and not u.conflict and u not in picked
            ][:2]  # fmt: skip
        chosen = _fit(picked, cap, keep=best)
        # a second passage only for an attribute the first does not state (a two-part question)
        covered = {a for a in asked.attributes for u in chosen if _states(u, a) > 0}
        missing = {a for a in asked.attributes if a not in covered}
        if missing and cfg.max_passages > 1:
            others = [
                u for u in ranked
                if u.passage != best.passage and not u.conflict and any(_states(u, a) > 0 for a in missing)
                and u.score >= best.score - 2 * cfg.margin
            ]  # fmt: skip
            # the other half of a two-part question ("the minimum payment and when is it due"): a clause of
            # the same passage that states it with a figure and names what was asked is quoted however the
            # first half outscored it
            half = [
                u for u in ranked
                if u.passage == best.passage and u not in chosen and not u.conflict and u.score > 0
                and any(_states(u, a) == 1.0 for a in missing)
                and sum(weights.get(t, 0.0) for t in u.terms & asked.terms) >= 0.5
            ]  # fmt: skip
            if len(asked.attributes) > 1 and half:
                others = half
            used = sum(len(u.text) for u in chosen)
            if others and used + len(others[0].text) <= cap:
                chosen.append(others[0])
        # two variants asked together (一年期定存和大额存单, "Gold and Platinum"): a unit for the one not yet quoted
        for dim, values in asked.qualifiers.items():
            if dim not in _PRODUCT_DIMS or len(values) < 2:
                continue
            for value in sorted(values - {v for u in chosen for v in _named(u).get(dim, frozenset())}):
                extra = [
                    u for u in ranked
                    if u not in chosen and value in _named(u).get(dim, frozenset())
                    and (not asked.attributes or any(_states(u, a) > 0 for a in asked.attributes))
                    and u.score >= best.score - 2 * cfg.margin
                ]  # fmt: skip
                used = sum(len(u.text) for u in chosen)
                if extra and used + len(extra[0].text) <= cap:
                    chosen.append(extra[0])
        return sorted(chosen, key=lambda u: (u.passage != best.passage, u.passage, u.order))


def _named(u: _Unit) -> dict[str, frozenset[str]]:
    """The variants a unit names, in its text or (when the text names none of a dimension) its context."""
    own = _row_qualifiers(u) if u.cells else qualifiers(u.text)
    return {**qualifiers(u.context), **own}


def _unasked_variant(u: _Unit, best: _Unit, asked: Asked) -> bool:
    """A unit that names a variant on a dimension neither the question nor the best unit names (a Type II
    account's limit beside the 海港盾 row asked about): another product's figure, not more of the answer."""
    quals = _row_qualifiers(u) if u.cells else qualifiers(u.text)
    best_quals = _row_qualifiers(best) if best.cells else qualifiers(best.text)
    return any(d not in asked.qualifiers and d not in best_quals for d in quals if d in _OTHER_PRODUCT)


def _fit(units: list[_Unit], cap: int, *, keep: _Unit) -> list[_Unit]:
    """Units in passage order within ``cap`` characters: ``keep`` first claims room, then the others by
    score; ``keep`` alone and too long is clipped at a clause end."""
    by_score = sorted(units, key=lambda u: (u is not keep, -u.score, u.order))
    kept: list[_Unit] = []
    used = 0
    for u in by_score:
        if kept and used + len(u.text) > cap:
            continue
        kept.append(u)
        used += len(u.text)
    if len(kept) == 1 and len(kept[0].text) > cap and len(kept[0].clauses) == 1 and not kept[0].cells:
        kept[0].clauses = (_clip(kept[0].text, cap),)
    return sorted(kept, key=lambda u: (u.passage, u.order))


def _clip(text: str, cap: int) -> str:
    head = text[:cap]
    ends = [m.end() for m in re.finditer(r"[。！？；;!?]|[.](?=\s)|，|, ", head)]
    cut = ends[-1] if ends and ends[-1] >= cap // 2 else cap
    return head[:cut].rstrip(_TRIM) + "…"


_VARIANT_DIMS = ("term", "currency")  # a product's variants a passage either offers or does not
_ONE_YEAR = frozenset({"1y", "12m"})  # "一年" / "a year" is as often "per year" as a term: not checked


def _asked_variant_missing(asked: Asked, units: list[_Unit]) -> bool:
    """A near miss: the question names a term or currency (a 10-year deposit, a GBP rate) that no unit of
    the passages names, while they name others of that dimension (1 to 5 years; RMB, USD): the passages
    are about the product but not the asked variant, and any figure quoted would be another variant's."""
    asked_dims = {
        d: v for d in _VARIANT_DIMS if (v := asked.qualifiers.get(d)) and not (d == "term" and v <= _ONE_YEAR)
    }
    if not asked_dims:
        return False
    named = [_named(u) for u in units]
    for dim, values in asked_dims.items():
        if not any(n.get(dim, frozenset()) & values for n in named) and any(n.get(dim) for n in named):
            return True
    if len(asked_dims) < 2:
        return False
    # both asked (a 3-year HKD deposit): some unit must name them together, when units name each
    together = any(all(n.get(d, frozenset()) & v for d, v in asked_dims.items()) for n in named)
    return not together and all(any(len(n.get(d, ())) for n in named) for d in asked_dims)


_GENERIC = frozenset(
    {"银行", "你们", "我们", "你好", "请问", "bank", "banks", "you", "your", "our", "hi", "hello"}
)
_GENERIC_CHARS = frozenset("银行你我们的了吗呢吧啊是有在个多少么什怎")


def _about_something_else(asked: Asked, chosen: Sequence[_Unit], passages: Sequence[Passage]) -> bool:
    """The clauses were picked for the attribute alone ("你们银行有多少员工" -> a clause with a limit in
    it) and would answer another question: not one word of the question (a Latin word, a Chinese
    character pair; not a word every bank's question has) is in the passages quoted, and the quoted
    clauses and their headings share not even a character with it (今年还能买多少外汇 ~ 每年购汇 does)."""
    text = " ".join(p.title + " " + p.text for p in passages)
    cjk = bool(_CJK_RUN.search(text))  # a Chinese question over English passages shares no words by design
    content = {t for t in asked.terms if len(t) > 1 and t not in _GENERIC and bool(_CJK_RUN.match(t)) <= cjk}
    if not content:
        return False
    said = _terms(text)
    if content & said:
        return False
    near = frozenset().union(*(_terms(u.text) | _terms(u.context) for u in chosen))
    return not (asked.terms - _GENERIC - _GENERIC_CHARS) & near


def _missing_product_line(asked: Asked, passages: Sequence[Passage]) -> bool:
    named = set(asked.product_lines)
    for p in passages:
        named -= signature(p.title + " " + p.text)[2]
    return bool(named)


def _weights(q: frozenset[str], units: list[_Unit]) -> dict[str, float]:
    """Idf of the question's terms over the candidate units: a word every unit shares tells them apart less."""
    for u in units:
        u.terms = _terms(u.text)
    n = len(units)
    return {t: math.log(1.0 + n / (1 + sum(t in u.terms for u in units))) for t in q}


def _states(u: _Unit, attribute: str) -> float:
    """1: the unit states the attribute with a figure of its kind; 0.5: with a cue word only; 0: no."""
    kinds = frozenset(f.kind for f in u.figs)
    need = FIGURE_KINDS.get(attribute)
    if need is not None and kinds & need:
        return 1.0
    if attribute == "contact" and _PHONE.search(u.text):
        return 1.0
    if attribute == "where" and _ADDRESS.search(u.text):
        return 1.0  # "where's the Newport branch": its address, not a clause that only names it
    if not answers_attribute(u.text, attribute, frozenset()):
        return 0.0
    # a number to call is a number: "通过电话办理的是临时挂失" names the phone and gives none
    return 0.2 if attribute == "contact" else 0.5


# A telephone number: 5+ digits (hyphens allowed, a leading +country code), or 110; not an amount, a
# date, a rate or a reference with letters (TS20261128001).
_PHONE = re.compile(
    r"(?<![A-Za-z0-9_.,¥$])(?<!RMB )(?<!USD )(?:\+\d{1,3}-)?\d(?:-?\d){4,}(?![A-Za-z0-9_.,%元万年月日])|(?<!\d)110(?!\d)"
)


# A street address: "200 Gangcheng Middle Road", "1 Harbor Avenue", 港城中路200号, 海港大道1号.
_ADDRESS = re.compile(
    r"\b\d+[a-z]?,? (?:[A-Z][a-z]+ ){1,4}(?:Road|Street|Avenue|Lane|Boulevard|Rd|St|Ave)\b|[路街道巷]\d+号"
)


def _overlap(weights: dict[str, float], terms: frozenset[str]) -> float:
    total = sum(weights.values())
    return sum(w for t, w in weights.items() if t in terms) / total if total else 0.0


def _score(u: _Unit, asked: Asked, weights: dict[str, float], rank: int) -> None:
    u.figs = tuple(figures(u.text))
    own = _overlap(weights, u.terms)
    ctx_terms = _terms(u.context)
    ctx = _overlap(weights, ctx_terms)
    score = 1.0 * own + 0.5 * ctx + 0.3 / (1 + rank)
    # an FAQ question about something the customer did not name (手机丢了… for 卡丢了怎么办) fits less
    named = {t for t in ctx_terms if len(t) > 1}
    if named:
        score += 0.3 * len(named & asked.terms) / len(named)
        # the passage's own question is the customer's, in other words ("Where can I exchange foreign
        # currency cash?"): its answer is what was asked, more than a clause that shares the words
        if (
            u.context.rstrip().endswith(("?", "？"))
            and ctx >= 0.75
            and len(named & asked.terms) >= 0.75 * len(named)
        ):
            score += 0.4
    polar = asked.yes_no and own >= 0.2 and bool(_POLARITY.search(u.text))
    if polar:  # "分期不收利息" for 分期有利息吗: the clause that says yes or no
        score += 0.5
    if asked.attributes:
        states = sum(_states(u, a) for a in asked.attributes)
        # a yes/no question names its attribute ("有利息吗") more than it asks for the figure
        weight = 0.4 if asked.yes_no else 0.8
        score += weight * states / len(asked.attributes) if states else (0.0 if polar else -0.3)
        if not asked.attributes & {"fee", "amount"} and _FEE_CLAUSE.search(u.text):
            score -= 0.3  # a fee's minimum is not the limit asked for ("取现手续费…最低10元")
    quals = _row_qualifiers(u) if u.cells else qualifiers(u.text)
    context_quals = qualifiers(u.context)
    matched = 0.0
    conflicted = 0
    for dim, values in asked.qualifiers.items():
        has = _comparable(dim, quals.get(dim), values)
        if has and has & values:
            matched += 1 if has <= values else 0.5  # 实时、2小时后或次日到账 names the slow ones too
        elif has:
            conflicted += 1
        elif context_quals.get(dim):  # the heading or FAQ question names the variant
            matched += 1.0 if context_quals[dim] & values else 0.0
            conflicted += not (context_quals[dim] & values)
    u.conflict = conflicted > 0 and matched == 0
    score += 0.5 * matched - (1.5 if u.conflict else 0.5) * conflicted
    # a variant the question did not name (abroad, over 50,000) is a little less likely what was meant
    score -= 0.1 * sum(1 for dim in quals if dim not in asked.qualifiers and dim in ("dest", "side", "speed"))
    if u.kind == "item" and "how" in asked.attributes:
        score += 0.3
    if asked.text and _defines(u.text, asked.text):
        score += 0.6
    u.score = score


_FEE_CLAUSE = re.compile(r"手续费|服务费|年费|工本费|\bfees?\b|\bcharges?\b", re.IGNORECASE)
_DEFINES = re.compile(r"^(?:the |a |an |your )?([^，,。.；;：:]{2,40}?)(?:\s*[：:]|为|是| is | are )", re.I)


def _defines(text: str, question: str) -> bool:
    """The unit says what the question's subject is (最低还款额为账单金额的10%, "The minimum payment is 10%"):
    it opens with a phrase of the question (3+ characters, or two words) followed by 为/是/：/is."""
    found = _DEFINES.match(text.strip())
    if not found:
        return False
    subject = found.group(1).strip().lower()
    if _CJK_RUN.fullmatch(subject):
        return len(subject) >= 3 and subject in question
    return len(subject.split()) >= 2 and f" {subject} " in f" {question} "


def _cell_text(header: str, value: str) -> str:
    return f"{value} {header}" if re.fullmatch(r"[\d\s.]+", value) else f"{header} {value}"


def _row_qualifiers(u: _Unit) -> dict[str, frozenset[str]]:
    out: dict[str, set[str]] = {}
    for h, v in u.cells:
        for dim, values in qualifiers(_cell_text(h, v)).items():
            out.setdefault(dim, set()).update(values)
    return {k: frozenset(v) for k, v in out.items()}


def _verdict(text: str, asked: Asked) -> tuple[bool, bool]:
    """(names an asked variant, names another variant of an asked dimension and not the asked one)."""
    quals = qualifiers(text)
    named = {d: _comparable(d, quals.get(d), vals) for d, vals in asked.qualifiers.items()}
    clash = any(has and not (has & vals) for d, vals in asked.qualifiers.items() if (has := named[d]))
    match = not clash and any(has & vals for d, vals in asked.qualifiers.items() if (has := named[d]))
    return match, clash


def _comparable(dim: str, has: frozenset[str] | None, asked: frozenset[str]) -> frozenset[str] | None:
    """The values of ``has`` that can be told from the asked ones: a branch's name only in the question's
    script (机场支行 is not a clash with the Airport Sub-branch, just a name in another language)."""
    if dim != "branch" or not has:
        return has
    latin = any(v.isascii() for v in asked)
    return frozenset(v for v in has if v.isascii() == latin) or None


def _quote(u: _Unit, asked: Asked, weights: dict[str, float]) -> str:
    """What is quoted of a unit. A row: its key cell and the cells of the asked variant, and of those the
    ones of the asked basis (每期手续费率 for a monthly fee, not 总手续费率). A sentence: its clauses but those
    naming another variant, or stating a figure when a sibling clause, not they, has the question's
    words (the airport's hours, not the other branches'); a clause qualifying the enumeration (最低10元,
    at least RMB 10) stays, and so does the lead of a dropped one (``取现手续费：``, ``人脸识别＋短信验证码：``)."""
    if u.cells:
        key, rest = u.cells[0], list(u.cells[1:])
        verdicts = [(h, v, *_verdict(_cell_text(h, v), asked)) for h, v in rest]
        if any(m for _, _, m, _ in verdicts):
            # parallel columns (海港金卡 | 海港白金卡, Demand | 1-year time deposit): beside the one naming the
            # asked variant, a figure under another variant's header is that variant's
            cells = [
                (h, v) for h, v, m, c in verdicts if m or (not c and not (_DIGIT.search(v) and qualifiers(h)))
            ]
        else:
            cells = [(h, v) for h, v, _, c in verdicts if not c] or rest
        return "; ".join(f"{h}: {v}" if h and v else v for h, v in [key, *cells] if v)
    if len(u.clauses) == 1:
        return u.text
    if capped := _cap_only(u, asked):
        return capped
    # clauses under one subject (a lead ``海港盾：`` starts the next) are judged on the subject's words
    leads = any(_LEAD.match(c) for c in u.clauses[1:])
    group: list[int] = []
    for clause in u.clauses:
        group.append((group[-1] + (1 if leads and _LEAD.match(clause) else 0)) if group else 0)
    texts = [
        "".join(c for c, g in zip(u.clauses, group, strict=True) if g == k) for k in range(group[-1] + 1)
    ]
    scores = [_overlap(weights, _terms(t)) for t in texts]
    relevance = [scores[g] for g in group]
    top = max(relevance)
    kept: list[str] = []
    status = ""  # the variant the clauses now speak of: "asked", "other" or "" (none named yet)
    dropped = False  # the clause before was left out
    for i, clause in enumerate(u.clauses):
        match, clash = _verdict(clause, asked) if asked.qualifiers else (False, False)
        if match or clash:
            status = "asked" if match else "other"
        elif _MODIFIER.match(clause.lstrip(_TRIM)) and (status == "asked" or kept):
            kept.append(clause)  # 最低10元 / at least RMB 10 after the enumeration: it applies to all
            continue
        if top > 0 and relevance[i] < _OFF_TOPIC * top and bool(figures(clause)):
            dropped = True
            continue  # another subject's figure (短信验证码：… when 海港盾 was asked)
        if status == "other":
            dropped = True
            if lead := _LEAD.match(clause):  # 人脸识别＋短信验证码：单笔5万元 -> its subject stays
                kept.append(lead.group(0))
            elif i == 0 and (subject := _subject(clause)):  # "The cash advance fee is" 2.5% for Classic
                kept.append(subject)
            continue
        if dropped and _CONJUNCTION.match(clause):
            clause = _CONJUNCTION.sub("", clause)  # "2% for Gold" after a dropped clause: no leading "and"
        dropped = False
        kept.append(clause)
    while kept and _LEAD.fullmatch(kept[-1]):  # a subject whose clauses all went
        kept.pop()
    return _glue(kept) if kept else u.text


def _glue(pieces: list[str]) -> str:
    """Clauses joined back; where a left-out clause leaves two words touching ("fee is" + "2% for Gold",
    "Gold cards" + "minimum RMB 10"), a space or a comma between them."""
    out = ""
    for piece in pieces:
        if out and out[-1:].isascii() and out[-1:].isalnum() and piece[:1].isascii() and piece[:1].isalnum():
            out += " " if _DIGIT.match(piece) or not _MODIFIER.match(piece) else ", "
        out += piece
    return out


_ASKS_CAP = re.compile(r"最多|最高|封顶|\bmax(?:imum)?\b|\bat most\b|\bcapped\b", re.I)
_CAP = re.compile(r"^(?:最高|最多|封顶|max(?:imum)?\b|at most\b|capped at\b)", re.I)


def _cap_only(u: _Unit, asked: Asked) -> str:
    """For "the most a fee can be" (柜台跨行转账最多收多少手续费), of a fee schedule that ends with its cap
    (…10万元以上按0.02%收取，最高50元): the schedule's lead and the cap, not its bands. Empty otherwise."""
    if "fee" not in asked.attributes or not _ASKS_CAP.search(asked.text):
        return ""
    caps = [c for c in u.clauses[1:] if _CAP.match(c.lstrip(_TRIM)) and figures(c)]
    if len(caps) != 1:
        return ""
    lead = _LEAD.match(u.clauses[0])
    return (lead.group(0) if lead else "") + caps[0].lstrip(_TRIM)


def _subject(clause: str) -> str:
    """The words before an enumeration's first figure when they name no variant ("The fee is ")."""
    found = _FIRST_FIGURE.search(clause)
    head = clause[: found.start()] if found else ""
    return head if len(head.strip()) >= 4 and not qualifiers(head) else ""


def _render(quoted: list[str], units: list[_Unit], lang: Lang, *, steps: bool) -> str:
    if steps and len(units) > 1 and all(u.kind == "item" for u in units if not u.text.endswith((":", "："))):
        return "\n".join(q.rstrip() for q in quoted)
    end = "。" if lang == "zh" else "."
    pieces = []
    for q in quoted:
        q = q.strip()
        if q.startswith(("- ", "* ")):
            q = q[2:]
        pieces.append(q if q.endswith(("。", "！", ".", "!", "…", "）", ")")) else q.rstrip(_TRIM) + end)
    return ("" if lang == "zh" else " ").join(pieces)


@dataclass(frozen=True, slots=True)
class Contradiction:
    figure: str  # as written in the answer
    attribute: str
    evidence: tuple[str, ...] = field(default_factory=tuple)  # the evidence's figures of that kind


def contradicting_figures(
    answer: str, composition: Composition, *, question: str = ""
) -> list[Contradiction]:
    """Figures of ``answer`` that state an asked attribute (a limit, fee, rate or time) with a value the
    composition's evidence does not give for it (nor the question). Empty when nothing checkable was asked
    or the evidence states no figure of that kind (then there is nothing to contradict)."""
    out: list[Contradiction] = []
    stated = [f for e in composition.evidence for f in e.figures]
    asked_values = {f.key for f in figures(question or composition.question)}
    seen: set[str] = set()
    for attribute in sorted(composition.attributes):
        kinds = FIGURE_KINDS.get(attribute)
        if not kinds:
            continue
        known = {f.key for f in stated if f.kind in kinds}
        if not known:
            continue
        for f in figures(_PLACEHOLDER.sub(" ", answer)):
            if f.kind in kinds and f.key not in known and f.key not in asked_values and f.text not in seen:
                seen.add(f.text)
                out.append(
                    Contradiction(f.text, attribute, tuple(sorted(x.text for x in stated if x.kind in kinds)))
                )
    return out
