"""Money identifiers: payment cards (CREDIT_CARD), IBAN (IBAN_CODE), account numbers after a cue (ACCOUNT_NUMBER)."""

from __future__ import annotations

from typing import ClassVar

from privacy.checksums import compact, is_valid_card, is_valid_iban, looks_like_cn_id, luhn_ok
from privacy.recognizers.base import DeclarativeRecognizer, PatternSpec
from privacy.recognizers.ids import _ORDER_WORDS

# Issuer prefixes that make a Luhn-valid number a card with certainty: UnionPay (62, 81), Visa (4),
# Mastercard (51-55, 2221-2720), Amex (34, 37), JCB (35, legacy 1800/2131), Diners (30, 36, 38, 39),
# Discover (6011, 644-649, 65), Maestro / domestic debit (50, 56-69), ICBC legacy (9558).
_CARD_PREFIXES = ("4", "34", "37", "35", "30", "36", "38", "39", "50", "81", "1800", "2131", "9558") + tuple(
    str(p) for p in (*range(51, 56), *range(56, 70))
)


def _known_issuer(digits: str) -> bool:
    if digits.startswith(_CARD_PREFIXES):
        return True
    return 2221 <= int(digits[:4]) <= 2720


class BankCardRecognizer(DeclarativeRecognizer):
    """13-19 digits (single spaces or hyphens anywhere), Luhn-valid.

    A known issuer prefix makes it certain (score 1.0); a Luhn-valid number with an unknown prefix, or a
    12-digit one (Maestro), scores 0.35 and needs a cue (卡号, card...). A cue like 订单号 / order no. right before it vetoes even a valid one.
    A run that fails Luhn is not searched for a valid sub-run: 10% of any 13+ digit window passes Luhn,
    so a mistyped card would come back as a "valid" card made of its first four groups.
    """

    ENTITY = "CREDIT_CARD"
    PATTERNS: ClassVar[tuple[PatternSpec, ...]] = (
        PatternSpec("card", r"(?<![0-9A-Za-z])\d(?:[ -]?\d){11,18}(?![0-9])", 0.35),
    )
    CONTEXT = (
        "卡号",
        "银行卡",
        "信用卡",
        "借记卡",
        "储蓄卡",
        "银联",
        "card",
        "visa",
        "mastercard",
        "amex",
        "unionpay",
    )
    # 18-digit resident IDs of Henan..Hainan (41-46) and Gansu (62) start like Visa / UnionPay cards.
    NEGATIVE_CONTEXT = (*_ORDER_WORDS, "金额", "余额", "流水", "身份证", "证件")
    PRIORITY = 85

    def validate(self, value: str) -> bool | None:
        digits = compact(value)
        if len(digits) == 12:  # Maestro has 12-digit cards; so do order numbers: a cue is required
            return None if luhn_ok(digits) and len(set(digits)) > 1 else False
        if not is_valid_card(digits) or looks_like_cn_id(digits):
            return False
        return True if _known_issuer(digits) else None


class IbanCodeRecognizer(DeclarativeRecognizer):
    """IBAN: country code, 2 check digits, BBAN; country length and ISO 7064 mod-97 checked.

    All upper or all lower case (so a capitalised word after an IBAN is not swallowed); optional spaces.
    """

    ENTITY = "IBAN_CODE"
    PATTERNS: ClassVar[tuple[PatternSpec, ...]] = (
        PatternSpec("iban", r"(?<![0-9A-Za-z])[A-Z]{2}\d{2}(?:[ ]?[0-9A-Z]){11,30}(?![0-9A-Za-z])", 0.5),
        PatternSpec(
            "iban_lower", r"(?<![0-9A-Za-z])[a-z]{2}\d{2}(?:[ ]?[0-9a-z]){11,30}(?![0-9A-Za-z])", 0.5
        ),
    )
    CONTEXT = ("iban", "swift", "bank account", "银行账户", "账户")
    SPLIT_ON_FAILURE = True
    PRIORITY = 85

    def validate(self, value: str) -> bool | None:
        return is_valid_iban(value)


class AccountNumberRecognizer(DeclarativeRecognizer):
    """6-30 digits only when an account cue is near: 账号 / 账户 / 户号 / 卡号 / account number / account
    no. / account # / acct / a/c.

    Without a cue a digit run is an amount, a date or an order number, and is left alone. After 卡号 a
    number that is not a valid card (a debit card's account number, a card number with a digit wrong) is
    still the customer's: it is masked as an account number (a valid card stays CREDIT_CARD, which ranks
    higher). The window holds the longest cue, "account number", and " is " before the value.
    """

    ENTITY = "ACCOUNT_NUMBER"
    PATTERNS: ClassVar[tuple[PatternSpec, ...]] = (
        PatternSpec("digits", r"(?<![0-9A-Za-z.])(?<!\d,)\d(?:[ -]?\d){5,29}(?![0-9]|[.,]\d)", 0.2),
    )
    CONTEXT = (
        "账号",
        "帐号",
        "账户",
        "帐户",
        "户号",
        "卡号",
        "收款人账",
        "account number",
        "account no",
        "account #",
        "acct",
        "a/c",
    )
    CONTEXT_WINDOW = 20
    CUE_AFTER_IN_CLAUSE = True  # "发短信到138...，卡号是..." : 卡号 is the next value's cue
    CONTEXT_BOOST = 0.6
    NEGATIVE_CONTEXT = (*_ORDER_WORDS, "金额", "余额", "￥", "$")
    PRIORITY = 40
