"""Recognizer tables: each row is a message and exactly the (type, text) spans the real engine must find.

Rows with no expected spans are negatives: checksum-invalid look-alikes, amounts, dates, order numbers,
numbers without their cue word, and Chinese phrases that look like introductions but are not.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from privacy.config import PrivacyConfig
from privacy.masker import PresidioMasker
from privacy.registry import load_registry_spec

pytestmark = pytest.mark.models

ZH_ROWS: list[tuple[str, list[tuple[str, str]]]] = [
    # --- 居民身份证 ---
    ("我的身份证号是110101199003074514，麻烦查一下", [("CN_ID_CARD", "110101199003074514")]),
    ("身份证11010519491231002X丢了", [("CN_ID_CARD", "11010519491231002X")]),
    ("证件号 110101 19900307 4514", [("CN_ID_CARD", "110101 19900307 4514")]),
    ("身份证号110101199003074515", []),  # wrong check character
    ("身份证号110105194902300023", []),  # 30 February
    ("身份证号990105194912310029", []),  # no such province
    # --- bank cards (Luhn) ---
    ("卡号6222021234567890128被冻结了", [("CREDIT_CARD", "6222021234567890128")]),
    ("我的卡 6228 4800 1234 5671 怎么激活", [("CREDIT_CARD", "6228 4800 1234 5671")]),
    ("信用卡4367421234567896还款失败", [("CREDIT_CARD", "4367421234567896")]),
    # fails Luhn: not a card, but after 卡号 it is still the customer's number (a debit card's account
    # number, or the card with a digit wrong): masked as an account number (issue 12)
    ("卡号6222021234567890129被冻结了", [("ACCOUNT_NUMBER", "6222021234567890129")]),
    ("编号6222021234567890129的工单", []),  # fails Luhn, no cue
    ("订单号6228480012345671的退款", []),  # Luhn-valid, but an order number
    # --- mobiles and landlines ---
    ("手机13800138000收不到验证码", [("PHONE_NUMBER", "13800138000")]),
    (
        "请打 138 0013 8000 或 +86 159-1234-5678",
        [("PHONE_NUMBER", "138 0013 8000"), ("PHONE_NUMBER", "+86 159-1234-5678")],
    ),
    (
        "座机010-62345678，传真(0755)26543210",
        [("PHONE_NUMBER", "010-62345678"), ("PHONE_NUMBER", "(0755)26543210")],
    ),
    ("固话02168888888找我", [("PHONE_NUMBER", "02168888888")]),
    ("号码14012345678是空号吗", []),  # unallocated segment 140
    ("号码1380013800少了一位", []),  # 10 digits
    ("订单号13800138000的快递", []),  # a mobile-shaped order number
    ("客服热线95588和400-820-8888", []),  # service numbers are not personal
    # --- 统一社会信用代码 ---
    ("统一社会信用代码91350100M000100Y43", [("CN_USCC", "91350100M000100Y43")]),
    ("信用代码91350100M000100Y44", []),  # wrong check character
    # --- passports / permits: need a cue ---
    ("护照号E12345678过期了", [("CN_PASSPORT", "E12345678")]),
    ("港澳通行证C12345678", [("CN_PASSPORT", "C12345678")]),
    ("编号E12345678的工单", []),  # no cue; 工单 is an order word
    # --- account numbers: need a cue ---
    ("我的账号是 1234 5678 9012 34", [("ACCOUNT_NUMBER", "1234 5678 9012 34")]),
    ("对公账户：11001234567890123", [("ACCOUNT_NUMBER", "11001234567890123")]),
    ("积分12345678什么时候到账", []),
    ("转了100000元", []),
    # --- e-mail (ASCII local part) and IP ---
    ("请发到张三zhang.san@163.com谢谢", [("EMAIL_ADDRESS", "zhang.san@163.com")]),  # no cue: 张三 stays
    ("登录IP是192.168.1.20", [("IP_ADDRESS", "192.168.1.20")]),
    ("版本 1.2.3.4 有bug", []),
    # --- names after a cue ---
    ("您好，我叫张三，想查账单", [("PERSON", "张三")]),
    ("我是王小明的妈妈", [("PERSON", "王小明")]),
    ("持卡人：欧阳娜娜", [("PERSON", "欧阳娜娜")]),
    ("我是李先生，上周来过", [("PERSON", "李先生")]),
    ("我是想问一下分期", []),
    ("我是高级会员", []),
    ("我是黄金客户", []),
    # --- addresses ---
    (
        "住在北京市朝阳区建国路88号华贸中心1号楼1201室",
        [("LOCATION", "北京市朝阳区建国路88号华贸中心1号楼1201室")],
    ),
    ("寄到杭州市西湖区文三路90号", [("LOCATION", "杭州市西湖区文三路90号")]),
    ("我家在成都市武侯区", [("LOCATION", "成都市武侯区")]),  # admin units only, after a cue
    ("北京市朝阳区的网点几点开门", []),  # a place, not someone's address
    ("这个渠道知道吗", []),
]

EN_ROWS: list[tuple[str, list[tuple[str, str]]]] = [
    ("Hi, my name is John Smith.", [("PERSON", "John Smith")]),
    ("Please call me at 415-555-0100 tomorrow.", [("PHONE_NUMBER", "415-555-0100")]),
    ("My card 4111 1111 1111 1111 was declined.", [("CREDIT_CARD", "4111 1111 1111 1111")]),
    ("Send it to GB82 WEST 1234 5698 7654 32 today.", [("IBAN_CODE", "GB82 WEST 1234 5698 7654 32")]),
    ("Write to jane.doe@example.com please.", [("EMAIL_ADDRESS", "jane.doe@example.com")]),
    (
        "Login from 10.0.0.7 and 2001:db8::1 failed.",
        [("IP_ADDRESS", "10.0.0.7"), ("IP_ADDRESS", "2001:db8::1")],
    ),
    ("I moved to 24 Clarke Avenue recently.", [("LOCATION", "24 Clarke Avenue")]),
    ("The card 4111 1111 1111 1112 is mine.", []),  # fails Luhn
    ("I paid 1,234.56 on 2024-03-15 for order 123456789012.", []),
    ("Update to version 1.2.3.4 at 12:30:45.", []),
    ("How do I raise my credit limit?", []),
]


def _spans(masker: PresidioMasker, text: str, lang: str | None) -> list[tuple[str, str]]:
    return [(f.entity_type, text[f.start : f.end]) for f in masker.analyze(text, lang)]


@pytest.mark.parametrize(("text", "expected"), ZH_ROWS, ids=[r[0][:16] for r in ZH_ROWS])
def test_chinese_table(masker: PresidioMasker, text: str, expected: list[tuple[str, str]]) -> None:
    assert _spans(masker, text, None) == expected


@pytest.mark.parametrize(("text", "expected"), EN_ROWS, ids=[r[0][:24] for r in EN_ROWS])
def test_english_table(masker: PresidioMasker, text: str, expected: list[tuple[str, str]]) -> None:
    assert _spans(masker, text, None) == expected


def test_full_width_digits_are_found_at_their_original_offsets(masker: PresidioMasker) -> None:
    text = "手机１３８００１３８０００"
    assert _spans(masker, text, None) == [("PHONE_NUMBER", "１３８００１３８０００")]


def test_mixed_message_is_analysed_in_both_languages(masker: PresidioMasker) -> None:
    text = "您好，my name is John Smith，手机13800138000，please call me back."
    assert _spans(masker, text, None) == [("PERSON", "John Smith"), ("PHONE_NUMBER", "13800138000")]


def test_allow_list_values_are_never_masked(masker: PresidioMasker) -> None:
    assert _spans(masker, "hotline 400-820-8888 or 95588", "en") == []


def test_the_opt_in_name_tagger_finds_names_without_a_cue(privacy_data_dir: Path) -> None:
    spec = load_registry_spec()
    entries = [
        e.model_copy(update={"enabled": True}) if e.name == "zh_name_tagger" else e for e in spec.recognizers
    ]
    tagged = PresidioMasker(
        PrivacyConfig(languages=["zh"]),
        privacy_data_dir,
        spec=spec.model_copy(update={"recognizers": entries}),
    )
    tagged.warm_up()
    assert _spans(tagged, "彭小军认为，国内银行现在走的是台湾的发卡模式", None) == [("PERSON", "彭小军")]
    assert _spans(tagged, "银行卡申请人需要明白这些条款", None) == []  # dictionary words jieba tags as names
