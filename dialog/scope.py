"""What a question is about that the tenant's knowledge base is not: another institution, a product line.

Two checks the policy runs on a retrieval that looks good enough, reading only the question and the
retrieved passages' text (``RetrievalSignal.passages``), so they follow each tenant's own KB:

- ``other_institution``: the question names a bank or payment firm from ``INSTITUTIONS`` (or the tenant's
  ``PolicyConfig.other_institutions``) that none of the passages mentions, does not name the tenant's own
  bank, and does not name it as the other side of a transfer or an ATM ("转账到工商银行", "at an ICBC ATM").
  A bank named that way is asked about its own products (招商银行信用卡的年费, HSBC's fees): the answer is
  "I can only answer about our bank". A payment firm (WeChat Pay, Apple Pay ...) named beside the own
  bank ("link my Harbor card to Apple Pay") that no passage mentions is ``not_covered`` instead.
- ``not_covered``: the question is about a product line (``PRODUCT_LINES``: loans, insurance, funds,
  stocks, pensions, gold, crypto, safe-deposit boxes) that none of the passages mentions: the passages are
  about something else, and an answer from them would be unrelated or invented.

The tenant's own bank is recognised by ``PolicyConfig.own_names`` and, with no configuration, by any
institution-shaped name in the question ("海港银行", "Harbor Bank") that the passages also contain: a
bank's KB names the bank everywhere.

A term match, not understanding: a passage that mentions a loan only to warn about loan scams "covers"
loans, so the checks err towards answering.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

Kind = Literal["bank", "payment"]

# Well-known Chinese and international banks and payment firms: canonical name -> (kind, aliases).
# Aliases are matched case-insensitively on NFKC text; English ones on word boundaries.
INSTITUTIONS: Mapping[str, tuple[Kind, tuple[str, ...]]] = {
    "工商银行": ("bank", ("工商银行", "工行", "icbc", "industrial and commercial bank")),
    "建设银行": ("bank", ("建设银行", "建行", "ccb", "china construction bank")),
    "农业银行": ("bank", ("农业银行", "农行", "abc bank", "agricultural bank of china")),
    "中国银行": ("bank", ("中国银行", "中行", "bank of china", "boc")),
    "交通银行": ("bank", ("交通银行", "交行", "bank of communications", "bocom")),
    "邮储银行": ("bank", ("邮储银行", "邮政储蓄银行", "邮储", "postal savings bank")),
    "招商银行": ("bank", ("招商银行", "招行", "china merchants bank", "cmb")),
    "浦发银行": ("bank", ("浦发银行", "浦发", "spd bank", "shanghai pudong development bank")),
    "中信银行": ("bank", ("中信银行", "china citic bank", "citic bank")),
    "光大银行": ("bank", ("光大银行", "china everbright bank", "everbright bank")),
    "民生银行": ("bank", ("民生银行", "china minsheng bank", "minsheng bank")),
    "兴业银行": ("bank", ("兴业银行", "industrial bank")),
    "平安银行": ("bank", ("平安银行", "ping an bank")),
    "华夏银行": ("bank", ("华夏银行", "hua xia bank")),
    "广发银行": ("bank", ("广发银行", "china guangfa bank", "cgb")),
    "北京银行": ("bank", ("北京银行", "bank of beijing")),
    "上海银行": ("bank", ("上海银行", "bank of shanghai")),
    "宁波银行": ("bank", ("宁波银行", "bank of ningbo")),
    "微众银行": ("bank", ("微众银行", "webank")),
    "网商银行": ("bank", ("网商银行", "mybank")),
    "汇丰银行": ("bank", ("汇丰银行", "汇丰", "hsbc")),
    "渣打银行": ("bank", ("渣打银行", "渣打", "standard chartered")),
    "花旗银行": ("bank", ("花旗银行", "花旗", "citibank", "citi")),
    "东亚银行": ("bank", ("东亚银行", "bank of east asia", "bea")),
    "恒生银行": ("bank", ("恒生银行", "hang seng bank")),
    "星展银行": ("bank", ("星展银行", "dbs bank", "dbs")),
    "摩根大通": ("bank", ("摩根大通", "jpmorgan", "jp morgan", "chase")),
    "美国银行": ("bank", ("美国银行", "bank of america")),
    "富国银行": ("bank", ("富国银行", "wells fargo")),
    "巴克莱银行": ("bank", ("巴克莱银行", "巴克莱", "barclays")),
    "德意志银行": ("bank", ("德意志银行", "deutsche bank")),
    "瑞银": ("bank", ("瑞银", "瑞士银行", "ubs")),
    "法国巴黎银行": ("bank", ("法国巴黎银行", "bnp paribas")),
    "三菱日联银行": ("bank", ("三菱日联银行", "mufg")),
    "支付宝": ("payment", ("支付宝", "花呗", "借呗", "余额宝", "蚂蚁", "alipay", "ant group")),
    "微信支付": ("payment", ("微信支付", "财付通", "零钱通", "wechat pay", "weixin pay", "tenpay")),
    "云闪付": ("payment", ("云闪付", "quickpass")),
    "京东金融": ("payment", ("京东金融", "京东白条", "白条", "jd finance")),
    "美团": ("payment", ("美团月付", "美团支付", "meituan")),
    "Apple Pay": ("payment", ("apple pay", "苹果支付")),
    "Google Pay": ("payment", ("google pay", "谷歌支付")),
    "Samsung Pay": ("payment", ("samsung pay",)),
    "PayPal": ("payment", ("paypal", "贝宝")),
    "Stripe": ("payment", ("stripe",)),
    "Wise": ("payment", ("transferwise", "wise transfer")),
    "Western Union": ("payment", ("western union", "西联汇款", "西联")),
    "Visa": ("payment", ("visa card", "visa卡", "维萨")),
    "Mastercard": ("payment", ("mastercard", "万事达")),
    "UnionPay": ("payment", ("unionpay", "银联")),
    "American Express": ("payment", ("american express", "amex", "美国运通")),
}

# Product lines a bank may or may not offer: class -> terms. Longer terms win ("存款保险" is not
# insurance, "保险箱" is a box); a question's classes must each be mentioned by some passage.
PRODUCT_LINES: Mapping[str, tuple[str, ...]] = {
    "loan": (
        "贷款",
        "借款",
        "房贷",
        "车贷",
        "按揭",
        "信用贷",
        "消费贷",
        "经营贷",
        "loan",
        "mortgage",
        "borrow",
    ),  # fmt: skip
    "insurance": ("保险", "车险", "寿险", "医疗险", "意外险", "insurance"),
    "fund": ("基金", "理财", "fund", "wealth management"),
    "stock": ("股票", "股市", "炒股", "股价", "证券", "stock", "stocks", "shares", "securities", "ipo"),
    "pension": ("养老金", "年金", "pension", "annuity", "retirement account"),
    "gold": ("黄金", "贵金属", "积存金", "金条", "gold bar", "bullion", "precious metal"),
    "crypto": (
        "比特币",
        "加密货币",
        "虚拟货币",
        "数字货币",
        "bitcoin",
        "crypto",
        "cryptocurrency",
        "ethereum",
    ),
    "safe_deposit": ("保险箱", "保管箱", "safe deposit", "safe-deposit"),
    "business": (
        "对公",
        "企业账户",
        "公司账户",
        "单位账户",
        "企业开户",
        "公司开户",
        "单位开户",
        "企业网银",
        "business account",
        "business banking",
        "corporate account",
        "corporate banking",
        "company account",
    ),  # fmt: skip
    "cheque": ("支票", "cheque", "cheques", "chequebook", "checkbook", "check book"),
    "housing_fund": ("公积金", "provident fund"),
    "social_security": ("社保卡", "社保", "医保卡", "social security card"),
    "top_up": ("top up", "top-up", "topup", "top ups", "top-ups", "topping up"),
    "virtual_card": ("虚拟卡", "virtual card", "disposable card", "single-use card"),
}
# Compounds that contain a product-line term but are about something else.
NOT_PRODUCT_LINES: tuple[str, ...] = (
    "存款保险", "deposit insurance", "贷款诈骗", "注销贷款", "金卡", "gold card", "gold debit",
    "gold credit",
)  # fmt: skip

TOPIC_LABELS: Mapping[str, Mapping[str, str]] = {
    "loan": {"zh": "贷款", "en": "loans"},
    "insurance": {"zh": "保险", "en": "insurance"},
    "fund": {"zh": "基金和理财产品", "en": "funds and wealth-management products"},
    "stock": {"zh": "股票和证券", "en": "stocks and securities"},
    "pension": {"zh": "养老金", "en": "pensions"},
    "gold": {"zh": "黄金和贵金属", "en": "gold and precious metals"},
    "crypto": {"zh": "加密货币", "en": "cryptocurrencies"},
    "safe_deposit": {"zh": "保管箱", "en": "safe-deposit boxes"},
    "business": {"zh": "对公（企业）业务", "en": "business banking"},
    "cheque": {"zh": "支票", "en": "cheques"},
    "housing_fund": {"zh": "住房公积金", "en": "the housing provident fund"},
    "social_security": {"zh": "社保卡", "en": "social security cards"},
    "top_up": {"zh": "账户充值", "en": "top-ups"},
    "virtual_card": {"zh": "虚拟卡", "en": "virtual cards"},
}

# Words that make the named institution the other side of a transfer or the owner of an ATM the
# customer uses, not the subject of the question.
_COUNTERPARTY_BEFORE = re.compile(
    r"(?:转账到|转到|转给|转入|转至|汇到|汇给|汇入|打到|打给|转出到|提现到|充值到|绑定到|从|向|往|"
    r"\bto|\binto|\bfrom|\bat|\bvia|\bwith|\busing)\s*(?:my|your|an?|the|我的|我)?\s*$"
)
_COUNTERPARTY_AFTER = re.compile(r"^(?:'?s)?\s*(?:的)?\s*(?:atm|取款机|自动柜员机)")
# The customer speaks to this bank ("your ATM", "你们的ATM", "transfer to you"): another bank named beside
# that is where the card or account comes from, not what is asked about.
_ADDRESSED = re.compile(
    r"你们|贵行|你行|咱们|\byour (?:bank|atms?|branch(?:es)?|app|cards?|accounts?|counters?|machines?)\b"
    r"|\b(?:to|with|from|at) you\b"
)
_BANK_SHAPED = re.compile(r"[\u4e00-\u9fff]{2,6}银行|(?:\b[a-z]+ ){1,2}bank\b")
_NOT_A_BANK_NAME = ("手机银行", "网上银行", "网银", "其他银行", "别的银行", "哪家银行", "这家银行",
                    "外资银行", "mobile bank", "online bank", "other bank", "another bank",
                    "different bank", "which bank", "the bank", "your bank", "my bank")  # fmt: skip


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _alias_pattern(alias: str) -> str:
    if alias.isascii():
        return r"(?<![a-z0-9])" + re.escape(alias) + r"(?:'?s)?(?![a-z0-9])"
    return re.escape(alias)


def _key(match: str, table: Mapping[str, str]) -> str:
    """The table key of a match that may carry an English plural or possessive ("loans", "hsbc's")."""
    if match in table:
        return match
    for suffix in ("'s", "s"):
        if match.endswith(suffix) and match[: -len(suffix)] in table:
            return match[: -len(suffix)]
    return match


def _compile(terms: Iterable[str]) -> re.Pattern[str]:
    ordered = sorted(set(terms), key=len, reverse=True)
    return re.compile("|".join(_alias_pattern(t) for t in ordered))


_ALIAS_OWNER = {normalize(a): name for name, (_, aliases) in INSTITUTIONS.items() for a in aliases}
_ALIASES = _compile(_ALIAS_OWNER)
_TERM_CLASS = {normalize(t): cls for cls, terms in PRODUCT_LINES.items() for t in terms}
_TERM_CLASS.update({normalize(t): "" for t in NOT_PRODUCT_LINES})
_TERMS = _compile(_TERM_CLASS)


@dataclass(frozen=True, slots=True)
class Mention:
    name: str  # canonical name, e.g. "招商银行"
    kind: Kind
    counterparty: bool  # named as the other side of a transfer / the ATM's owner
    said: str = ""  # as the question wrote it ("HSBC"), for the reply


def product_lines(text: str) -> frozenset[str]:
    """Product-line classes ``text`` speaks of (``PRODUCT_LINES``; longest term wins)."""
    return frozenset(
        c for m in _TERMS.finditer(normalize(text)) if (c := _TERM_CLASS[_key(m.group(0), _TERM_CLASS)])
    )


def institutions(text: str, extra: Mapping[str, Sequence[str]] | None = None) -> list[Mention]:
    """Banks and payment firms named in ``text`` (``INSTITUTIONS`` plus the tenant's ``extra``: name ->
    aliases, counted as banks), first mention first, each once."""
    low = normalize(text)
    owner, pattern = _ALIAS_OWNER, _ALIASES
    kinds: dict[str, Kind] = {name: kind for name, (kind, _) in INSTITUTIONS.items()}
    if extra:
        owner = {**owner, **{normalize(a): n for n, aliases in extra.items() for a in (n, *aliases)}}
        kinds.update({n: "bank" for n in extra})
        pattern = _compile(owner)
    seen: dict[str, Mention] = {}
    same_length = len(low) == len(text)
    for m in pattern.finditer(low):
        name = owner[_key(m.group(0), owner)]
        counterparty = bool(
            _COUNTERPARTY_BEFORE.search(low[max(0, m.start() - 12) : m.start()])
            or _COUNTERPARTY_AFTER.match(low[m.end() :])
        )
        prev = seen.get(name)
        if prev is None or (prev.counterparty and not counterparty):
            said = text[m.start() : m.end()] if same_length else name
            if said.endswith(("'s", "'S")):
                said = said[:-2]
            seen[name] = Mention(name, kinds[name], counterparty, said)
    return list(seen.values())


def _mentioned(name: str, aliases: Iterable[str], passages: str) -> bool:
    return any(re.search(_alias_pattern(normalize(a)), passages) for a in (name, *aliases))


def addresses_the_bank(question: str) -> bool:
    """The question speaks to this bank in the second person (``_ADDRESSED``)."""
    return bool(_ADDRESSED.search(normalize(question)))


def names_own_bank(question: str, passages: str, own_names: Sequence[str]) -> bool:
    """The question names the tenant's bank: one of ``own_names``, or an institution-shaped name
    ("XX银行", "Xxx Bank") that the passages contain too."""
    low = normalize(question)
    if any(normalize(n) in low for n in own_names if n.strip()):
        return True
    for m in _BANK_SHAPED.finditer(low):
        shaped = m.group(0)
        if shaped.isascii():
            words = shaped.split()
            candidates = [" ".join(words[i:]) for i in range(len(words) - 1)]
        else:
            candidates = [shaped[i:] for i in range(len(shaped) - 3)]  # at least two characters + 银行
        for name in candidates:
            if any(x in name for x in _NOT_A_BANK_NAME) or name in _ALIAS_OWNER:
                continue
            if name in passages:
                return True
    return False


@dataclass(frozen=True, slots=True)
class ScopeVerdict:
    reason: Literal["other_institution", "not_covered"]
    topic: str  # the institution as the question names it, or a product-line class


def check(
    question: str,
    passages: Sequence[str],
    *,
    own_names: Sequence[str] = (),
    extra_institutions: Mapping[str, Sequence[str]] | None = None,
    institution_check: bool = True,
    product_line_check: bool = True,
) -> ScopeVerdict | None:
    """``None`` when the passages can speak to the question; else why not (see the module docstring).
    Without passages nothing is decided (the retrieval floor speaks for an empty result)."""
    if not passages:
        return None
    text = normalize("\n".join(passages))
    if institution_check:
        aliases = {n: a for n, (_, a) in INSTITUTIONS.items()} | dict(extra_institutions or {})
        own = {normalize(o) for o in own_names}
        foreign = [
            m
            for m in institutions(question, extra_institutions)
            if not _mentioned(m.name, aliases.get(m.name, ()), text)
            and not own & {normalize(a) for a in (m.name, *aliases.get(m.name, ()))}
        ]
        if foreign:
            own_named = names_own_bank(question, text, own_names) or addresses_the_bank(question)
            subject = [m for m in foreign if m.kind == "bank" and not m.counterparty]
            if subject and not own_named:
                return ScopeVerdict("other_institution", subject[0].said)
            payment = [m for m in foreign if m.kind == "payment"]
            if payment:
                if not own_named and not payment[0].counterparty:
                    return ScopeVerdict("other_institution", payment[0].said)
                return ScopeVerdict("not_covered", payment[0].said)
    if product_line_check:
        missing = sorted(product_lines(question) - product_lines(text))
        if missing:
            return ScopeVerdict("not_covered", missing[0])
    return None


def topic_label(topic: str, lang: str) -> str:
    labels = TOPIC_LABELS.get(topic)
    return (labels.get(lang) or labels["en"]) if labels else topic
