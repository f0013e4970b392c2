"""What embedding similarity blurs but changes the answer: the guard of the semantic answer cache.

Two questions may share a cached answer only when their *signatures* are equal: the same numbers (digits,
Chinese numerals before a unit, English number words), the same negation (question forms such as 能不能
/ 有没有 are not negation), and the same set of *key terms* — products and tiers, channels, parties,
days, and the direction of an action — each found through a lexicon of synonyms mapped to one class,
matched longest first (白金卡 is platinum, not gold) — including what is asked (how much / how long /
when / where / how), so "多少钱可以分期" never takes the answer of "如何申请分期". Conservative by design: a paraphrase that names
the same thing with a word the lexicon lacks becomes a miss, never a wrong answer.
"""

from __future__ import annotations

import re
import unicodedata

from llm_backend.composer_lexicon import branch_names
from llm_backend.figures import CN_DIGITS, EN_NUMBER_WORDS

KEY_TERMS: dict[str, tuple[str, ...]] = {
    # products and tiers
    "credit_card": ("信用卡", "贷记卡", "credit card"),
    "debit_card": ("借记卡", "储蓄卡", "金融卡", "debit card"),
    "classic": ("普卡", "经典卡", "classic"),
    "gold": ("金卡", "gold"),
    "platinum": ("白金卡", "白金", "platinum"),
    "loan": ("贷款", "借款", "房贷", "车贷", "loan", "mortgage"),
    "fixed_deposit": ("定期", "大额存单", "fixed deposit", "certificate of deposit", "fixed"),
    "savings": ("活期", "savings", "current account"),
    "fx": ("外汇", "外币", "购汇", "结汇", "foreign currency", "foreign cash"),
    "insurance": ("保险", "insurance", "insured"),
    "fund": ("基金", "理财", "fund"),
    # channels and places
    "app": ("手机银行", "app", "mobile banking"),
    "counter": ("柜台", "counter", "teller"),
    "atm": ("atm", "取款机", "自动柜员机"),
    "branch": ("网点", "支行", "营业厅", "branch"),
    "hotline": ("客服电话", "客服热线", "热线", "customer service number", "hotline", "call centre"),
    "own_bank": ("本行", "行内", "within harbor bank", "harbor bank atm"),
    "other_bank": (
        "他行",
        "跨行",
        "别的银行",
        "其他银行",
        "另一家银行",
        "another bank",
        "other bank",
        "other banks",
        "different bank",
    ),
    "abroad": ("境外", "国外", "海外", "abroad", "overseas", "international"),
    "domestic": ("境内", "国内", "domestic"),
    # parties and things
    "child": ("孩子", "小孩", "未成年", "儿童", "child", "kid", "minor"),
    "elderly": ("老人", "老年", "elderly", "senior"),
    "foreigner": ("外国人", "foreigner", "passport"),
    "phone": ("手机丢", "手机不见", "lost phone", "phone"),
    "login_password": ("登录密码", "login password", "app login"),
    "payment_password": ("支付密码", "交易密码", "payment password"),
    "pin": ("pin", "卡密码", "取款密码"),
    "statement_day": ("账单日", "statement date", "statement day"),
    "due_day": ("还款日", "due date", "payment due"),
    # days
    "weekend": ("周末", "周六", "周日", "星期六", "星期天", "星期日", "weekend", "saturday", "sunday"),
    "holiday": ("节假日", "假期", "过节", "法定节假日", "public holiday", "bank holiday", "holiday"),
    # named holidays: each has its own arrangements (元旦 is not 春节)
    "new_year": ("元旦", "new year's day", "new year"),
    "spring_festival": ("春节", "过年", "除夕", "spring festival", "chinese new year", "lunar new year"),
    "national_day": ("国庆", "national day", "golden week"),
    "labour_day": ("五一", "劳动节", "labour day", "labor day", "may day"),
    "mid_autumn": ("中秋", "mid-autumn"),
    "dragon_boat": ("端午", "dragon boat"),
    "qingming": ("清明", "qingming"),
    # what is asked: an amount, a duration, a time, a place, a way
    "ask_amount": (
        "多少钱",
        "多少",
        "几块",
        "几笔",
        "how much",
        "how many",
        "what is the maximum",
        "what does",
    ),
    "ask_duration": ("多久", "多长时间", "几天", "几个工作日", "how long", "how quickly", "how many days"),
    "ask_time": ("几点", "什么时候", "何时", "哪天", "when", "what time"),
    "ask_place": ("哪里", "在哪", "去哪", "where"),
    "ask_way": (
        "怎么",
        "如何",
        "怎样",
        "怎么办",
        "how do",
        "how can",
        "how to",
        "what should i do",
        "what do i do",
    ),
    # directions of an action
    "open": (
        "开通",
        "开户",
        "办理",
        "申请",
        "激活",
        "启用",
        "注册",
        "open",
        "apply",
        "activate",
        "register",
        "sign up",
        "enable",
    ),
    "close": (
        "关闭",
        "取消",
        "注销",
        "销户",
        "停用",
        "解约",
        "解除",
        "撤销",
        "撤回",
        "close",
        "cancel",
        "deactivate",
        "disable",
        "terminate",
    ),
    "raise": ("提高", "提升", "增加", "调高", "上调", "increase", "raise"),
    "lower": ("降低", "减少", "调低", "下调", "decrease", "lower", "reduce"),
    "put_in": ("存钱", "存入", "存现", "能存", "可以存", "deposit cash", "deposit"),
    "take_out": ("取钱", "取款", "取现", "提现", "能取", "可以取", "支取", "withdraw", "cash advance"),
    "send": ("汇出", "汇款到", "往国外汇", "send money", "send"),
    "receive": ("汇入", "接收", "收款", "receive", "receiving"),
    "buy": ("买", "购买", "buy"),
    "sell": ("卖", "sell"),
    "early": ("提前", "early", "before it ends", "before it matures"),
    "late": ("延期", "推迟", "逾期", "late", "miss", "don't pay", "on time"),
}

_QUESTION_FORMS = re.compile(r"能不能|可不可以|是不是|有没有|要不要|会不会|行不行|好不好|收不收")
_NEGATION = re.compile(r"不|没|未|无|非|别|\bnot\b|\bno\b|n't|\bnever\b|\bcannot\b|\bwithout\b")
_DIGITS = re.compile(r"\d+(?:\.\d+)?")
_CN_NUMERAL = re.compile(
    r"[零一二两三四五六七八九十]+(?=年|期|个|月|天|日|次|笔|元|块|万|千|岁|小时|分钟|周|张)"
)
_CN_VALUE = {**CN_DIGITS, "十": 10}
_EN_NUMBERS = {w: str(i) for i, w in enumerate(EN_NUMBER_WORDS)}
_EN_NUMBER = re.compile(r"\b(" + "|".join(_EN_NUMBERS) + r")\b")

_LEXICON = sorted(((syn, cls) for cls, syns in KEY_TERMS.items() for syn in syns), key=lambda p: -len(p[0]))
_SYNONYM_CLASS = {syn: cls for syn, cls in _LEXICON}
_TERMS = re.compile("|".join(re.escape(s) for s, _ in _LEXICON))


def _cn_number(text: str) -> str:
    if text.startswith("十"):
        text = "一" + text
    if "十" in text:
        tens, _, ones = text.partition("十")
        return str(_CN_VALUE.get(tens, 1) * 10 + _CN_VALUE.get(ones, 0))
    return "".join(str(_CN_VALUE[ch]) for ch in text)


def signature(question: str) -> tuple[frozenset[str], bool, frozenset[str]]:
    """(numbers, negated, key-term classes) of a question."""
    text = unicodedata.normalize("NFKC", question).casefold()
    numbers = set(_DIGITS.findall(text))
    numbers |= {_cn_number(m) for m in _CN_NUMERAL.findall(text)}
    numbers |= {_EN_NUMBERS[m] for m in _EN_NUMBER.findall(text)}
    negated = bool(_NEGATION.search(_QUESTION_FORMS.sub(" ", text)))
    classes = {_SYNONYM_CLASS[m.group(0)] for m in _TERMS.finditer(text)}
    # a named branch is its own key term: 东湾支行 and 灯塔支行 open at different hours
    classes |= {f"branch:{name}" for name in branch_names(text)}
    return frozenset(numbers), negated, frozenset(classes)
