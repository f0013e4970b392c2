"""Standalone rewriting of follow-ups, by rules, using the previous standalone question.

"那手续费呢？" after "信用卡分期怎么申请？" becomes "信用卡分期的手续费是多少？"; "what about debit cards?" after
"What is the annual fee for credit cards?" becomes "What is the annual fee for debit cards?"; "借记卡" in
answer to "which card?" turns "年费是多少？" into "借记卡年费是多少？". A message that is not a follow-up is
returned unchanged. Retrieval and the intent classifier both use the rewrite.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from dialog.slots import SlotMatch, slot_label

# Subjects and attributes customers ask about; adjacent terms merge into one topic ("信用卡" + "分期").
BANKING_TERMS: tuple[str, ...] = (
    "信用卡", "借记卡", "储蓄卡", "银行卡", "工资卡", "分期", "账单分期", "现金分期", "转账", "跨行转账", "境外转账",
    "汇款", "挂失", "补卡", "换卡", "开户", "销户", "年费", "积分", "额度", "临时额度", "提额", "还款",
    "最低还款", "自动还款", "逾期", "账单", "密码", "交易密码", "手机银行", "网银", "网上银行", "理财", "理财产品",
    "存款", "定期存款", "大额存单", "活期", "定期", "贷款", "房贷", "车贷", "消费贷", "提前还款", "外汇", "换汇",
    "购汇", "汇率", "账户", "储蓄账户", "手续费", "利率", "利息", "限额", "转账限额", "退款", "保险", "基金",
    "transfer to another bank", "transfers to other banks", "interbank transfer", "cross-border transfer",
    "credit card", "debit card", "card", "instalments", "installments", "instalment", "installment",
    "instalment plan", "transfer", "international transfer", "wire transfer", "bank transfer", "replacement card",
    "card replacement", "account", "savings account", "current account", "checking account", "annual fee",
    "reward points", "points", "credit limit", "limit", "transfer limit", "repayment", "early repayment",
    "minimum payment", "statement", "pin", "password", "mobile banking", "online banking", "banking app",
    "fixed deposit", "term deposit", "deposit", "mortgage", "loan", "personal loan", "car loan",
    "exchange rate", "foreign exchange", "fee", "fees", "interest rate", "interest", "refund", "insurance",
    "overdraft", "cashback", "apple pay", "google pay", "top-up", "top up",
)  # fmt: skip

# Attributes: a follow-up naming only one of these asks for that attribute of the previous topic.
_QUANTITY_ZH = ("费", "率", "额", "息", "钱", "价", "限", "多少", "期限", "时间", "多久")
_ZH_MARKERS_START = re.compile(r"^(?:那么|那如果|那|还有|另外|再问一下|再问|如果是|要是|换成|改成|那要是)\s*")
_ZH_MARKERS_END = re.compile(r"(?:呢|呀|啊|吧)?\s*[？?。.!！]*\s*$")
_ZH_PRONOUN = re.compile(r"它们|它|这个|那个|这张卡|该卡|这项业务|这项|这种|这笔|上面说的|刚才说的")
_ZH_QUESTION = re.compile(
    r"怎么|如何|怎样|能不能|能否|可以|可不可以|是否|要不要|需要|多久|哪里|哪儿|什么时候|几天|吗|是不是|会不会|有没有"
)
_EN_MARKERS_START = re.compile(
    r"^(?:what\s+about|how\s+about|and\s+what\s+about|and\s+how\s+about|and|also|then|so|what\s+if|ok(?:ay)?,?)\b[\s,]*",
    re.IGNORECASE,
)
_EN_MARKERS_END = re.compile(r"\s*(?:then|too|as\s+well)?\s*[?.!]*\s*$", re.IGNORECASE)
_EN_PRONOUN = re.compile(r"\b(?:it|its|that|this|them|they|those|these)\b", re.IGNORECASE)
_EN_QUESTION = re.compile(
    r"^(?:how|what|when|where|why|which|who|can|could|do|does|did|is|are|will|would|should|may)\b",
    re.IGNORECASE,
)
_EN_FILLER = re.compile(r"^(?:the|a|an|my|your|for|of|with|about|on)\s+", re.IGNORECASE)
_ZH_FILLER = re.compile(r"^(?:是|的|我的|我要|我想|用|对于|关于)+|(?:的|呢|吧|啊|呀)+$")
_CLARIFY_FILLER = re.compile(
    r"(?:是|的|我的|我用的|用的|就是|嗯|呃|好的|对|吧|啊|呀|呢|卡|the|my|a|an|it's|its|it\s+is|i\s+have|i\s+use|"
    r"one|please|card|account|[\s,，。.!！?？:：])",
    re.IGNORECASE,
)
_ZH_QUESTION_CORE = re.compile(
    r"(怎么|如何|怎样|是什么|是多少|多少|能不能|能否|可以|可不可以|需要|要|吗|呢|[？?])"
)
_ZH_LEAD = re.compile(
    r"^(?:请问一下|请问|你好|您好|我想问一下|我想问|我想了解|我想|我要|想问一下|想问|了解一下)+[，,\s]*"
)
_ZH_VERBS = re.compile(r"^(?:申请|办理|开通|了解|查询|咨询)")


def _is_zh(lang: str) -> bool:
    return lang == "zh"


# When, where or how: "那周末呢" / "and on weekends?" narrows the previous question instead of asking
# about something else. Words of one class replace each other ("境外..." + "那境内呢" -> "境内...").
_MODIFIER_CLASSES: tuple[tuple[str, ...], ...] = (
    ("境外", "境内", "国外", "国内", "海外", "异地", "本地", "外地"),
    ("周末", "工作日", "周六", "周日", "节假日", "假期", "春节", "国庆", "平时"),
    ("晚上", "夜间", "凌晨", "早上", "白天", "上午", "下午"),
    ("今天", "明天", "后天"),
    ("网上", "线上", "线下", "手机上", "App上", "app上", "柜台", "网点", "ATM", "取款机"),
    ("abroad", "overseas", "domestically", "in china", "locally", "outside china"),
    ("on weekends", "on weekdays", "on holidays", "on public holidays", "at night", "weekends", "weekdays",
     "holidays"),
    ("today", "tomorrow", "tonight"),
    ("online", "in the app", "at the branch", "at a branch", "at an atm", "by phone"),
)  # fmt: skip
_ZH_MODIFIERS = re.compile(
    "^(?:在)?(?:" + "|".join(re.escape(w) for c in _MODIFIER_CLASSES for w in c if not w.isascii()) + ")"
)
_EN_MODIFIERS = re.compile(
    r"^(?:on|in|at|during|over|from|via|by|through|outside|abroad|overseas|online|domestically|locally|"
    r"weekends?|weekdays?|holidays?|tonight|today|tomorrow)\b",
    re.IGNORECASE,
)


def _is_modifier(aspect: str, lang: str) -> bool:
    return bool((_ZH_MODIFIERS if _is_zh(lang) else _EN_MODIFIERS).match(aspect.strip()))


def _with_modifier(base: str, aspect: str, lang: str) -> str:
    modifier = aspect.strip().rstrip("？?.! ")
    if _is_zh(lang):
        modifier = modifier.removeprefix("在")
    elif re.match(r"^(?:weekends?|weekdays?|holidays?)$", modifier, re.IGNORECASE):
        modifier = f"on {modifier}"
    lower_base, lower_mod = base.lower(), modifier.lower()
    for cls in _MODIFIER_CLASSES:
        if any(lower_mod == w or lower_mod.endswith(" " + w) for w in cls):
            for word in sorted(cls, key=len, reverse=True):
                at = lower_base.find(word)
                if at >= 0 and word != lower_mod:
                    return base[:at] + modifier + base[at + len(word) :]
    if _is_zh(lang):
        return f"{modifier}{base}".rstrip("？?") + "？"
    return f"{base.rstrip('?.! ')} {modifier}?"


@dataclass(frozen=True, slots=True)
class RewriteContext:
    lang: str
    previous_query: str = ""
    previous_intent: str | None = None
    topic_hint: str = ""  # the previous intent's topic in this language, "" if unknown
    pending_slot: str | None = None
    slots_now: Mapping[str, SlotMatch] = field(default_factory=dict)
    slots_prev: Mapping[str, SlotMatch] = field(default_factory=dict)


class Rewriter:
    """Rules-only follow-up rewriter. ``extra_terms``: tenant topics (intent topics, product names)."""

    def __init__(
        self, extra_terms: Iterable[str] = (), examples: Mapping[str, Sequence[str]] | None = None
    ) -> None:
        """``examples``: intent name -> example texts; lets the rewriter tell which intents speak of
        an attribute, so that a bare attribute question only follows up an intent that has it."""
        terms = {t.lower() for t in (*BANKING_TERMS, *extra_terms) if t.strip()}
        ordered = sorted(terms, key=len, reverse=True)
        alts = []
        for t in ordered:
            esc = re.escape(t).replace(r"\ ", r"\s+")
            alts.append(rf"(?<![A-Za-z]){esc}(?![A-Za-z])" if t.isascii() else esc)
        self._terms = re.compile("|".join(alts), re.IGNORECASE)
        self._term_intents: dict[str, set[str]] = {}
        for intent, texts in (examples or {}).items():
            for text in texts:
                for m in self._terms.finditer(text):
                    self._term_intents.setdefault(m.group(0).lower(), set()).add(intent)

    # --- helpers --------------------------------------------------------------------------------------

    def topic_of(self, query: str, lang: str, *, subject_only: bool = False) -> str:
        """The subject of ``query``: its longest run of adjacent banking terms, else its core phrase.

        ``subject_only`` leaves attribute terms (fee, rate, limit...) out of the run unless the run has
        nothing else: the subject of "信用卡分期的手续费是多少" is "信用卡分期".
        """
        spans = [(m.start(), m.end()) for m in self._terms.finditer(query)]
        if subject_only:
            subjects = [(s, e) for s, e in spans if not self._is_attribute(query[s:e], lang)]
            spans = subjects or spans
        if spans:
            runs: list[tuple[int, int]] = []
            for s, e in spans:
                gap = query[runs[-1][1] : s] if runs else None
                if runs and gap is not None and re.fullmatch(r"\s*(?:的|of|for)?\s*", gap, re.IGNORECASE):
                    runs[-1] = (runs[-1][0], e)
                else:
                    runs.append((s, e))
            s, e = max(runs, key=lambda r: (r[1] - r[0], -r[0]))
            return query[s:e].strip()
        return self._core(query, lang)

    @staticmethod
    def _core(query: str, lang: str) -> str:
        if _is_zh(lang):
            q = _ZH_LEAD.sub("", query.strip())
            q = _ZH_VERBS.sub("", q)
            m = _ZH_QUESTION_CORE.search(q)
            core = q[: m.start()] if m and m.start() > 0 else q
            return core.rstrip("的，, ")
        q = re.sub(r"[?.!]+$", "", query.strip())
        q = re.sub(
            r"^(?:how|what|where|when|why|can|could|would|do|does|is|are|will)\b(?:\s+(?:do|does|can|could|should|is|are|will|much|long|many))?"
            r"(?:\s+(?:i|we|you|it|my|the|a|an))?\s+(?:\w+\s+)?(?:for|to|on|about|of|with)?\s*",
            "",
            q,
            flags=re.IGNORECASE,
        )
        return q.strip() or query.strip()

    @staticmethod
    def _strip_markers(text: str, lang: str) -> str:
        if _is_zh(lang):
            t = _ZH_MARKERS_START.sub("", text.strip())
            return _ZH_MARKERS_END.sub("", t).strip()
        t = _EN_MARKERS_START.sub("", text.strip())
        return _EN_MARKERS_END.sub("", t).strip()

    def _has_marker(self, text: str, lang: str) -> bool:
        t = text.strip()
        if _is_zh(lang):
            return bool(
                _ZH_MARKERS_START.match(t)
                and _ZH_MARKERS_START.match(t).group(0)  # type: ignore[union-attr]
                or re.search(r"呢\s*[？?]*\s*$", t)
                or _ZH_PRONOUN.search(t)
            )
        return bool(
            (_EN_MARKERS_START.match(t) and _EN_MARKERS_START.match(t).group(0))  # type: ignore[union-attr]
            or _EN_PRONOUN.search(t)
            or re.search(r"\bthen\s*\??\s*$", t, re.IGNORECASE)
        )

    def _is_attribute_only(self, text: str, lang: str) -> bool:
        """ "手续费多少？" / "fees?": only attribute terms and question words, no subject of its own."""
        core = self._strip_markers(text, lang)
        rest = self._terms.sub("", core)
        rest = _ZH_QUESTION_CORE.sub("", rest) if _is_zh(lang) else re.sub(
            r"\b(?:what|how|much|is|are|the|a|an|about|for|of|and|do|does|it|cost)\b|[?.!,]", "", rest,
            flags=re.IGNORECASE,
        )  # fmt: skip
        terms = [m.group(0) for m in self._terms.finditer(core)]
        if not terms or rest.strip():
            return False
        return all(self._is_attribute(t, lang) for t in terms)

    def _fits_previous_intent(self, text: str, ctx: RewriteContext) -> bool:
        """ "年费是多少" after a question about instalments is a new question: only the card-fee intent's
        examples speak of 年费. An attribute no intent claims, or one the previous intent claims, fits."""
        if not self._term_intents or ctx.previous_intent is None:
            return True
        for m in self._terms.finditer(text):
            owners = self._term_intents.get(m.group(0).lower())
            if owners and ctx.previous_intent not in owners:
                return False
        return True

    @staticmethod
    def _is_attribute(term: str, lang: str) -> bool:
        t = term.lower()
        if _is_zh(lang) or not t.isascii():
            return any(q in t for q in _QUANTITY_ZH) or t in ("积分", "密码")
        return t in {"fee", "fees", "annual fee", "interest", "interest rate", "limit", "credit limit",
                     "transfer limit", "exchange rate", "points", "reward points", "cashback", "pin", "password"}  # fmt: skip

    # --- the rewrite ------------------------------------------------------------------------------------

    def rewrite(self, text: str, ctx: RewriteContext) -> str:
        """The standalone form of ``text`` (``text`` itself when it is not a follow-up)."""
        prev = ctx.previous_query.strip()
        if not prev or not text.strip():
            return text
        answered = self._clarification_answer(text, ctx)
        if answered is not None:
            return answered
        switched = self._switch_slots(text, prev, ctx)
        is_follow_up = self._has_marker(text, ctx.lang) or (
            self._is_attribute_only(text, ctx.lang) and self._fits_previous_intent(text, ctx)
        )
        if not is_follow_up and switched is None:
            return text
        if switched is not None and not self._aspect(text, ctx):
            return switched
        base = switched if switched is not None else prev
        aspect = self._aspect(text, ctx)
        if not aspect:
            return base
        # "那手续费呢" asks for another attribute of the subject; "怎么减免呢" asks about the same thing.
        new_attribute = any(self._is_attribute(m.group(0), ctx.lang) for m in self._terms.finditer(aspect))
        if not new_attribute and _is_modifier(aspect, ctx.lang):
            return _with_modifier(base, aspect, ctx.lang)
        topic = self.topic_of(base, ctx.lang, subject_only=new_attribute) or ctx.topic_hint
        if not topic:
            return text
        return self._compose(topic, aspect, ctx.lang)

    def _aspect(self, text: str, ctx: RewriteContext) -> str:
        core = self._strip_markers(text, ctx.lang)
        for name, match in ctx.slots_now.items():
            if name in ctx.slots_prev and ctx.slots_prev[name].value != match.value:
                core = core.replace(match.surface(text), " ")
        core = core.strip(" ,，")
        if re.fullmatch(
            r"(?:\s|\b(?:at|the|in|on|for|a|an|my|of|to|with|about|what|how)\b|[?.!,])*", core, re.I
        ):
            return ""
        if _is_zh(ctx.lang):
            core = _ZH_FILLER.sub("", core).strip()
        else:
            while _EN_FILLER.match(core):
                core = _EN_FILLER.sub("", core, count=1)
        return core.strip()

    def _compose(self, topic: str, aspect: str, lang: str) -> str:
        if _is_zh(lang):
            if _ZH_PRONOUN.search(aspect):
                return _ZH_PRONOUN.sub(topic, aspect, count=1).rstrip("？?") + "？"
            if _ZH_QUESTION.search(aspect):
                return f"{topic}{aspect}".rstrip("？?") + "？"
            if re.search(r"多少|几|什么|哪", aspect):
                return f"{topic}的{aspect}".rstrip("？?") + "？"
            if any(q in aspect for q in _QUANTITY_ZH):
                return f"{topic}的{aspect}是多少？"
            return f"{topic}的{aspect}是什么？"
        aspect = aspect.rstrip("?.! ")
        if _EN_PRONOUN.search(aspect):

            def sub(m: re.Match[str]) -> str:
                return f"{topic}'s" if m.group(0).lower() == "its" else topic

            out = _EN_PRONOUN.sub(sub, aspect, count=1)
            return out[:1].upper() + out[1:] + "?"
        if _EN_QUESTION.match(aspect):
            return f"{aspect[:1].upper()}{aspect[1:]} for {topic}?"
        verb = "are" if aspect.lower().endswith("s") and not aspect.lower().endswith("ss") else "is"
        return f"What {verb} the {aspect} for {topic}?"

    def _switch_slots(self, text: str, prev: str, ctx: RewriteContext) -> str | None:
        """The previous question with this message's slot values in place of the old ones, if any changed."""
        out, changed = prev, False
        for name, new in ctx.slots_now.items():
            old = ctx.slots_prev.get(name)
            if old is not None and old.value != new.value:
                surface = old.surface(prev)
                if surface and surface in out:
                    out = out.replace(surface, new.surface(text), 1)
                    changed = True
        return out if changed else None

    def _clarification_answer(self, text: str, ctx: RewriteContext) -> str | None:
        slot = ctx.pending_slot
        if slot is None or slot not in ctx.slots_now:
            return None
        match = ctx.slots_now[slot]
        rest = _CLARIFY_FILLER.sub("", text.replace(match.surface(text), ""))
        if len(rest) > (4 if _is_zh(ctx.lang) else 12):
            return None  # more than an answer: treat the message on its own
        prev = ctx.previous_query.strip()
        label = slot_label(slot, match.value, ctx.lang)
        old = ctx.slots_prev.get(slot)
        if old is not None and old.surface(prev) in prev:
            return prev.replace(old.surface(prev), label, 1)
        if _is_zh(ctx.lang):
            return f"{label}{prev}"
        core = prev.rstrip("?.! ")
        mine = "my " if slot in ("card_type", "account_type", "product") else ""
        return f"{core} for {mine}{label}?"
