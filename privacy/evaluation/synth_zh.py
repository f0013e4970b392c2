"""Seeded generator of Chinese customer messages with valid identifiers and checksum-invalid look-alikes.

Valid values (gold spans): 居民身份证 (real region code, real birth date, GB 11643 check), UnionPay cards
(62..., 16-19 digits, Luhn), mainland mobiles (allocated segments; plain, 3-4-4, +86), 统一社会信用代码
(GB 32100 check). Look-alikes (no span: masking them is a false positive): the same values with a wrong
check character or an impossible birth date, mobiles in unallocated segments, and everyday numbers
(order numbers, amounts, dates, transaction references) in the same kinds of sentences. The templates put
the usual cue words around both, so a recognizer that trusted the cue and skipped the checksum would fail.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from privacy.checksums import USCC_ALPHABET, cn_id_check_char, luhn_check_digit, uscc_check_char
from privacy.evaluation.data import Sample, Span

DEFAULT_SEED = 20240611
# Real county-level region codes (GB/T 2260) across provinces.
_REGIONS = [
    "110101",
    "110105",
    "120101",
    "130102",
    "140105",
    "150102",
    "210102",
    "220102",
    "230103",
    "310101",
    "310115",
    "320102",
    "320505",
    "330106",
    "330212",
    "340104",
    "350203",
    "360102",
    "370202",
    "410105",
    "420106",
    "430104",
    "440106",
    "440305",
    "450103",
    "460105",
    "500103",
    "510107",
    "520102",
    "530102",
    "540102",
    "610113",
    "620102",
    "630102",
    "640104",
    "650102",
]
_MOBILE_SEGMENTS: tuple[int, ...] = (
    130,
    131,
    132,
    133,
    135,
    136,
    137,
    138,
    139,
    150,
    151,
    152,
    155,
    156,
    157,
    158,
    159,
)
_MOBILE_SEGMENTS += (166, 170, 173, 176, 177, 178, 180, 181, 182, 185, 186, 187, 188, 189, 191, 198, 199)
_UNALLOCATED = (140, 141, 142, 143, 144, 154, 160, 161, 163, 164, 168, 169, 179)

_ID_TEMPLATES = (
    "我的身份证号是{v}，麻烦帮我查一下开户信息",
    "身份证{v}办的那张卡丢了",
    "证件号码：{v}，请核实",
    "我用{v}这个身份证开的户，现在想销户",
    "{v}是我的身份证号码，怎么修改预留信息",
    "请问用身份证号{v}可以查询征信吗",
)
_CARD_TEMPLATES = (
    "我的银行卡号{v}被冻结了，怎么回事",
    "卡号是{v}，为什么扣了年费",
    "信用卡{v}这个月还款失败了",
    "帮我查一下{v}这张卡的余额",
    "我想把{v}这张储蓄卡挂失",
    "转账到卡号{v}一直显示处理中",
)
_MOBILE_TEMPLATES = (
    "我手机号{v}收不到验证码",
    "联系电话：{v}，请尽快回电",
    "预留手机{v}已经停用了，怎么换绑",
    "我的号码是{v}，麻烦客服经理打给我",
    "请发短信到{v}通知我",
    "之前留的电话{v}打不通的话就打座机",
)
_USCC_TEMPLATES = (
    "我们公司统一社会信用代码{v}，想开对公账户",
    "营业执照上的信用代码是{v}",
    "企业信用代码：{v}，申请企业网银",
    "纳税人识别号{v}的发票开错了",
)
_EVERYDAY = (
    "订单号{order}的退款什么时候到账",
    "我昨天转了{amount}元，对方说没收到",
    "交易流水号{ref}显示失败",
    "{date}那笔消费是什么",
    "信用卡额度能提到{amount}吗",
    "快递单号{order}一直没更新",
    "我的积分还有{points}分，能换什么",
    "分期{months}期的手续费是多少",
)


def valid_cn_id(rng: random.Random) -> str:
    born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 55))
    first17 = f"{rng.choice(_REGIONS)}{born:%Y%m%d}{rng.randrange(1000):03d}"
    return first17 + cn_id_check_char(first17)


def invalid_cn_id(rng: random.Random) -> str:
    """A wrong check character, or an impossible birth date with a correct check character."""
    if rng.random() < 0.6:
        good = valid_cn_id(rng)
        wrong = rng.choice([c for c in "0123456789X" if c != good[-1]])
        return good[:-1] + wrong
    first17 = f"{rng.choice(_REGIONS)}{rng.randrange(1960, 2000)}{rng.choice(('13', '00', '02'))}30{rng.randrange(1000):03d}"
    return first17 + cn_id_check_char(first17)


def valid_unionpay(rng: random.Random) -> str:
    length = rng.choice((16, 16, 16, 19, 17, 18))
    payload = "62" + "".join(str(rng.randrange(10)) for _ in range(length - 3))
    return payload + luhn_check_digit(payload)


def invalid_unionpay(rng: random.Random) -> str:
    good = valid_unionpay(rng)
    return good[:-1] + str((int(good[-1]) + rng.randrange(1, 10)) % 10)


def valid_mobile(rng: random.Random) -> str:
    return f"{rng.choice(_MOBILE_SEGMENTS)}{rng.randrange(10**8):08d}"


def invalid_mobile(rng: random.Random) -> str:
    return f"{rng.choice(_UNALLOCATED)}{rng.randrange(10**8):08d}"


def valid_uscc(rng: random.Random) -> str:
    body = rng.choice("9159") + rng.choice("123") + rng.choice(_REGIONS)
    body += "".join(rng.choice(USCC_ALPHABET) for _ in range(9))
    return body + uscc_check_char(body)


def invalid_uscc(rng: random.Random) -> str:
    good = valid_uscc(rng)
    return good[:-1] + rng.choice([c for c in USCC_ALPHABET if c != good[-1]])


def _format_number(rng: random.Random, value: str, kind: str) -> str:
    """How customers type them: run together, grouped, with +86."""
    r = rng.random()
    if kind == "card" and r < 0.3:
        return " ".join(value[i : i + 4] for i in range(0, len(value), 4))
    if kind == "mobile":
        if r < 0.2:
            return f"{value[:3]} {value[3:7]} {value[7:]}"
        if r < 0.35:
            return f"{value[:3]}-{value[3:7]}-{value[7:]}"
        if r < 0.45:
            return "+86 " + value
    return value


_KINDS: dict[
    str, tuple[str, tuple[str, ...], Callable[[random.Random], str], Callable[[random.Random], str]]
] = {
    "id": ("CN_ID_CARD", _ID_TEMPLATES, valid_cn_id, invalid_cn_id),
    "card": ("CREDIT_CARD", _CARD_TEMPLATES, valid_unionpay, invalid_unionpay),
    "mobile": ("PHONE_NUMBER", _MOBILE_TEMPLATES, valid_mobile, invalid_mobile),
    "uscc": ("CN_USCC", _USCC_TEMPLATES, valid_uscc, invalid_uscc),
}


def _fill(template: str, value: str) -> tuple[str, int, int]:
    start = template.index("{v}")
    return template.replace("{v}", value), start, start + len(value)


def _everyday(rng: random.Random) -> str:
    return rng.choice(_EVERYDAY).format(
        order=f"{rng.randrange(2019, 2026)}{rng.randrange(10**12):012d}",
        amount=f"{rng.randrange(1, 500) * 100}",
        ref=f"{rng.randrange(10**9, 10**10)}{rng.randrange(10**10):010d}",
        date=f"{rng.randrange(2019, 2026)}年{rng.randrange(1, 13)}月{rng.randrange(1, 29)}日",
        points=rng.randrange(100, 100000),
        months=rng.choice((3, 6, 12, 24)),
    )


def generate(n: int = 400, *, seed: int = DEFAULT_SEED, lookalike_share: float = 0.4) -> list[Sample]:
    """``n`` samples: valid values in templates (one span each, sometimes two), look-alikes in the same
    templates, and everyday-number sentences (negatives). Deterministic for a given ``seed``."""
    rng = random.Random(seed)
    out: list[Sample] = []
    kinds = list(_KINDS)
    for i in range(n):
        roll = rng.random()
        if roll < lookalike_share * 0.75:
            _, templates, _, invalid = _KINDS[kinds[i % len(kinds)]]
            kind = kinds[i % len(kinds)]
            text, _, _ = _fill(rng.choice(templates), _format_number(rng, invalid(rng), kind))
            out.append(Sample(text, "zh", ()))
        elif roll < lookalike_share:
            out.append(Sample(_everyday(rng), "zh", ()))
        else:
            kind = kinds[i % len(kinds)]
            etype, templates, valid, _ = _KINDS[kind]
            text, start, end = _fill(rng.choice(templates), _format_number(rng, valid(rng), kind))
            spans = [Span(start, end, etype)]
            if rng.random() < 0.25:  # a second value later in the message
                kind2 = rng.choice(kinds)
                etype2, templates2, valid2, _ = _KINDS[kind2]
                tail, s2, e2 = _fill(rng.choice(templates2), _format_number(rng, valid2(rng), kind2))
                offset = len(text) + 1
                text = f"{text}，{tail}"
                spans.append(Span(s2 + offset, e2 + offset, etype2))
            out.append(Sample(text, "zh", tuple(spans)))
    return out
