"""What a customer asks for (the attribute) and about which variant (qualifiers), in zh and en.

Two small lexicons for ``composer``: ``ATTRIBUTES`` (limit, fee, rate, time, how, contact, documents,
condition), each a set of cue phrases; ``QUALIFIERS``: dimensions whose values tell one figure of a passage
from another (card tier, card kind, term, scope of a limit, currency, channel, destination, speed, side of
an amount). Matched longest first and case-insensitively, so ``白金卡`` is platinum and not gold.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache

from llm_backend.figures import EN_NUMBER_WORDS, cn_number

Attribute = str  # one of ATTRIBUTES' keys

# English words that carry no content: left out when words of a question and a passage are compared.
EN_STOPWORDS = frozenset(
    ["the", "and", "for", "you", "your", "are", "can", "with", "this", "that", "from", "have", "has", "will", "not", "but", "our", "all", "any", "was", "were", "its", "also", "may", "more", "when", "what", "how", "which", "who", "into", "out", "per"]
)  # fmt: skip

ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "limit": (
        "限额", "额度", "上限", "最多", "最高", "不超过", "累计", "能取多少", "能转多少", "可以取多少",
        "可以转多少", "能买多少", "可以买多少", "能存多少", "limit", "limits", "maximum", "max", "at most",
        "up to", "cap", "quota", "how much can", "how much cash can", "how much money can",
        "how much foreign currency can", "minimum", "min", "lowest", "smallest", "最低", "最少", "起存", "起点",
    ),
    "count": ("几次", "几笔", "多少次", "多少笔", "how many times", "how many attempts", "how many tries"),
    "amount": ("多少", "how much", "how many", "what amount"),
    "fee": (
        "手续费", "费用", "年费", "收费", "收取", "费", "多少钱", "违约金", "免费", "扣钱", "fee", "fees",
        "charge", "charges", "charged", "cost", "costs", "commission", "free", "price", "pay for",
    ),
    "rate": ("利率", "利息", "汇率", "年化", "费率", "rate", "rates", "interest", "apr", "yield"),
    "time": (
        "多久", "多长时间", "几天", "几个工作日", "什么时候", "何时", "几点", "时间", "到账", "营业", "期限",
        "有效期", "截止", "how long", "when", "what time", "hours", "how soon", "how quickly", "how fast",
        "arrive", "arrival", "deadline", "cut-off", "cutoff", "by when", "timing", "take to", "opening hours",
        "open on", "days", "until", "啥时候", "啥时", "哪天", "提前多久", "how far ahead", "how far in advance", "how many days",
    ),
    "how": (
        "如何", "怎么", "怎样", "步骤", "流程", "办理", "怎么办", "该怎么", "how do", "how can", "how to",
        "how should", "steps", "procedure", "what should i do", "what do i do", "what can i do",
    ),
    "contact": (
        "电话", "打什么", "联系", "热线", "找谁", "拨打", "号码", "call", "phone", "hotline", "contact", "who do i",
        "number to", "what number", "which number", "phone number",
    ),
    "age": ("多大", "几岁", "年龄", "周岁", "how old", "what age", "minimum age", "age limit"),
    "documents": (
        "证件", "材料", "带什么", "带啥", "资料", "什么信息", "哪些信息", "documents", "document", "bring", "papers",
        "id card", "what information", "what details", "what info",
    ),
    "where": ("哪里", "在哪", "哪儿", "地址", "哪个网点", "哪些网点", "where", "address", "located", "location"),
    "condition": (
        "条件", "免年费", "怎样可以免", "要求", "满足", "waive", "waived", "requirement", "requirements",
        "eligible", "qualify", "conditions",
    ),
}  # fmt: skip

# Cues that the passage clause answers the attribute (beyond carrying a figure of its kind).
ANSWER_CUES: dict[str, tuple[str, ...]] = {
    "limit": (
        "限额", "最多", "不超过", "累计", "最高", "上限", "最低", "至少", "起", "limit", "at most", "up to", "maximum",
        "no limit", "at least", "minimum",
    ),
    "fee": ("费", "免费", "免收", "收取", "fee", "free", "charge", "cost"),
    "rate": ("利率", "rate", "%"),
    "count": ("次", "笔", "times", "attempts"),
    "time": (
        "实时", "即时", "立即", "次日", "当天", "当日", "工作日", "小时", "分钟", "秒", "营业", "immediately",
        "real-time", "same day", "next day", "working day", "hours", "minutes", "seconds", "within",
    ),
    "how": (
        "拨打", "致电", "登录", "点击", "选择", "进入", "携带", "前往", "到网点", "办理", "申请", "按", "—",
        "call", "press", "tap", "choose", "select", "go to", "bring", "visit", "apply", "open", " > ",
        "log in", "in the app",
    ),
    "contact": ("95396", "96110", "110", "电话", "拨打", "热线", "号码", "call", "phone", "hotline", "number"),
    "age": ("周岁", "岁", "aged", "years old", "or over", "or older", "age", "minor", "未成年"),
    "documents": ("身份证", "护照", "证件", "居留", "户口", "passport", "id card", "identity", "permit", "documents"),
    "where": ("路", "号", "区", "支行", "营业部", "网点", "road", "street", "avenue", "district", "branch", "sub-branch"),
    "condition": ("满", "免", "须", "需", "至少", "以上", "waive", "waived", "at least", "must", "if ", "provided"),
}  # fmt: skip

# Figure kinds that state each attribute (an answer's figure of such a kind must agree with the evidence).
FIGURE_KINDS: dict[str, frozenset[str]] = {
    "limit": frozenset({"amount", "rate"}),  # "up to 50% of your credit limit"
    "fee": frozenset({"amount", "rate"}),
    "rate": frozenset({"rate"}),
    "time": frozenset({"duration", "clock"}),
    "count": frozenset({"count"}),
    "amount": frozenset({"amount", "rate", "count"}),
}

QUALIFIERS: dict[str, dict[str, tuple[str, ...]]] = {
    "tier": {
        "classic": ("经典卡", "普卡", "classic", "standard card", "standard debit"),
        "gold": ("金卡", "gold"),
        "platinum": ("白金卡", "白金", "platinum"),
    },
    "card": {
        "credit": ("信用卡", "贷记卡", "credit card", "credit cards"),
        "debit": ("借记卡", "储蓄卡", "debit card", "debit cards"),
    },
    "scope": {
        "txn": (
            "单笔", "每笔", "一笔", "单次", "每次", "per transfer", "per transaction", "per withdrawal",
            "per remittance", "each transfer", "each transaction", "at a time", "in one go", "single",
            "one transfer", "one transaction", "per payment",
        ),
        "day": ("每日", "每天", "日累计", "单日", "一天", "当日累计", "daily", "per day", "a day", "each day"),
        "year": ("每年", "年累计", "全年", "per year", "a year", "yearly", "each year", "calendar year"),
    },
    "currency": {
        "usd": ("美元", "美金", "usd", "us dollar", "us dollars"),
        "hkd": ("港币", "港元", "hkd", "hong kong dollar"),
        "eur": ("欧元", "eur", "euro", "euros"),
        "gbp": ("英镑", "gbp", "pound", "pounds"),
        "jpy": ("日元", "jpy", "yen"),
        "rmb": ("人民币", "rmb", "cny"),
    },
    "channel": {
        "app": (
            "手机银行", "网上银行", "手机上", "用手机", "在手机", "手机转账", "app", "mobile banking", "mobile app",
            "internet banking", "online banking", "online", "on my phone",
        ),
        "counter": ("柜台", "柜面", "counter", "teller"),
        "atm": ("atm", "取款机", "自动柜员机"),
    },
    "dest": {
        "own": ("本行", "行内", "海港银行账户", "to a harbor bank account", "within harbor bank"),
        "other": ("他行", "跨行", "其他银行", "别的银行", "another bank", "other bank", "other banks"),
        "abroad": ("境外", "国外", "海外", "abroad", "overseas", "cross-border"),
    },
    "speed": {
        "fast": (
            "实时", "即时", "快速", "立即", "马上", "数秒", "秒到", "最快", "real-time", "real time", "instant",
            "instantly", "immediately", "fast", "fastest", "quick", "quickest", "within seconds", "seconds",
        ),
        "slow": (
            "延时", "次日", "下一个工作日", "2小时后", "24小时后", "delayed", "next day", "next working day",
            "within 2 hours", "2 hours", "slow",
        ),
    },
    # account classes (Type I/II/III; NFKC spells Ⅱ as "ii", and the phrases are matched normalised)
    "account": {
        "type1": ("i类", "一类户", "一类账户", "type i", "class i"),
        "type2": ("ii类", "二类户", "二类账户", "type ii", "class ii"),
        "type3": ("iii类", "三类户", "三类账户", "type iii", "class iii"),
    },
    "deposit": {
        "demand": ("活期", "demand deposit", "demand", "current account"),
        "time": ("定期", "整存整取", "定存", "time deposit", "fixed deposit", "fixed", "fixed-term", "lump sum", "lump-sum"),
        "cd": ("大额存单", "certificate of deposit", "certificates of deposit", "large cd", "cd"),
        "notice": ("通知存款", "notice deposit"),
        "regular": ("零存整取", "regular savings"),
    },
    "basis": {
        "monthly": ("每期", "每月", "月手续费", "monthly", "a month", "per month", "each month"),
        "total": ("总手续费", "总费用", "总共", "一共", "total", "in total", "altogether"),
        "annualised": ("年化", "折合年化", "apr", "annualised", "annualized", "effective annual"),
    },
    "day": {
        "holiday": (
            "节假日", "假期", "元旦", "春节", "国庆", "过年", "public holiday", "holiday", "holidays",
            "new year", "spring festival",
        ),
        "weekend": (
            "周末", "周六", "周日", "星期六", "星期天", "星期日", "weekend", "weekends", "saturday", "sunday", "saturdays",
            "sundays", "sat", "sun", "sat-sun",
        ),
        "weekday": (
            "周一至周五", "周一到周五", "工作日", "星期一至星期五", "mon-fri", "monday to friday", "weekday", "weekdays",
            "working day", "working days",
        ),
    },
    "side": {
        "over": ("以上", "超过", "大于", "over", "above", "more than", "exceeding"),
        "under": ("以下", "以内", "不超过", "不足", "up to", "below", "under", "less than"),
    },
}  # fmt: skip

# Terms: a number with a period unit (3年, 三个月, 3-year, 12 months, 6期, 12 instalments).
_EN_NUMBERS = {w: i for i, w in enumerate(EN_NUMBER_WORDS)}
_TERM = re.compile(
    r"(\d+|[一二两三四五六七八九十]+|\b(?:" + "|".join(_EN_NUMBERS) + r"))\s?(?:个)?[\s-]?"
    r"(年期|年|个月|月期|月|期|天|日|years?|yrs?|months?|mths?|mos?|instalments?|installments?|days?)(?![a-z])",
    re.IGNORECASE,
)
_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
_DATE = re.compile(
    rf"(\d{{4}}年)?\d{{1,2}}月\d{{1,2}}[日号]|\d{{4}}年\d{{1,2}}月|\d{{1,2}}(st|nd|rd|th)?\s(?:{_MONTHS})(\s\d{{4}})?|"
    rf"(?:{_MONTHS})\s\d{{1,2}}(st|nd|rd|th)?(,?\s\d{{4}})?|每月\d{{1,2}}[日号]"
)
_TERM_UNIT = {"年期": "y", "年": "y", "个月": "m", "月期": "m", "月": "m", "期": "n", "天": "d", "日": "d"}


class _Phrases:
    """Finds lexicon phrases in a (normalised) text in one left-to-right scan, longest first, without
    overlaps; a phrase that starts or ends with a Latin letter or digit must stand as a whole word. Much
    faster than one regex alternation of hundreds of phrases (the composer reads ~100 clauses a turn)."""

    def __init__(self, table: Mapping[str, Mapping[str, tuple[str, ...]]]) -> None:
        by_first: dict[str, list[tuple[str, tuple[str, str]]]] = {}
        for group, values in table.items():
            for value, phrases in values.items():
                for phrase in phrases:
                    by_first.setdefault(phrase[0], []).append((phrase, (group, value)))
        self._by_first = {k: sorted(v, key=lambda x: -len(x[0])) for k, v in by_first.items()}

    def find(self, text: str) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        i, n = 0, len(text)
        while i < n:
            for phrase, found in self._by_first.get(text[i], ()):
                end = i + len(phrase)
                if not text.startswith(phrase, i):
                    continue
                if (
                    phrase[0].isascii()
                    and phrase[0].isalnum()
                    and i > 0
                    and text[i - 1].isascii()
                    and text[i - 1].isalnum()
                ):
                    continue
                if (
                    phrase[-1].isascii()
                    and phrase[-1].isalnum()
                    and end < n
                    and text[end].isascii()
                    and text[end].isalnum()
                ):
                    continue
                out.append(found)
                i = end - 1
                break
            i += 1
        return out


_ATTR = _Phrases({"attribute": ATTRIBUTES})
_QUAL = _Phrases(QUALIFIERS)


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


_COST_PART = re.compile(r"(?:\band|,|，)\s*how much\s*(?:is it|does it cost|will it cost)?\s*[?？!.]*$")


def attributes_asked(question: str) -> frozenset[str]:
    """The attributes a question asks for. "How" gives way to a figure attribute asked beside it
    ("how much is the fee", "怎么收费" ask for a fee, not for steps)."""
    text = normalise(question)
    found = {value for _, value in _ATTR.find(text)}
    if "amount" in found and found - {"amount", "how"}:
        found.discard("amount")  # "多少" beside a fee, a limit, a rate: that is what is asked
        if _COST_PART.search(text):
            found.add("fee")  # "how fast can you send it and how much": the other part asks the cost
    if "amount" in found:
        found.discard("how")  # "how much"
    if "how" in found and found & {"fee", "limit", "rate", "time"}:
        strong = re.search(
            r"how (do|can|should) i|how to|步骤|流程|如何(申请|办理|开通)|怎么(办|申请|办理|开通)", text
        )
        if not strong:
            found.discard("how")
    return frozenset(found)


def _term_values(text: str) -> set[str]:
    out: set[str] = set()
    for m in _TERM.finditer(text):
        raw = m.group(1).lower()
        n = int(raw) if raw.isdigit() else _EN_NUMBERS[raw] if raw in _EN_NUMBERS else cn_number(raw)
        if n is None or n > 60:
            continue
        unit_word = m.group(2).lower()
        unit = _TERM_UNIT.get(unit_word) or {"y": "y", "m": "m", "i": "n", "d": "d"}[unit_word[0]]
        out.add(f"{n}{unit}")
        if unit == "y":
            out.add(f"{n * 12}m")
        if unit in ("m", "n"):  # a 12-month plan is 12 instalments; 12 months is a year
            out.update({f"{n}m", f"{n}n"})
            if n % 12 == 0:
                out.add(f"{n // 12}y")
    return out


@lru_cache(maxsize=8192)
def qualifiers(text: str) -> dict[str, frozenset[str]]:
    """Dimension -> values named in ``text`` (``{"tier": {"gold"}, "scope": {"day"}, "term": {"3y", "36m"}}``).
    Cached: treat the result as read-only."""
    norm = normalise(text)
    found: dict[str, set[str]] = {}
    for dim, value in _QUAL.find(norm):
        found.setdefault(dim, set()).add(value)
    out = {dim: frozenset(values) for dim, values in found.items()}
    terms = _term_values(_DATE.sub(" ", norm))
    if terms:
        out["term"] = frozenset(terms)
    branches = branch_names(norm)
    if branches:
        out["branch"] = branches
    return out


# A named branch ("the Airport Sub-branch", "东湾支行", "总行营业部"): a place whose hours, address or
# services are not another branch's. Its distinctive word is the value ("airport", "东湾", "总行").
_BRANCH_EN = re.compile(r"\b(head office|[a-z]+)(?: sub-branch| branch| office)\b|\bhead office\b")
_BRANCH_ZH = re.compile(r"([\u4e00-\u9fff]{2,3}?)(?:支行|营业部|分行)|总行")
_NOT_A_NAME = frozenset(
    ["the", "a", "an", "any", "your", "our", "my", "nearest", "which", "each", "every", "other", "this", "that", "one",
     "local", "main", "same", "another", "no", "all", "some", "sub", "most", "bank", "head", "post",
     "任一", "各", "哪个", "哪家", "其他", "所有", "附近", "每个", "该", "本", "各个", "任何", "一家", "哪些", "这个", "那个",
     "的", "营业"]
)  # fmt: skip


def branch_names(norm: str) -> frozenset[str]:
    """The named branches of a normalised text (NFKC, case-folded): "airport", "head office", "东湾", "总行"."""
    out: set[str] = set()
    for m in _BRANCH_EN.finditer(norm):
        name = m.group(1) or "head office"
        name = "head office" if name == "head" else name
        if name not in _NOT_A_NAME:
            out.add(name)
    for m in _BRANCH_ZH.finditer(norm):
        name = m.group(1) or "总行"
        if name == "总行" or not any(w in name for w in _NOT_A_NAME if not w.isascii()):
            out.add(name)
    return frozenset(out)


def answers_attribute(text: str, attribute: str, kinds: frozenset[str]) -> bool:
    """Whether a clause states the attribute: a figure of its kind (``kinds``: the kinds the clause carries),
    or one of its cue words."""
    need = FIGURE_KINDS.get(attribute)
    if need is not None and kinds & need:
        return True
    norm = normalise(text)
    return any(cue in norm for cue in ANSWER_CUES.get(attribute, ()))
