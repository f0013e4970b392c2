"""The recognizer catalogue: every kefu recognizer by the name the YAML registry uses.

The classes are declarations (patterns, cue words, one validation hook) on ``DeclarativeRecognizer``;
``privacy.registry`` instantiates the ones ``recognizers.yaml`` enables, once per language.
"""

from __future__ import annotations

from privacy.recognizers.address import EnStreetAddressRecognizer, ZhAddressRecognizer
from privacy.recognizers.base import DeclarativeRecognizer, PatternSpec
from privacy.recognizers.contact import (
    AsciiEmailRecognizer,
    CnLandlineRecognizer,
    CnMobileRecognizer,
    IntlPhoneRecognizer,
    IpAddressRecognizer,
    PhoneCueRecognizer,
)
from privacy.recognizers.finance import AccountNumberRecognizer, BankCardRecognizer, IbanCodeRecognizer
from privacy.recognizers.ids import CnIdCardRecognizer, CnPassportRecognizer, CnUsccRecognizer
from privacy.recognizers.names import EnNameCueRecognizer, ZhNameCueRecognizer, ZhNameTaggerRecognizer

# Declarative kefu recognizers; "intl_phone" wraps Presidio's libphonenumber recognizer.
CATALOGUE: dict[str, type[DeclarativeRecognizer] | type[IntlPhoneRecognizer]] = {
    "cn_id_card": CnIdCardRecognizer,
    "cn_uscc": CnUsccRecognizer,
    "cn_passport": CnPassportRecognizer,
    "cn_mobile": CnMobileRecognizer,
    "cn_landline": CnLandlineRecognizer,
    "bank_card": BankCardRecognizer,
    "iban": IbanCodeRecognizer,
    "account_number": AccountNumberRecognizer,
    "intl_phone": IntlPhoneRecognizer,
    "phone_cue": PhoneCueRecognizer,
    "email": AsciiEmailRecognizer,
    "ip_address": IpAddressRecognizer,
    "zh_name_cue": ZhNameCueRecognizer,
    "zh_name_tagger": ZhNameTaggerRecognizer,
    "en_name_cue": EnNameCueRecognizer,
    "zh_address": ZhAddressRecognizer,
    "en_street_address": EnStreetAddressRecognizer,
}

__all__ = ["CATALOGUE", "DeclarativeRecognizer", "PatternSpec"]
