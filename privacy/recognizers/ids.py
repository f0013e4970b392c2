"""Identity documents: 居民身份证 (CN_ID_CARD), 统一社会信用代码 (CN_USCC), passports and permits (CN_PASSPORT)."""

from __future__ import annotations

from typing import ClassVar

from privacy.checksums import is_valid_cn_id, is_valid_uscc, looks_like_cn_id
from privacy.recognizers.base import DeclarativeRecognizer, PatternSpec

_ORDER_WORDS = (
    "订单",
    "单号",
    "流水号",
    "交易号",
    "编号",
    "工单",
    "快递",
    "order",
    "invoice",
    "tracking",
    "ref",
)


class CnIdCardRecognizer(DeclarativeRecognizer):
    """18-character resident ID (GB 11643): province code, real birth date, check character.

    Optional single separators between the 6-8-4 groups (``110101 19900307 4514``). 15-digit
    first-generation numbers (invalid since 2013) are not matched: 15 digits are too often something else.
    """

    ENTITY = "CN_ID_CARD"
    PATTERNS: ClassVar[tuple[PatternSpec, ...]] = (
        PatternSpec(
            "gb11643",
            r"(?<![0-9])[1-9]\d{5}[ -]?(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
            r"[ -]?\d{3}[0-9Xx](?![0-9])",
            0.5,
        ),
    )
    CONTEXT = ("身份证", "证件", "身份号", "id card", "id no", "identity", "resident id")
    PRIORITY = 90

    def validate(self, value: str) -> bool | None:
        return is_valid_cn_id(value)


# GB 32100 institution type codes allowed after each registering authority code.
_USCC_TYPES = {
    "1": "1239",
    "2": "19",
    "3": "123459",
    "4": "19",
    "5": "1239",
    "6": "129",
    "7": "129",
    "8": "19",
    "9": "123",
    "A": "19",
    "N": "123459",
    "Y": "1",
}


class CnUsccRecognizer(DeclarativeRecognizer):
    """统一社会信用代码 (GB 32100): 18 characters of the code alphabet with a mod-31 check character."""

    ENTITY = "CN_USCC"
    PATTERNS: ClassVar[tuple[PatternSpec, ...]] = (
        PatternSpec(
            "gb32100",
            r"(?<![0-9A-Za-z])[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{2}\d{6}[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{10}"
            r"(?![0-9A-Za-z])",
            0.5,
        ),
    )
    CONTEXT = ("信用代码", "社会信用", "营业执照", "税号", "纳税人识别号", "uscc", "credit code")
    NEGATIVE_CONTEXT = ("身份证", "证件号")
    PRIORITY = 80

    def validate(self, value: str) -> bool | None:
        code = value.upper()
        if not is_valid_uscc(code) or code[1] not in _USCC_TYPES.get(code[0], ""):
            return False
        # 3% of 18-digit numbers pass the mod-31 check by chance: an ID-shaped one is a mistyped ID.
        return not looks_like_cn_id(code)


class CnPassportRecognizer(DeclarativeRecognizer):
    """Chinese passports (E/G/D/S/P series) and travel permits (港澳 C/W, 台湾 L, 回乡证 H/M).

    The formats (a letter and 8 digits) are shared with many internal codes, so a match alone scores 0.45
    and needs a cue (护照, 通行证, passport...) within the window to be reported.
    """

    ENTITY = "CN_PASSPORT"
    PATTERNS: ClassVar[tuple[PatternSpec, ...]] = (
        PatternSpec(
            "passport",
            r"(?<![0-9A-Za-z])(?:E[A-HJ-NP-Z]\d{7}|[EGDSP]\d{8}|[DSP]E\d{7})(?![0-9A-Za-z])",
            0.45,
        ),
        PatternSpec(
            "permit",
            r"(?<![0-9A-Za-z])(?:C[A-HJ-NP-Z0-9]\d{7}|[WLT]\d{8}|[HM]\d{8}(?:\d{2})?)(?![0-9A-Za-z])",
            0.45,
        ),
    )
    CONTEXT = (
        "护照",
        "通行证",
        "港澳",
        "回乡证",
        "台胞证",
        "证件",
        "passport",
        "passport number",
        "passport no",
        "permit",
    )
    # "passport number is E12345678": the longest cue and " is " before the value
    CONTEXT_WINDOW = 20
    NEGATIVE_CONTEXT = _ORDER_WORDS
    PRIORITY = 60
