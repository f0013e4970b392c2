"""Seeded ~200-character customer messages for latency benchmarks (English and Chinese).

Each message mixes ordinary banking questions with one to three PII values, then is cut to exactly
``length`` characters: the benchmark measures cost per message of a fixed size, not detection quality.
"""

from __future__ import annotations

import random

from privacy.evaluation.synth_zh import valid_cn_id, valid_mobile, valid_unionpay

_EN_FILLER = (
    "Hello, I have a question about my account.",
    "I was charged twice for the same purchase last week and I would like a refund.",
    "Could you please tell me how long an international transfer usually takes?",
    "The app keeps logging me out when I try to check my balance.",
    "I would like to raise the limit on my credit card before my trip.",
    "Thanks for your help, I have been waiting for an answer for two days.",
)
_EN_PII = (
    "My name is {first} {last}.",
    "You can reach me at {phone}.",
    "The card number is {card}.",
    "Please send the statement to {email}.",
    "I moved to {num} {street} Road last month.",
    "This is {first} {last} calling about the mortgage.",
)
_FIRST = ("John", "Mary", "Ahmed", "Li", "Sofia", "James", "Anna", "Carlos", "Emily", "David")
_LAST = ("Smith", "Johnson", "Khan", "Wang", "Garcia", "Brown", "Müller", "Rossi", "Taylor", "Lee")
_STREETS = ("Clarke", "Whitchurch", "Baker", "Queen", "Station", "Church", "Mill", "Victoria")
_ZH_FILLER = (
    "您好，我想咨询一下信用卡分期的手续费怎么计算。",
    "上周在商场刷卡消费了两次，但是只买了一件东西，麻烦帮我核实一下。",
    "手机银行一直提示网络异常，登录不了，请问是什么原因？",
    "我想提高一下信用卡的额度，下个月要出国旅游。",
    "谢谢你们的帮助，我已经等了两天了，希望尽快处理。",
    "请问跨行转账一般多久能到账？",
)
_ZH_PII = (
    "我叫{zh_name}，",
    "我的手机号是{mobile}，",
    "卡号{card_zh}，",
    "身份证号{cn_id}，",
    "住在上海市浦东新区世纪大道{num}号，",
)
_ZH_NAMES = ("张伟", "王芳", "李娜", "刘洋", "陈静", "杨帆", "赵磊", "欧阳娜娜")


def bench_messages(lang: str, n: int = 200, *, seed: int = 7, length: int = 200) -> list[str]:
    if lang not in ("en", "zh"):
        raise ValueError("lang must be 'en' or 'zh'")
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        parts: list[str] = []
        pii = rng.sample(_EN_PII if lang == "en" else _ZH_PII, rng.randint(1, 3))
        filler = _EN_FILLER if lang == "en" else _ZH_FILLER
        while sum(map(len, parts)) < length:
            if pii and rng.random() < 0.5:
                parts.append(_fill(pii.pop(), rng))
            else:
                parts.append(rng.choice(filler))
        sep = " " if lang == "en" else ""
        out.append(sep.join(parts)[:length])
    return out


def _fill(template: str, rng: random.Random) -> str:
    return template.format(
        first=rng.choice(_FIRST),
        last=rng.choice(_LAST),
        phone=f"+1 {rng.randrange(200, 999)}-555-{rng.randrange(10000):04d}",
        card="4111 1111 1111 1111",
        email=f"{rng.choice(_FIRST).lower()}.{rng.choice(_LAST).lower()}@example.com",
        num=rng.randrange(1, 300),
        street=rng.choice(_STREETS),
        zh_name=rng.choice(_ZH_NAMES),
        mobile=valid_mobile(rng),
        card_zh=valid_unionpay(rng),
        cn_id=valid_cn_id(rng),
    )
