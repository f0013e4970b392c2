"""Slot recognizers: small declarative classes (lexicons, patterns, one normaliser) in one registry.

Slots are read from the *masked* text. A privacy placeholder such as ``<CREDIT_CARD_1>`` is evidence for a
slot (``card_number = "<CREDIT_CARD_1>"``): the placeholder is the value; nothing is ever unmasked here.
When one slot is mentioned several times in a message the last mention wins ("不是信用卡，是借记卡").
Bare answers ("credit", "借记") count only when the bot has just asked for that slot.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Protocol

from dialog.numbers import CN_NUMERAL_CHARS, format_amount, parse_amount, parse_cn_number


@dataclass(frozen=True, slots=True)
class SlotMatch:
    name: str
    value: str  # canonical: "credit", "5000 CNY", "2024-03-05", "<CREDIT_CARD_1>"
    start: int
    end: int

    def surface(self, text: str) -> str:
        return text[self.start : self.end]


@dataclass(frozen=True, slots=True)
class SlotContext:
    today: date
    pending_slot: str | None = None


class SlotRecognizer(Protocol):
    """Finds mentions of one or more slots; returns them in text order, spans into ``text``."""

    def find(self, text: str, ctx: SlotContext) -> list[SlotMatch]: ...


def _term_regex(term: str) -> str:
    """Latin terms match whole words (optional plural s); Han terms match anywhere."""
    escaped = re.escape(term).replace(r"\ ", r"\s+")
    if term[-1:].isascii() and term[-1:].isalpha():
        return rf"(?<![A-Za-z]){escaped}(?:s|es)?(?![A-Za-z])"
    if term[:1].isascii() and term[:1].isalpha():
        return rf"(?<![A-Za-z]){escaped}"
    return escaped


@dataclass(frozen=True)
class LexiconRecognizer:
    """``terms``: canonical value -> surface forms (any language). Longest surface form wins at a position.

    ``bare_terms`` are accepted only while ``slot`` is the pending clarification.
    """

    slot: str
    terms: Mapping[str, Sequence[str]]
    bare_terms: Mapping[str, Sequence[str]] = field(default_factory=dict)

    def _compile(self, table: Mapping[str, Sequence[str]]) -> tuple[re.Pattern[str], dict[str, str]]:
        by_surface: dict[str, str] = {}
        for value, forms in table.items():
            for form in forms:
                by_surface[form.lower()] = value
        ordered = sorted(by_surface, key=len, reverse=True)
        pattern = re.compile("|".join(f"(?:{_term_regex(t)})" for t in ordered), re.IGNORECASE)
        return pattern, by_surface

    def __post_init__(self) -> None:
        object.__setattr__(self, "_main", self._compile(self.terms))
        object.__setattr__(self, "_bare", self._compile(self.bare_terms) if self.bare_terms else None)

    @staticmethod
    def _lookup(surface: str, by_surface: Mapping[str, str]) -> str | None:
        key = re.sub(r"\s+", " ", surface.lower())
        if key in by_surface:
            return by_surface[key]
        for suffix in ("es", "s"):
            if key.endswith(suffix) and key[: -len(suffix)] in by_surface:
                return by_surface[key[: -len(suffix)]]
        return None

    def find(self, text: str, ctx: SlotContext) -> list[SlotMatch]:
        tables = [self._main]  # type: ignore[attr-defined]
        if ctx.pending_slot == self.slot and self._bare is not None:  # type: ignore[attr-defined]
            tables.append(self._bare)  # type: ignore[attr-defined]
        out: list[SlotMatch] = []
        for n, (pattern, by_surface) in enumerate(tables):
            for m in pattern.finditer(text):  # one pattern's matches never overlap each other
                value = self._lookup(m.group(0), by_surface)
                if value is None:
                    continue
                if n and any(o.start < m.end() and m.start() < o.end for o in out):
                    continue  # a bare answer inside a full term ("信用" in "信用卡")
                out.append(SlotMatch(self.slot, value, m.start(), m.end()))
        return sorted(out, key=lambda s: s.start) if len(tables) > 1 else out


# --- amounts ---------------------------------------------------------------------------------------------

_CURRENCY_WORDS: dict[str, tuple[str, ...]] = {
    "CNY": ("人民币", "元", "块钱", "块", "rmb", "cny", "yuan", "¥", "￥"),
    "USD": ("美元", "美金", "usd", "us$", "dollars", "dollar", "$"),
    "HKD": ("港币", "港元", "hkd", "hk$"),
    "EUR": ("欧元", "eur", "euros", "euro", "€"),
    "GBP": ("英镑", "gbp", "pounds", "£"),
    "JPY": ("日元", "jpy", "yen"),
}
_CUR_BY_WORD = {w: code for code, words in _CURRENCY_WORDS.items() for w in words}
_CUR_ALT = "|".join(re.escape(w) for w in sorted(_CUR_BY_WORD, key=len, reverse=True))
_NUM = rf"(?:\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?)[kKwW万千]?|[{CN_NUMERAL_CHARS}]+"
_AMOUNT_VERBS = r"(?:转账|转给|转|汇款|汇|取款|取现|取|存款|存|还款|还|付款|支付|付|借|贷|充值|充|提现|额度|金额|限额|transfer(?:red)?|send|sent|pay|paid|withdraw|deposit|top\s?up|borrow|limit|amount|of)"
_AMOUNT = re.compile(
    rf"(?P<pre>{_CUR_ALT})?\s*(?<![\d.,])(?P<num>{_NUM})(?![\d.,]*\d)\s*(?P<post>{_CUR_ALT})?(?![A-Za-z])",
    re.IGNORECASE,
)
_VERB_BEFORE = re.compile(rf"{_AMOUNT_VERBS}\s*$", re.IGNORECASE)


class AmountRecognizer:
    """Money amounts. A bare number counts only right after a money verb (转5000, transfer 500)."""

    slot = "amount"

    def find(self, text: str, ctx: SlotContext) -> list[SlotMatch]:
        out: list[SlotMatch] = []
        for m in _AMOUNT.finditer(text):
            pre, post, num = m.group("pre"), m.group("post"), m.group("num")
            if pre is None and post is None and not _VERB_BEFORE.search(text[: m.start("num")]):
                continue
            if post and post.lower() in ("元", "块") and not num.strip():
                continue
            value = parse_amount(num)
            if value is None or value <= 0:
                continue
            if all(ch in CN_NUMERAL_CHARS for ch in num) and len(num) == 1 and not (pre or post):
                continue  # a lone 一 after a verb is an article, not an amount
            word = (pre or post or "").lower()
            currency = _CUR_BY_WORD.get(word, "")
            canonical = format_amount(value) + (f" {currency}" if currency else "")
            start = m.start("pre") if pre else m.start("num")
            end = m.end("post") if post else m.end("num")
            out.append(SlotMatch(self.slot, canonical, start, end))
        return out


# --- dates -----------------------------------------------------------------------------------------------

_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ]
    )
    for m in names
}
_MONTH_ALT = "|".join(sorted(_MONTHS, key=len, reverse=True))
_RELATIVE_DAYS = {
    "大前天": -3,
    "前天": -2,
    "昨天": -1,
    "昨日": -1,
    "今天": 0,
    "今日": 0,
    "明天": 1,
    "明日": 1,
    "后天": 2,
    "the day before yesterday": -2,
    "yesterday": -1,
    "today": 0,
    "tonight": 0,
    "tomorrow": 1,
    "the day after tomorrow": 2,
}
_RELATIVE_MONTHS = {
    "上个月": -1,
    "上月": -1,
    "这个月": 0,
    "本月": 0,
    "下个月": 1,
    "下月": 1,
    "last month": -1,
    "this month": 0,
    "next month": 1,
}
_CN_OR_ARABIC = rf"(?:\d{{1,2}}|[{CN_NUMERAL_CHARS}]{{1,3}})"
_DATE_PATTERNS = (
    ("ymd", re.compile(r"(?<!\d)(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?(?!\d)")),
    ("md_zh", re.compile(rf"(?<!\d)({_CN_OR_ARABIC})\s*月\s*({_CN_OR_ARABIC})\s*[日号]")),
    (
        "md_en",
        re.compile(
            rf"(?<![A-Za-z])({_MONTH_ALT})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s*(\d{{4}}))?(?![\d])",
            re.IGNORECASE,
        ),
    ),
    (
        "dm_en",
        re.compile(
            rf"(?<!\d)(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH_ALT})(?![A-Za-z])(?:,?\s*(\d{{4}}))?",
            re.IGNORECASE,
        ),
    ),
    (
        "rel_day",
        re.compile("|".join(re.escape(k) for k in sorted(_RELATIVE_DAYS, key=len, reverse=True)), re.I),
    ),
    (
        "rel_month",
        re.compile("|".join(re.escape(k) for k in sorted(_RELATIVE_MONTHS, key=len, reverse=True)), re.I),
    ),
)


def _small_int(text: str) -> int | None:
    return int(text) if text.isdigit() else parse_cn_number(text)


def _shift_month(day: date, months: int) -> str:
    index = day.year * 12 + day.month - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


class DateRecognizer:
    """Dates as ISO text (``2024-03-05``; a month as ``2024-03``), relative ones resolved against today."""

    slot = "date"

    def _value(self, kind: str, m: re.Match[str], today: date) -> str | None:
        try:
            if kind == "ymd":
                return date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
            if kind == "md_zh":
                month, day = _small_int(m.group(1)), _small_int(m.group(2))
                if month is None or day is None:
                    return None
                return date(today.year, month, day).isoformat()
            if kind in ("md_en", "dm_en"):
                mon, day_s = (m.group(1), m.group(2)) if kind == "md_en" else (m.group(2), m.group(1))
                year = int(m.group(3)) if m.group(3) else today.year
                return date(year, _MONTHS[mon.lower()], int(day_s)).isoformat()
        except ValueError:
            return None
        if kind == "rel_day":
            return (today + timedelta(days=_RELATIVE_DAYS[m.group(0).lower()])).isoformat()
        return _shift_month(today, _RELATIVE_MONTHS[m.group(0).lower()])

    def find(self, text: str, ctx: SlotContext) -> list[SlotMatch]:
        out: list[SlotMatch] = []
        for kind, pattern in _DATE_PATTERNS:
            for m in pattern.finditer(text):
                if any(o.start < m.end() and m.start() < o.end for o in out):
                    continue
                value = self._value(kind, m, ctx.today)
                if value is not None:
                    out.append(SlotMatch(self.slot, value, m.start(), m.end()))
        return sorted(out, key=lambda s: s.start)


# --- privacy placeholders ----------------------------------------------------------------------------------

PLACEHOLDER = re.compile(r"<(?P<type>[A-Z][A-Z0-9_]*?)_(?P<n>\d+)>")

DEFAULT_PLACEHOLDER_SLOTS: Mapping[str, str] = {
    "CREDIT_CARD": "card_number",
    "CN_BANK_CARD": "card_number",
    "BANK_CARD": "card_number",
    "BANK_ACCOUNT": "account_number",
    "CN_BANK_ACCOUNT": "account_number",
    "IBAN_CODE": "account_number",
    "US_BANK_NUMBER": "account_number",
    "PHONE_NUMBER": "phone",
    "CN_MOBILE": "phone",
    "EMAIL_ADDRESS": "email",
    "CN_ID_CARD": "id_number",
    "DATE_TIME": "date",
}


@dataclass(frozen=True)
class PlaceholderRecognizer:
    """``<CREDIT_CARD_1>`` -> ``card_number = "<CREDIT_CARD_1>"`` (entity type -> slot, configurable)."""

    slot_by_entity: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_PLACEHOLDER_SLOTS))

    def find(self, text: str, ctx: SlotContext) -> list[SlotMatch]:
        out = []
        for m in PLACEHOLDER.finditer(text):
            slot = self.slot_by_entity.get(m.group("type"))
            if slot is not None:
                out.append(SlotMatch(slot, m.group(0), m.start(), m.end()))
        return out


# --- the default registry --------------------------------------------------------------------------------

CARD_TYPE = LexiconRecognizer(
    "card_type",
    {
        "credit": ("信用卡", "贷记卡", "credit card", "creditcard"),
        "debit": ("借记卡", "储蓄卡", "debit card", "debitcard"),
        "prepaid": ("预付卡", "prepaid card"),
    },
    bare_terms={
        "credit": ("信用", "credit", "信用的"),
        "debit": ("借记", "储蓄", "debit", "借记的"),
        "prepaid": ("预付", "prepaid"),
    },
)
PRODUCT = LexiconRecognizer(
    "product",
    {
        "credit_card": ("信用卡", "贷记卡", "credit card"),
        "debit_card": ("借记卡", "储蓄卡", "debit card"),
        "mortgage": ("房贷", "按揭", "住房贷款", "mortgage", "home loan"),
        "car_loan": ("车贷", "汽车贷款", "car loan", "auto loan"),
        "loan": ("贷款", "借款", "消费贷", "信用贷", "personal loan", "loan"),
        "deposit": ("定期存款", "大额存单", "存款", "fixed deposit", "term deposit", "time deposit"),
        "wealth": ("理财", "基金", "wealth management", "mutual fund", "investment product"),
        "insurance": ("保险", "insurance"),
        "fx": ("外汇", "换汇", "购汇", "结汇", "外币", "foreign exchange", "currency exchange", "forex"),
        "mobile_banking": ("手机银行", "网上银行", "网银", "mobile banking", "online banking", "banking app"),
        "transfer": ("转账", "汇款", "跨行转账", "境外汇款", "transfer", "wire transfer", "remittance"),
    },
)
CARD_TIER = LexiconRecognizer(
    "card_tier",
    {
        "classic": ("经典卡", "classic card"),
        "gold": ("金卡", "gold card"),
        "platinum": ("白金卡", "platinum card"),
        "standard": ("普通卡", "标准卡", "standard card"),
    },
    bare_terms={
        "classic": ("经典", "classic"),
        "gold": ("金", "gold"),
        "platinum": ("白金", "platinum"),
        "standard": ("普通", "标准", "standard"),
    },
)
ACCOUNT_TYPE = LexiconRecognizer(
    "account_type",
    {
        "savings": ("储蓄账户", "活期账户", "活期", "savings account"),
        "current": (
            "支票账户",
            "对公账户",
            "公司账户",
            "企业账户",
            "checking account",
            "current account",
            "cheque account",
            "business account",
            "corporate account",
            "company account",
        ),
        "fixed": ("定期账户", "定期", "fixed deposit account", "term deposit account"),
    },
    bare_terms={"savings": ("储蓄", "savings"), "current": ("checking", "current", "支票"), "fixed": ()},
)
CURRENCY = LexiconRecognizer(
    "currency",
    {
        "CNY": ("人民币", "rmb", "renminbi", "chinese yuan"),
        "USD": ("美元", "美金", "us dollar", "usd"),
        "HKD": ("港币", "港元", "hong kong dollar", "hkd"),
        "EUR": ("欧元", "euro", "eur"),
        "GBP": ("英镑", "british pound", "gbp"),
        "JPY": ("日元", "japanese yen", "jpy"),
    },
)
CHANNEL = LexiconRecognizer(
    "channel",
    {
        "app": ("手机银行", "手机app", "app", "mobile banking", "banking app"),
        "online": ("网上银行", "网银", "online banking", "internet banking", "website"),
        "branch": ("网点", "营业厅", "柜台", "支行", "branch", "counter"),
        "atm": ("取款机", "自动柜员机", "atm"),
        "phone": ("电话银行", "phone banking"),
    },
)


def default_recognizers() -> list[SlotRecognizer]:
    return [CARD_TYPE, CARD_TIER, PRODUCT, ACCOUNT_TYPE, CURRENCY, CHANNEL, AmountRecognizer(), DateRecognizer(),
            PlaceholderRecognizer()]  # fmt: skip


class SlotExtractor:
    """Runs the recognizers; per slot, the last mention in the message wins."""

    def __init__(self, recognizers: Iterable[SlotRecognizer] | None = None) -> None:
        self._recognizers = list(recognizers) if recognizers is not None else default_recognizers()

    def find_all(self, text: str, ctx: SlotContext) -> list[SlotMatch]:
        found: list[SlotMatch] = []
        for r in self._recognizers:
            found.extend(r.find(text, ctx))
        return sorted(found, key=lambda s: (s.start, s.name))

    def extract(self, text: str, ctx: SlotContext) -> dict[str, SlotMatch]:
        out: dict[str, SlotMatch] = {}
        for match in self.find_all(text, ctx):
            out[match.name] = match
        return out


SLOT_LABELS: Mapping[tuple[str, str], Mapping[str, str]] = {
    ("card_type", "credit"): {"zh": "信用卡", "en": "credit card"},
    ("card_type", "debit"): {"zh": "借记卡", "en": "debit card"},
    ("card_type", "prepaid"): {"zh": "预付卡", "en": "prepaid card"},
    ("account_type", "savings"): {"zh": "储蓄账户", "en": "savings account"},
    ("account_type", "current"): {"zh": "支票账户", "en": "current account"},
    ("account_type", "fixed"): {"zh": "定期账户", "en": "fixed deposit account"},
    ("product", "credit_card"): {"zh": "信用卡", "en": "credit card"},
    ("product", "debit_card"): {"zh": "借记卡", "en": "debit card"},
    ("product", "mortgage"): {"zh": "房贷", "en": "mortgage"},
    ("product", "car_loan"): {"zh": "车贷", "en": "car loan"},
    ("product", "loan"): {"zh": "贷款", "en": "loan"},
    ("product", "deposit"): {"zh": "定期存款", "en": "fixed deposit"},
    ("product", "wealth"): {"zh": "理财产品", "en": "wealth management product"},
    ("product", "insurance"): {"zh": "保险", "en": "insurance"},
    ("product", "fx"): {"zh": "外汇", "en": "foreign exchange"},
    ("product", "mobile_banking"): {"zh": "手机银行", "en": "mobile banking"},
    ("product", "transfer"): {"zh": "转账", "en": "transfers"},
    ("card_tier", "classic"): {"zh": "经典卡", "en": "Classic card"},
    ("card_tier", "gold"): {"zh": "金卡", "en": "Gold card"},
    ("card_tier", "platinum"): {"zh": "白金卡", "en": "Platinum card"},
    ("card_tier", "standard"): {"zh": "普通卡", "en": "Standard card"},
}


def slot_label(name: str, value: str, lang: str) -> str:
    """Human wording of a slot value in ``lang`` (falls back to the value itself)."""
    labels = SLOT_LABELS.get((name, value))
    if labels is None:
        return value
    return labels.get(lang) or labels.get("en") or value
