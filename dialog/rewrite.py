"""Standalone rewriting of follow-ups, by rules, using the previous standalone question and the previous
answer's topic (the label of the passage it cited: ``RewriteContext.answer_topic``).

"那手续费呢？" after "信用卡分期怎么申请？" becomes "信用卡分期的手续费是多少？"; "what about debit cards?" after
"What is the annual fee for credit cards?" becomes "What is the annual fee for debit cards?"; "借记卡" in
answer to "which card?" turns "年费是多少？" into "借记卡年费是多少？"; "那白金卡呢" after "信用卡年费多少" becomes
"白金卡年费多少" (a product in place of the one asked about); "and for a business account?" after "What do I
need to open an account?" becomes "What do I need to open a business account?"; a bare "那要多久" / "how
much is it?" asks about the previous subject, or, when the previous question named none ("wallet got
pinched, who do I phone"), the previous answer's. A message that is not a follow-up is returned unchanged. Retrieval and the intent classifier both use the rewrite.
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
    "收费", "费用", "补卡费", "加急补卡", "lost card", "stolen card", "loss report", "replacement", "activation",
    "激活", "business account", "对公账户", "境外汇款", "跨境汇款", "境外转账", "免密支付", "免密", "contactless",
    "取现", "cash advance", "现钞", "外币",
)  # fmt: skip

# Slots that name what a question is about; one of them alone is a follow-up about that thing instead.
ENTITY_SLOTS = ("card_tier", "card_type", "account_type", "product", "currency", "channel")
# A new entity replaces the mention of a related slot in the previous question ("白金卡" for "信用卡").
_RELATED = {
    "card_tier": ("card_tier", "card_type", "product"),
    "card_type": ("card_type", "card_tier", "product"),
    "product": ("product", "card_type"),
    "account_type": ("account_type",),
    "currency": ("currency",),
    "channel": ("channel",),
}
_ZH_BARE = re.compile(
    r"多少|多久|几天|收费|免费|要钱|收钱|费吗|钱吗|怎么办理|怎么申请|怎么弄|在哪办|可以吗|行吗|能吗|关掉|关闭|取消|开通|撤销|撤回"
)
_EN_BARE = re.compile(
    r"^(?:how\s+(?:much|long|many)|how\s+(?:do|can)\s+i|is\s+(?:it|that|there)|are\s+there|does\s+it|"
    r"can\s+i|what\s+does\s+it|where\s+(?:do|can)\s+i)\b",
    re.IGNORECASE,
)
_EN_ARTICLE = r"(?:\b(?:a|an|the|my|your)\s+)?"

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
# "it" that stands for nothing: small talk, not a follow-up
_EN_DUMMY_IT = re.compile(
    r"\b(?:what\s+(?:time|day|date)\s+is\s+it|is\s+it\s+(?:raining|sunny|cold|hot|snowing)|how\s+is\s+it\s+going)\b",
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
    ("周末", "工作日", "周六", "周日", "节假日", "假期", "春节", "国庆", "元旦", "五一", "中秋", "端午", "清明", "平时"),
    ("晚上", "夜间", "凌晨", "早上", "白天", "上午", "下午"),
    ("今天", "明天", "后天"),
    ("网上", "线上", "线下", "手机上", "App上", "app上", "柜台", "网点", "ATM", "取款机"),
    ("跨行", "他行", "本行", "行内"),
    ("abroad", "overseas", "domestically", "in china", "locally", "outside china"),
    ("on weekends", "on weekdays", "on holidays", "on public holidays", "at night", "weekends", "weekdays",
     "holidays"),
    ("today", "tomorrow", "tonight"),
    ("online", "in the app", "at the branch", "at a branch", "at an atm", "by phone"),
)  # fmt: skip
_ZH_MODIFIERS = re.compile(
    "^(?:在)?(?:" + "|".join(re.escape(w) for c in _MODIFIER_CLASSES for w in c if not w.isascii()) + ")"
)
_WITH = re.compile(r"^(?:with|without|using)\s+\w", re.IGNORECASE)  # "with face recognition", kept whole
_EN_MODIFIERS = re.compile(
    r"^(?:on|in|at|during|over|from|via|by|through|outside|abroad|overseas|online|domestically|locally|"
    r"weekends?|weekdays?|holidays?|tonight|today|tomorrow)\b",
    re.IGNORECASE,
)


# An amount that narrows the question ("那超过5万呢", "5万以下呢"): the same question, for that amount.
_ZH_AMOUNT = re.compile(
    r"^(?:超过|超出|大于|高于|多于|不超过|少于|低于|小于|不到|不足)\s*\d|^\d[\d.,]*\s*[万千百]?(?:元|块)?\s*(?:以上|以下|以内)"
)


def _is_modifier(aspect: str, lang: str) -> bool:
    if _is_zh(lang) and _ZH_AMOUNT.match(aspect.strip()):
        return True
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


# A card tier said alone ("what about gold?", "那白金呢") after a question that named another tier.
_TIERS_EN = ("classic", "gold", "platinum", "standard")
_TIERS_ZH = ("白金", "经典", "普通", "金")
_TIER_FILLER = re.compile(
    r"\b(?:the|a|an|my|for|one|card|cards|tier)\b|[卡的呢吧啊？?.!,，\s]", re.IGNORECASE
)


def _bare_tier_follow_up(text: str, prev: str, lang: str) -> str | None:
    """ "what about gold?" after "annual fee for the classic credit card": the previous question about
    that tier ("…for the gold credit card"). Only a tier word and fillers; the previous one is replaced."""
    zh = _is_zh(lang)
    core = (_ZH_MARKERS_START if zh else _EN_MARKERS_START).sub("", text.strip())
    core = _TIER_FILLER.sub("", core).strip().lower()
    tiers = _TIERS_ZH if zh else _TIERS_EN
    if core not in tiers:
        return None
    for old in tiers:
        if old == core:
            continue
        pattern = rf"{old}(?=卡|级|的)" if zh else rf"\b{old}\b"
        if zh and old == "金":
            pattern = r"(?<![白现资])金(?=卡|级)"
        m = re.search(pattern, prev, re.IGNORECASE)
        if m:
            said = (
                core.capitalize() if m.group(0)[:1].isupper() else core
            )  # "the Gold card" -> "the Platinum card"
            return prev[: m.start()] + said + prev[m.end() :]
    return None


# A term said alone ("and 3 years?", "那三年期呢", "6 months?") after a question that named another term.
_TERM_WORDS = r"(?:\d+|[一二两三四五六七八九十]+|one|two|three|four|five|six|seven|ten|twelve)"
_TERM_EN = re.compile(rf"\b{_TERM_WORDS}[\s-]?(?:years?|yrs?|months?|mths?)\b", re.IGNORECASE)
_TERM_ZH = re.compile(rf"{_TERM_WORDS}(?:年期|年|个月期|个月|月期)")


def _term_follow_up(text: str, prev: str, lang: str) -> str | None:
    """ "and 3 years?" after "what's the 1 year fixed deposit rate": the previous question for that term."""
    zh = _is_zh(lang)
    core = (_ZH_MARKERS_START if zh else _EN_MARKERS_START).sub("", text.strip())
    core = (_ZH_MARKERS_END if zh else _EN_MARKERS_END).sub("", core).strip()
    core = re.sub(r"^(?:for|the|a|an|what about|how about)\s+|的$", "", core, flags=re.IGNORECASE).strip()
    pattern = _TERM_ZH if zh else _TERM_EN
    if not core or not pattern.fullmatch(core):
        return None
    old = pattern.search(prev)
    if old is None or old.group(0).lower() == core.lower():
        return None
    return prev[: old.start()] + core + prev[old.end() :]


@dataclass(frozen=True, slots=True)
class RewriteContext:
    lang: str
    previous_query: str = ""
    previous_intent: str | None = None
    topic_hint: str = ""  # the previous intent's topic in this language, "" if unknown
    pending_slot: str | None = None
    slots_now: Mapping[str, SlotMatch] = field(default_factory=dict)
    slots_prev: Mapping[str, SlotMatch] = field(default_factory=dict)
    answer_topic: str = ""  # the previous answer's topic (its first cited passage's label), "" if none


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

    def _topic(self, base: str, ctx: RewriteContext, *, subject_only: bool) -> str:
        """The subject a follow-up continues: the previous question's banking terms; the previous
        answer's topic when the question named no banking term, or when the answer names the same
        subject more precisely ("card" -> "lost card"); else the question's core phrase."""
        own = self.topic_of(base, ctx.lang, subject_only=subject_only) if self._terms.search(base) else ""
        answer = ctx.answer_topic.strip()
        if (
            answer
            and _is_zh(ctx.lang) == bool(re.search(r"[\u4e00-\u9fff]", answer))
            and self._terms.search(answer)
        ):
            theirs = self.topic_of(answer, ctx.lang, subject_only=subject_only)
            if not own or (own.lower() in theirs.lower() and len(theirs) > len(own)):
                return theirs
        return own or self._core(base, ctx.lang) or ctx.topic_hint

    def _has_terms(self, text: str) -> bool:
        return bool(self._terms.search(text))

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
            if _is_zh(lang) and subject_only and 1 < len(runs) <= 3:
                # "手机银行什么时候能买外汇": the subject is both ("手机银行外汇"), not the longer one alone
                joined = "".join(dict.fromkeys(query[s:e].strip() for s, e in runs))
                if len(joined) <= 12:
                    return joined
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
        rest = re.sub(r"^(?:收|要|交|付|扣|有)", "", _ZH_QUESTION_CORE.sub("", rest)) if _is_zh(lang) else re.sub(
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
        tier = _bare_tier_follow_up(text, prev, ctx.lang) or _term_follow_up(text, prev, ctx.lang)
        if tier is None and not _is_zh(ctx.lang):
            tier = self._one_follow_up(text, prev)
        if tier is not None:
            return tier
        switched = self._switch_slots(text, prev, ctx)
        if switched is None:
            entity = self._entity_follow_up(text, prev, ctx)
            if entity is not None:
                return entity
        if not _is_zh(ctx.lang) and _EN_DUMMY_IT.search(text):
            return text
        is_follow_up = (
            self._has_marker(text, ctx.lang)
            or (self._is_attribute_only(text, ctx.lang) and self._fits_previous_intent(text, ctx))
            or self._is_bare_question(text, ctx)
        )
        if not is_follow_up and switched is None:
            return text
        if switched is not None and not self._aspect(text, ctx):
            return switched
        base = switched if switched is not None else prev
        aspect = self._aspect(text, ctx)
        if not aspect:
            return base
        # "那手续费呢" asks for another attribute of the subject; "怎么减免呢" asks about the same thing; a
        # bare "那要多久" asks about the subject, not the attribute asked before ("补卡收费吗" -> "补卡要多久").
        new_attribute = any(self._is_attribute(m.group(0), ctx.lang) for m in self._terms.finditer(aspect))
        new_attribute = new_attribute or (not self._has_terms(aspect) and self._is_bare_question(text, ctx))
        if not new_attribute and _is_modifier(aspect, ctx.lang):
            return _with_modifier(base, aspect, ctx.lang)
        said = self._strip_markers(text, ctx.lang)
        if not _is_zh(ctx.lang) and not new_attribute and _WITH.match(said):  # "and with face recognition?"
            said = said.rstrip("?.! ")
            old = re.search(r"\b(?:with|without|using)\b[^?,.;]*", base, re.IGNORECASE)
            if old:  # "…limit with face recognition" + "and with the usb key?": the one named now
                return base[: old.start()] + said + base[old.end() :]
            return _with_modifier(base, said, ctx.lang)
        topic = self._topic(base, ctx, subject_only=new_attribute)
        if not topic:
            return text
        return self._compose(topic, aspect, ctx.lang)

    def _one_follow_up(self, text: str, prev: str) -> str | None:
        """ "what about an international one?" after "can I cancel a transfer": the previous question about
        that kind of the thing it named ("can I cancel an international transfer")."""
        core = _EN_MARKERS_START.sub("", text.strip())
        core = _EN_MARKERS_END.sub("", core).strip()
        m = re.fullmatch(
            r"(?:(?:for|with)\s+)?(?:(?:a|an|the|my)\s+)?([a-z][a-z-]*(?:\s[a-z][a-z-]*)?)\s+ones?",
            core,
            re.I,
        )
        if m is None:
            return None
        spans = list(self._terms.finditer(prev))
        if not spans:
            return None
        head = max(spans, key=lambda t: t.end() - t.start())
        start = head.start()
        art = re.search(r"\b(a|an)\s+$", prev[:start], re.IGNORECASE)
        kind = m.group(1)
        if art:  # "a transfer" -> "an international transfer"
            start = art.start()
            kind = ("an " if kind[:1].lower() in "aeiou" else "a ") + kind
        return prev[:start] + kind + " " + prev[head.start() :]

    def _entity_follow_up(self, text: str, prev: str, ctx: RewriteContext) -> str | None:
        """ "那白金卡呢" / "and for a business account?": the message names one product (an entity slot)
        and nothing else; the previous question is asked again about it. It replaces a related mention
        of the previous question ("信用卡" -> "白金卡"), else the head noun it shares ("an account" -> "a
        business account"), else it is added ("白金卡" + "年费多少")."""
        mentions = [m for n, m in ctx.slots_now.items() if n in ENTITY_SLOTS]
        if not mentions:
            return None
        entity = max(mentions, key=lambda m: m.end - m.start)
        surface = entity.surface(text)
        if any(not (m.start >= entity.start and m.end <= entity.end) for m in mentions):
            return None  # two different things named: not a one-entity follow-up
        rest = (text[: entity.start] + " " + text[entity.end :]).strip()
        rest = self._strip_markers(rest, ctx.lang) if rest else ""
        if _is_zh(ctx.lang):
            rest = re.sub(r"^(?:是|的|我的|用|对于|关于|如果是|换成)+|(?:的|呢|吧|啊|呀)+$", "", rest).strip()
            rest = re.sub(r"[\s,，。？?!！]", "", rest)
        else:
            rest = re.sub(
                r"\b(?:the|a|an|my|for|with|about|on|if|it's|its|i\s+have|one)\b|[\s,?.!]",
                "",
                rest,
                flags=re.I,
            )
        if rest:
            return None
        related = _RELATED.get(entity.name, (entity.name,))
        for name in related:
            old = ctx.slots_prev.get(name)
            if old is not None and old.surface(prev) and old.surface(prev) != surface:
                return prev.replace(old.surface(prev), surface, 1)
        if _is_zh(ctx.lang):
            if surface in prev:
                return None
            return f"{surface}{prev}".rstrip("？?") + "？"
        if surface.lower() in prev.lower():
            return None
        head = surface.split()[-1]
        m = re.search(_EN_ARTICLE + rf"\b{re.escape(head)}s?\b", prev, re.IGNORECASE)
        if m:
            return prev[: m.start()] + f"a {surface}" + prev[m.end() :]
        return f"{prev.rstrip('?.! ')} for a {surface}?"

    def _is_bare_question(self, text: str, ctx: RewriteContext) -> bool:
        """ "那要多久" / "how much is it?": a short question with no subject of its own."""
        core = self._strip_markers(text, ctx.lang)
        if any(n in ENTITY_SLOTS for n in ctx.slots_now):
            return False
        if self._terms.search(core):  # a subject, or an attribute (``_is_attribute_only`` decides those)
            return False
        if _is_zh(ctx.lang):
            return len(re.sub(r"\W", "", core)) <= 8 and bool(_ZH_BARE.search(core))
        return len(core.split()) <= 6 and bool(_EN_BARE.match(core))

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
