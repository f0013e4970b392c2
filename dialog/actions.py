"""Actions the assistant can do for a customer: recognising the request, reading its parameters from the
(masked) text, and reading the customer's answer to a read-back. Pure functions over text and state; the
app decides what is allowed and calls the bank.

``step`` is the one decision made on each customer message while the message is being accepted (inside the
conversation's compare-and-set write, so two copies of the same "yes" cannot both confirm): it returns the
events to append after the tracker's. A confirmation is only ever an explicit yes to the read-back asked in
the bot's previous message, given within ``CONFIRM_TTL``; anything else cancels it (or, when the message
changes a value, starts the read-back again with the new value).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from dialog.events import ActionCancelled, ActionConfirmed, ActionRequested, Event, SlotSet
from dialog.injection import looks_like_injection
from dialog.slots import CARD_TYPE, SlotContext

CONFIRM_TTL = timedelta(minutes=5)
Verification = Literal["none", "verified", "step_up"]


@dataclass(frozen=True, slots=True)
class ActionSpec:
    """What the dialog needs to know of one catalogue entry: its name, its parameters (required ones
    first), and the phrases that ask for it (any language; matched with typos tolerated)."""

    name: str
    params: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()


# --- the request -------------------------------------------------------------------------------------------

_HOWTO = re.compile(
    r"^\s*(how\s+(do|can|would|should|long)\s+|how\s+to|what\s+is|what'?s|what\s+happens|why|是什么)"
    r"|怎么办|为什么|什么意思|多久|what\s+should\s+i\s+do|what\s+happens"
    # a question about a fact, wherever it sits in the sentence (Chinese puts the question word late):
    # "借记卡电话挂失有效期几天", "挂失前的能赔吗", "社保卡丢了怎么补办", "can i still use it"
    r"|如何|怎么(?!样)|怎样|几天|几个|几次|多少|多长|要不要|还要|干嘛|是否|吗\s*[?？]?\s*$"
    r"|how\s+(far|much|many|often)|\b(can|could|should)\s+i\s+still\b|\bis\s+there\b|\bare\s+there\b"
    r"|\bdo\s+i\s+need\b",
    re.IGNORECASE,
)
_DO_IT = re.compile(r"(for me|please|can you|could you|help me|帮我|给我|请|麻烦|我要|我想)", re.IGNORECASE)
_LATIN = re.compile(r"[a-z0-9']+")


# Common input-method slips in Chinese (a homophone for the intended character).
_ZH_TYPOS = {"冻洁": "冻结", "东结": "冻结", "冻接": "冻结", "解东": "解冻", "解动": "解冻", "挂矢": "挂失",
             "刮失": "挂失", "挂湿": "挂失", "免秘": "免密", "面密": "免密", "转帐": "转账", "专账": "转账",
             "限额度": "限额", "限鹅": "限额", "到帐": "到账"}  # fmt: skip


def _norm(text: str) -> str:
    t = re.sub(r"\s+", " ", text.lower()).strip()
    for typo, right in _ZH_TYPOS.items():
        t = t.replace(typo, right)
    return t


def _word_ratio(a: str, b: str) -> float:
    if a == b:
        return 1.0
    if len(a) < 4 or len(b) < 3:
        return 0.0  # short words must be exact ("my", "the")
    return difflib.SequenceMatcher(None, a, b).ratio()


def _latin_score(keyword: list[str], words: list[str], *, word_floor: float = 0.75) -> float:
    """The best in-order match of the keyword's words among the text's words (a word may sit between
    them: "block my debit card" for "block my card"); the sum of the words' similarities, 0 when one
    word has no counterpart."""
    best, n = 0.0, len(keyword)
    for start in range(len(words)):
        total, i, end = 0.0, start, min(len(words), start + n + 2)
        for kw in keyword:
            found = next(
                ((j, r) for j in range(i, end) if (r := _word_ratio(kw, words[j])) >= word_floor), None
            )
            if found is None:
                total = 0.0
                break
            total, i = total + found[1], found[0] + 1
        best = max(best, total)
    return best


def _score(keyword: str, text: str) -> tuple[float, float]:
    """(total similarity, mean similarity) of ``keyword`` in ``text``: Latin keywords word by word with
    typos tolerated ("freez my crad"); Han keywords as a substring (typos via ``_ZH_TYPOS``)."""
    if not keyword.isascii():
        return (float(len(keyword)), 1.0) if keyword in text else (0.0, 0.0)
    kw = _LATIN.findall(keyword)
    total = _latin_score(kw, _LATIN.findall(text))
    return total, total / len(kw) if kw else 0.0


def recognise(text: str, specs: Sequence[ActionSpec], *, threshold: float = 0.84) -> str | None:
    """The action the message asks for, or None. A question about how something works ("how do I freeze
    my card?") is a question for the knowledge base unless it also asks us to do it ("can you ... for
    me"). The closest keyword wins, then the one with most matching words, so "unfreeze the card" is
    not "freeze the card". A message with a transfer reference and no keyword asks about the transfer
    (the one action that takes a reference)."""
    t = _norm(text)
    if _HOWTO.search(t) and not _DO_IT.search(t):
        return None
    best: tuple[float, float, str] | None = None
    for spec in specs:
        for kw in spec.keywords:
            total, mean = _score(_norm(kw), t)
            if mean >= threshold and (best is None or (round(mean, 2), total) > best[:2]):
                best = (round(mean, 2), total, spec.name)
    if best is not None:
        return best[2]
    by_value = [s.name for s in specs if "reference" in s.params and _REFERENCE.search(text)]
    return by_value[0] if len(by_value) == 1 else None


# --- parameters ------------------------------------------------------------------------------------------

_LAST4_CONTEXT = re.compile(
    r"(?:ending(?:\s+(?:in|with))?|ends?\s+(?:in|with)|last\s+(?:four|4)(?:\s+digits)?(?:\s+(?:is|are))?|"
    r"card\s*(?:no\.?|number)?|尾号(?:是|为)?|末四位(?:是|为)?|后四位(?:是|为)?|卡号?)\s*[:：]?\s*(\d{4})(?!\d)",
    re.IGNORECASE,
)
_LAST4_AFTER = re.compile(r"(?<!\d)(\d{4})(?!\d)\s*(?:的)?\s*(?:card|卡)", re.IGNORECASE)
_BARE_4 = re.compile(r"(?<![\d.,])(\d{4})(?![\d.,])")
# A transfer reference, or "TR" before the placeholder the masker put where its digits were.
_REFERENCE = re.compile(r"(?<![A-Za-z0-9])(TR\s?(?:\d{11}(?!\d)|<[A-Z][A-Z0-9_]*_\d+>))", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"<[A-Z][A-Z0-9_]*_\d+>")
_AMOUNT = re.compile(
    r"(?:to|limit(?:\s+of)?|at|改成|改为|调到|调成|调整为|调整到|设为|设置为|设成|设到|为|到)\s*[:：]?\s*"
    r"(?:rmb|cny|¥|￥)?\s*(-?\d[\d,]*(?:\.\d+)?)\s*(k|千|万)?\s*(?:元|块|yuan|rmb|cny)?",
    re.IGNORECASE,
)
_AMOUNT_UNIT = re.compile(r"(-?\d[\d,]*(?:\.\d+)?)\s*(k|千|万)?\s*(?:元|块|yuan|rmb|cny)", re.IGNORECASE)
_BARE_NUMBER = re.compile(r"(?<![\d.])(-?\d[\d,]*(?:\.\d+)?)(?![\d.])")


def _amount_value(num: str, unit: str | None) -> str:
    value = float(num.replace(",", ""))
    value *= {"k": 1000, "千": 1000, "万": 10000}.get((unit or "").lower(), 1)
    return str(int(value)) if value == int(value) else str(value)


def extract_args(text: str, params: Sequence[str], *, pending: str | None = None) -> dict[str, str]:
    """Parameter values in ``text`` (masked): ``card_last4`` (4 digits with "ending", "尾号"... or any 4
    digits when that was just asked), ``reference`` (a transfer reference, or a privacy placeholder when
    the masker took it), ``amount`` (after "to"/"改成"..., or any number when it was just asked), and
    ``card_type`` (credit/debit, the tracker's recogniser). The last mention of each wins."""
    out: dict[str, str] = {}
    if "card_last4" in params:
        found = [m.group(1) for m in _LAST4_CONTEXT.finditer(text)] + [
            m.group(1) for m in _LAST4_AFTER.finditer(text)
        ]
        if not found and pending == "card_last4":
            found = [m.group(1) for m in _BARE_4.finditer(text)]
        if found:
            out["card_last4"] = found[-1]
    if "reference" in params:
        refs = [re.sub(r"\s", "", m.group(1)) for m in _REFERENCE.finditer(text)]
        refs = [("TR" + r[2:]) if r[:2].lower() == "tr" else r for r in refs]
        if not refs:  # the masker may have taken the reference for an account number: its placeholder
            refs = [p for p in _PLACEHOLDER.findall(text) if "CARD" not in p and "PHONE" not in p]
        if not refs and pending == "reference":
            refs = re.findall(r"(?<![A-Za-z0-9])([A-Za-z]{2}\d{6,})", text)
        if refs:
            ref = refs[-1]
            out["reference"] = ref if "<" in ref else ref.upper()
    if "amount" in params:
        rest = _LAST4_CONTEXT.sub(" ", text)
        amounts = [_amount_value(m.group(1), m.group(2)) for m in _AMOUNT.finditer(rest)]
        amounts += [_amount_value(m.group(1), m.group(2)) for m in _AMOUNT_UNIT.finditer(rest)]
        if not amounts and pending == "amount":
            amounts = [_amount_value(m.group(1), None) for m in _BARE_NUMBER.finditer(rest)]
        if amounts:
            out["amount"] = amounts[-1]
    if "card_last4" in params:
        kinds = CARD_TYPE.find(text, SlotContext(today=datetime.now().date(), pending_slot=pending))
        if kinds:
            out["card_type"] = kinds[-1].value
    return out


# --- the answer to a read-back ---------------------------------------------------------------------------

Answer = Literal["yes", "no", "other"]
_YES = re.compile(
    r"^(yes|yeah|yep|yup|y|ok|okay|sure|confirm(ed)?|correct|right|go ahead|do it|please do|proceed|"
    r"yes please|yes,? (do it|go ahead|confirm|please)|i confirm|that'?s right|是|是的|对|对的|好|好的|确认|"
    r"确定|可以|没错|行|嗯|同意|确认冻结|确认执行|办吧|执行吧)[\s!.。！,，~]*$",
    re.IGNORECASE,
)
_NO = re.compile(
    r"\b(no|nope|cancel|stop|don'?t|do not|never ?mind|wait|not)\b|不|别|取消|算了|等等|先不|停",
    re.IGNORECASE,
)
_SKIP = re.compile(
    r"(skip|without|bypass|no need|don'?t need|ignore).{0,20}(confirm|verification|verify|code|otp)|"
    r"(不用|无需|不需要|跳过|忽略).{0,6}(确认|验证|验证码)",
    re.IGNORECASE,
)


def answer_to_readback(text: str) -> Answer:
    """An explicit yes (the whole message is a yes), a no, or anything else. "Yes, and skip the
    confirmation next time", "yes but use the other card" or an instruction to the assistant are not a
    yes."""
    t = text.strip()
    if _SKIP.search(t) or looks_like_injection(t):
        return "other"
    if _YES.match(t):
        return "yes"
    if _NO.search(t):
        return "no"
    return "other"


def wants_to_stop(text: str) -> bool:
    """The customer calls the action off while it is being set up ("cancel", "算了")."""
    return bool(re.search(r"\b(cancel|never ?mind|forget it|stop)\b|取消|算了|不用了|不要了", text, re.I))


# --- the step ---------------------------------------------------------------------------------------------


def step(
    *,
    action_name: str | None,
    stage: str | None,
    key: str,
    asked_at: datetime | None,
    pending_slot: str | None,
    args: Mapping[str, str],
    text: str,
    specs: Sequence[ActionSpec],
    now: datetime,
) -> list[Event]:
    """The action events for one customer message (masked ``text``), given the action under way (its
    name, stage, read-back key and time, the slot just asked for, the values so far)."""
    by_name = {s.name: s for s in specs}
    events: list[Event] = []
    requested = recognise(text, specs)
    current = by_name.get(action_name or "")
    if current is not None and stage == "confirming":
        answer = answer_to_readback(text)
        fresh = asked_at is not None and now - asked_at <= CONFIRM_TTL
        if answer == "yes" and fresh:
            return [ActionConfirmed(key=key)]
        changed = {k: v for k, v in extract_args(text, current.params).items() if args.get(k) != v}
        reason = "expired" if answer == "yes" else "changed" if changed else "declined"
        if answer == "other" and not changed:
            reason = "not_confirmed"
        events.append(ActionCancelled(name=current.name, reason=reason))
        if changed and (requested in (None, current.name)):
            # "no, the card ending 4321": the same action again with the new value; read back anew.
            events.append(ActionRequested(name=current.name, params=list(current.params)))
            kept = {k: v for k, v in args.items() if k in current.params}
            for k, v in {**kept, **changed}.items():
                events.append(SlotSet(name=k, value=v))
            return events
        current = None
    elif current is not None and stage == "confirmed":
        return []  # being executed by the turn that confirmed it
    elif current is not None and wants_to_stop(text) and requested is None:
        return [ActionCancelled(name=current.name, reason="customer")]
    if requested is not None and (current is None or requested != current.name):
        if current is not None:
            events.append(ActionCancelled(name=current.name, reason="new_request"))
        spec = by_name[requested]
        events.append(ActionRequested(name=spec.name, params=list(spec.params)))
        for k, v in extract_args(text, spec.params).items():
            events.append(SlotSet(name=k, value=v))
        return events
    if current is not None:
        for k, v in extract_args(text, current.params, pending=pending_slot).items():
            if args.get(k) != v:
                events.append(SlotSet(name=k, value=v))
    return events
