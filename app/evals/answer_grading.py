"""Grading one reply of the answer evaluation: pure functions, no I/O.

- ``normalise``: width (NFKC), case, spaces, dashes and number formats folded, so ``1.20%`` = ``1.2%``,
  ``5万`` = ``50,000`` = ``50000``, ``三个工作日`` = ``3个工作日``.
- ``figures``: the figures a text states, each with a kind (``rate``, ``money``, ``duration``, ``clock``,
  ``phone``), a unit (currency, time unit) and a canonical value.
- ``fact_present``: one gold fact (a list of acceptable spellings) is in the reply, as text (number
  boundaries respected: ``0.6%`` is not inside ``0.66%``) or as the same figure (``5万元`` = ``RMB 50,000``).
- ``grade_answer``: every gold fact present, and no *contradicting figure*: a figure of a kind the case
  asks about (its ``kinds``, or the kinds of its gold figures) that is neither a gold figure nor one the
  case allows. The check is strict on purpose: a reply that states the 6-instalment rate to a question
  about 3 instalments contradicts it, even when the 3-instalment rate is there too (that is a dumped
  table, not an answer); figures a good answer may add (the urgent path beside the normal one) go in the
  case's ``allow``.
- ``grade_refusal``: an unanswerable case is refused when the turn decided ``dont_know`` / ``handoff``
  (or small talk), or the text says it cannot answer; never when it contains a forbidden string.
- ``grade_clear``: a bad-input case gets a clear reply: a 4xx with a stable ``error_code``, or a
  complete reply (a ``final`` event, non-empty text, a known decision); never a 5xx or a broken stream.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Literal

from llm_backend.figures import cn_number

Kind = Literal["rate", "money", "duration", "clock", "phone"]
KINDS: tuple[Kind, ...] = ("rate", "money", "duration", "clock", "phone")

# Decisions of the chat turn (app.chat.types.TurnOutcome.decision).
DECISIONS = frozenset({"answer", "clarify", "handoff", "dont_know", "with_agent"})
REFUSAL_DECISIONS = frozenset({"dont_know", "handoff"})
REFUSAL_REASONS = frozenset({"smalltalk"})  # a canned small-talk reply answers nothing from the KB

# Phrases of a reply that declines to answer (the model's own "not in our documents" included).
_REFUSAL_TEXT = re.compile(
    r"(没有(找到)?(相关|这方面)的?(信息|资料|内容|说明)|无法(回答|提供|解答|确定)|不(在|属于)[^。]{0,12}(范围|服务)|"
    r"暂不(提供|支持|办理)|只能(回答|解答)|不清楚|未提及|没有提到|资料中没有|没有找到|"
    r"i (do not|don't) (have|know)|(could not|couldn't|can't|cannot) find|not (in|covered by) (our|the) (documents|information|knowledge)|"
    r"i can only (answer|help)|i(?: am|'m) (not able|unable) to|cannot (answer|help)|can't (answer|help)|"
    r"no information|not something i can|outside (of )?(what|my))",
)

# Figures a reply may always state without contradicting anything: the demo bank's own contact numbers
# and the service hours every page repeats ("24 hours", "24小时").

_CN_NUMERAL = re.compile(r"([零〇一二两三四五六七八九十百]+)(?=个|天|小时|分钟|周|星期|年|期|次|笔|日|万|千)")
_DASHES = re.compile(r"[\u2010-\u2015\u2212\u301c~]")
_RANGE = re.compile(r"(\d)(?:至|到|to|-)(?=\d)")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_TRAILING_ZEROS = re.compile(r"(\d+)\.(\d*?)0+(?!\d)")
_WAN = re.compile(r"(\d+(?:\.\d+)?)(万|千)")
_NUM = r"\d+(?:\.\d+)?"


def _number_text(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _scale(match: re.Match[str]) -> str:
    factor = Decimal(10000) if match.group(2) == "万" else Decimal(1000)
    return _number_text(Decimal(match.group(1)) * factor)


def _cn_numeral(match: re.Match[str]) -> str:
    n = cn_number(match.group(1))
    return match.group(1) if n is None else str(n)


def normalise(text: str) -> str:
    """The form both the reply and the gold spellings are compared in."""
    text = text.replace("，", "、")  # keep the Chinese comma from becoming a thousands separator
    text = unicodedata.normalize("NFKC", text).lower()
    text = _DASHES.sub("-", text)
    text = re.sub(r"[*`\u200b\u200c\u200d\ufeff“”‘’\"']", "", text)
    text = re.sub(r"\s+", "", text)
    text = _CN_NUMERAL.sub(_cn_numeral, text)
    text = _THOUSANDS.sub("", text)
    text = _TRAILING_ZEROS.sub(lambda m: m.group(1) + ("." + m.group(2) if m.group(2) else ""), text)
    text = _WAN.sub(_scale, text)
    return _RANGE.sub(r"\1-", text)


@dataclass(frozen=True, slots=True)
class Figure:
    kind: Kind
    unit: str  # currency for money ("rmb", "usd" ...), time unit for durations, "" otherwise
    value: str  # canonical number text ("0.75", "50000"), "9:00" for clock times, digits for phones

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}{(' ' + self.unit) if self.unit else ''}"


_CURRENCY = {
    "rmb": "rmb", "cny": "rmb", "¥": "rmb", "元": "rmb", "块": "rmb", "块钱": "rmb", "yuan": "rmb",
    "人民币": "rmb", "usd": "usd", "$": "usd", "美元": "usd", "dollar": "usd", "dollars": "usd",
    "hkd": "hkd", "港币": "hkd", "港元": "hkd", "eur": "eur", "欧元": "eur", "gbp": "gbp", "英镑": "gbp",
    "jpy": "jpy", "日元": "jpy",
}  # fmt: skip
_PREFIX_MONEY = re.compile(rf"(rmb|cny|usd|hkd|eur|gbp|jpy|¥|\$)({_NUM})(?:-({_NUM}))?")
_SUFFIX_MONEY = re.compile(
    rf"(?<![\d.:])({_NUM})(?:-({_NUM}))?(美元|港币|港元|欧元|英镑|日元|块钱|元|块|人民币|rmb|yuan|usd|dollars?)"
)
_DURATION_UNITS = {
    "workingday": "day", "workingdays": "day", "businessday": "day", "businessdays": "day", "day": "day",
    "days": "day", "工作日": "day", "天": "day", "日内": "day", "hour": "hour", "hours": "hour", "hrs": "hour",
    "hr": "hour", "小时": "hour", "minute": "minute", "minutes": "minute", "mins": "minute", "min": "minute",
    "分钟": "minute", "week": "week", "weeks": "week", "周": "week", "星期": "week", "个月": "month",
    "month": "month", "months": "month", "year": "year", "years": "year", "年": "year",
}  # fmt: skip
_DURATION = re.compile(
    rf"(?<![\d.:])({_NUM})(?:-({_NUM}))?个?(workingdays?|businessdays?|days?|hours?|hrs?|minutes?|mins?|"
    r"weeks?|months?|years?|工作日|天|日内|小时|分钟|周(?![一二三四五六日末岁])|星期(?![一二三四五六日天])|个月|年(?!级))"
)
_CLOCK = re.compile(r"(?<![\d.:])(\d{1,2}):(\d{2})(?!\d)")
_PHONE = re.compile(r"(?<![\d.])\+?\d(?:-?\d){4,}(?![\d.%])")
_RATE = re.compile(rf"(?<![\d.])({_NUM})%")


# Figures a reply may always state without contradicting anything: the demo bank's own contact numbers
# and the service hours every page repeats ("24 hours", "24小时").
_ALWAYS_ALLOWED: frozenset[Figure] = frozenset(
    {
        Figure("phone", "", "95396"),
        Figure("phone", "", "864006995396"),
        Figure("phone", "", "4006995396"),
        Figure("phone", "", "96110"),
        Figure("phone", "", "12378"),
        Figure("duration", "hour", "24"),
    }
)


def _canon(number: str) -> str:
    try:
        return _number_text(Decimal(number))
    except InvalidOperation:
        return number


def _figures_normalised(norm: str) -> list[tuple[int, int, Figure]]:
    found: list[tuple[int, int, Figure]] = []
    for m in _RATE.finditer(norm):
        found.append((m.start(), m.end(), Figure("rate", "", _canon(m.group(1)))))
    for m in _PREFIX_MONEY.finditer(norm):
        cur = _CURRENCY[m.group(1)]
        for g in (2, 3):
            if m.group(g):
                found.append((m.start(), m.end(), Figure("money", cur, _canon(m.group(g)))))
    for m in _SUFFIX_MONEY.finditer(norm):
        unit = m.group(3)
        cur = _CURRENCY.get(unit, _CURRENCY.get(unit.rstrip("s"), "rmb"))
        for g in (1, 2):
            if m.group(g):
                found.append((m.start(), m.end(), Figure("money", cur, _canon(m.group(g)))))
    for m in _DURATION.finditer(norm):
        unit = _DURATION_UNITS[m.group(3)]
        if unit == "year" and Decimal(m.group(1)) >= 1900:  # a calendar year ("2026年"), not a period
            continue
        for g in (1, 2):
            if m.group(g):
                found.append((m.start(), m.end(), Figure("duration", unit, _canon(m.group(g)))))
    for m in _CLOCK.finditer(norm):
        if int(m.group(1)) <= 24:
            found.append((m.start(), m.end(), Figure("clock", "", f"{int(m.group(1))}:{m.group(2)}")))
    taken = [(s, e) for s, e, _ in found]
    for m in _PHONE.finditer(norm):
        if any(s < m.end() and m.start() < e for s, e in taken):
            continue  # the digits of an amount, a rate or a period
        found.append((m.start(), m.end(), Figure("phone", "", re.sub(r"\D", "", m.group(0)))))
    return found


def figures(text: str) -> list[Figure]:
    """The figures ``text`` states, in order of kind then position, duplicates kept once."""
    out: list[Figure] = []
    for _, _, fig in _figures_normalised(normalise(text)):
        if fig not in out:
            out.append(fig)
    return out


def _contains(haystack: str, needle: str) -> bool:
    """``needle`` in ``haystack`` where a number is never cut: ``0.6%`` is not in ``0.66%``, ``20`` not
    in ``200``."""
    if not needle:
        return False
    start = haystack.find(needle)
    while start != -1:
        end = start + len(needle)
        before = haystack[start - 1] if start > 0 else ""
        after = haystack[end : end + 2]
        cut_before = needle[0].isdigit() and (before.isdigit() or before == ".")
        cut_after = needle[-1].isdigit() and (
            after[:1].isdigit() or (after[:1] == "." and after[1:2].isdigit())
        )
        if not cut_before and not cut_after:
            return True
        start = haystack.find(needle, start + 1)
    return False


def fact_present(
    reply: str, spellings: Sequence[str], *, reply_figures: Iterable[Figure] | None = None
) -> bool:
    """Any spelling of the fact in the reply, as text or as the same single figure."""
    norm = normalise(reply)
    stated = set(reply_figures if reply_figures is not None else figures(reply))
    for spelling in spellings:
        if _contains(norm, normalise(spelling)):
            return True
        own = figures(spelling)
        if len(own) == 1 and own[0] in stated:
            return True
    return False


def kinds_of(facts: Sequence[Sequence[str]]) -> list[Kind]:
    """The kinds of figure the gold facts are (what a contradiction is checked for by default)."""
    out: list[Kind] = []
    for spellings in facts:
        for spelling in spellings:
            for fig in figures(spelling):
                if fig.kind not in out:
                    out.append(fig.kind)
    return out


@dataclass(frozen=True, slots=True)
class AnswerGrade:
    missing: list[list[str]] = field(default_factory=list)  # the gold facts not found (their spellings)
    off_figures: list[str] = field(default_factory=list)  # contradicting figures, as "kind:value unit"

    @property
    def facts_present(self) -> bool:
        return not self.missing

    @property
    def contradiction(self) -> bool:
        return bool(self.off_figures)

    @property
    def correct(self) -> bool:
        return self.facts_present and not self.contradiction


def grade_answer(
    reply: str,
    facts: Sequence[Sequence[str]],
    *,
    kinds: Sequence[str] | None = None,
    allow: Sequence[str] = (),
    asked: Sequence[str] = (),
) -> AnswerGrade:
    """Every fact present, and no figure of the checked kinds that the gold facts, ``allow`` and the
    customer's own messages (``asked``: a reply may repeat the amount the customer named) lack."""
    stated = figures(reply)
    missing = [list(f) for f in facts if not fact_present(reply, f, reply_figures=stated)]
    checked = set(kinds) if kinds is not None else set(kinds_of(facts))
    accepted = set(_ALWAYS_ALLOWED)
    for spelling in [s for f in facts for s in f] + list(allow) + list(asked):
        accepted.update(figures(spelling))
    # a number the customer wrote bare ("转8万") is theirs whatever its kind in the reply
    own_numbers = {_canon(n) for text in asked for n in re.findall(_NUM, normalise(text))}
    off = [str(f) for f in stated if f.kind in checked and f not in accepted and f.value not in own_numbers]
    return AnswerGrade(missing=missing, off_figures=off)


def refusal_text(reply: str) -> bool:
    return bool(_REFUSAL_TEXT.search(unicodedata.normalize("NFKC", reply).lower()))


@dataclass(frozen=True, slots=True)
class RefusalGrade:
    refused: bool
    forbidden: list[str] = field(default_factory=list)

    @property
    def correct(self) -> bool:
        return self.refused and not self.forbidden


def grade_refusal(
    reply: str,
    decision: str,
    reason: str | None,
    *,
    forbid: Sequence[str] = (),
    accept_decisions: Sequence[str] = (),
) -> RefusalGrade:
    """Refused: a refusing decision (or one the case accepts), small talk, or a declining text."""
    refused = (
        decision in REFUSAL_DECISIONS
        or decision in accept_decisions
        or (reason or "") in REFUSAL_REASONS
        or (decision == "answer" and refusal_text(reply))
    )
    norm = normalise(reply)
    hit = [s for s in forbid if _contains(norm, normalise(s))]
    return RefusalGrade(refused=refused, forbidden=hit)


ClearVerdict = Literal["clear_reply", "clear_error", "server_error", "broken_stream", "empty_reply"]


def grade_clear(
    status: int, *, final: bool, text: str, decision: str, error_code: str | None, stream_error: bool
) -> ClearVerdict:
    """How a bad-input turn ended; ``clear_reply`` and ``clear_error`` pass."""
    if status >= 500:
        return "server_error"
    if status >= 400:
        return "clear_error" if error_code else "server_error"
    if stream_error or not final:
        return "broken_stream"
    if not text.strip() or decision not in DECISIONS or decision == "with_agent":
        return "empty_reply"
    return "clear_reply"


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (``q`` in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(q * len(ordered) / 100)))
    return round(ordered[rank - 1], 1)
