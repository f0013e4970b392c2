"""Ways to reach a person: mainland mobiles and landlines (PHONE_NUMBER), e-mail, IP addresses."""

from __future__ import annotations

import ipaddress
import re
from typing import Any, ClassVar

from presidio_analyzer import EntityRecognizer
from presidio_analyzer.nlp_engine import NlpArtifacts
from presidio_analyzer.predefined_recognizers import PhoneRecognizer

from privacy.recognizers.base import DeclarativeRecognizer, PatternSpec
from privacy.recognizers.ids import _ORDER_WORDS

# A phone number is not a group inside a longer grouped run ("6239 0635 4908 6968 525" is one number).
_NOT_AFTER_DIGITS = r"(?<![0-9+])(?<![0-9][ -])"
_NOT_BEFORE_DIGITS = r"(?![0-9])(?![ -][0-9])"
# Where an international number can be: 7+ digits with the separators people type, plus a little margin.
_PHONE_CANDIDATE = re.compile(r"[+(]?(?:\d[\d ().\-/]{5,24}\d)")
# Mobile number segments allocated by MIIT (130-199 minus the unallocated ones).
_MOBILE_SEGMENTS = frozenset(
    {*range(130, 140), *range(145, 154), *range(155, 160), 162, *range(165, 168), *range(170, 179)}
    | {*range(180, 190), *range(190, 200)}
)


class CnMobileRecognizer(DeclarativeRecognizer):
    """Mainland mobile: optional +86 / 0086 / (+86), 11 digits 1[3-9]x, optional 3-4-4 separators."""

    ENTITY = "PHONE_NUMBER"
    PATTERNS: ClassVar[tuple[PatternSpec, ...]] = (
        PatternSpec(
            "cn_mobile",
            rf"{_NOT_AFTER_DIGITS}(?:(?:\+|00)86[- ]?|\(\+?86\)[ ]?|86-)?1[3-9]\d(?:[- ]?\d{{4}}){{2}}{_NOT_BEFORE_DIGITS}",
            0.75,
        ),
    )
    CONTEXT = ("手机", "电话", "联系", "致电", "号码", "mobile", "phone", "tel", "call", "whatsapp", "微信")
    NEGATIVE_CONTEXT = _ORDER_WORDS
    PRIORITY = 70

    def validate(self, value: str) -> bool | None:
        digits = "".join(c for c in value if c.isdigit())
        for prefix in ("0086", "86"):
            if len(digits) == 11 + len(prefix) and digits.startswith(prefix):
                digits = digits[len(prefix) :]
        if len(digits) != 11 or int(digits[:3]) not in _MOBILE_SEGMENTS:
            return False
        return None  # plausible, but no checksum: keep the pattern score


class CnLandlineRecognizer(DeclarativeRecognizer):
    """Mainland landline: area code (010, 02x, 0xxx) and a 7-8 digit local number starting 2-8.

    With a separator or parentheses (``010-12345678``, ``(0755)12345678``) it scores 0.6; run together
    (``02168888888``) 0.4, which needs a cue. 400/800 service numbers are not personal and not matched.
    """

    ENTITY = "PHONE_NUMBER"
    _AREA = r"0(?:10|2\d|[3-9]\d{2})"
    PATTERNS: ClassVar[tuple[PatternSpec, ...]] = (
        PatternSpec(
            "landline_sep",
            rf"{_NOT_AFTER_DIGITS}(?:\(\s?{_AREA}\s?\)\s?|{_AREA}[- ])[2-8]\d{{2,3}}[- ]?\d{{4}}{_NOT_BEFORE_DIGITS}",
            0.6,
        ),
        PatternSpec("landline", rf"{_NOT_AFTER_DIGITS}{_AREA}[2-8]\d{{6,7}}{_NOT_BEFORE_DIGITS}", 0.4),
    )
    CONTEXT = ("电话", "座机", "固话", "联系", "传真", "号码", "tel", "phone", "fax", "call")
    NEGATIVE_CONTEXT = (*_ORDER_WORDS, "金额", "余额")
    PRIORITY = 65


class PhoneCueRecognizer(DeclarativeRecognizer):
    """Any-country phone number written the local way (``451 5986``, ``(37) 788-063``, ``60-56-85-91``)
    right after or before a phone cue (``Phone:``, ``call me on``, ``... office``).

    libphonenumber only accepts numbers valid for the regions it is given; customers write their own
    local formats. 7-15 digits in groups, with an optional +country and (area) part; alone it scores 0.2,
    so only a cue makes it a finding.
    """

    ENTITY = "PHONE_NUMBER"
    PATTERNS: ClassVar[tuple[PatternSpec, ...]] = (
        PatternSpec(
            "grouped_digits",
            r"(?<![0-9A-Za-z+.\-])(?:\+\d{1,3}[ -]?)?(?:\(\d{1,4}\)[ -]?)?\d{2,5}(?:[ .\-]\d{2,6}){1,4}"
            r"(?![0-9]|[.\-]\d)",
            0.2,
        ),
        PatternSpec("run", r"(?<![0-9A-Za-z+.\-])\+?\d{7,15}(?![0-9]|[.\-]\d)", 0.2),
    )
    CONTEXT = (
        "phone",
        "tel",
        "mobile",
        "cell",
        "fax",
        "desk",
        "office",
        "call me",
        "reach me",
        "answering at",
        "messages to",
        "registered",
        "number is",
        "whatsapp",
    )
    NEGATIVE_CONTEXT = (
        "order",
        "invoice",
        "account",
        "card",
        "iban",
        "ref",
        "zip",
        "postcode",
        "apt",
        "suite",
        "box",
    )
    CONTEXT_WINDOW = 18
    CONTEXT_AFTER = 8
    CONTEXT_BOOST = 0.5
    PRIORITY = 35

    def validate(self, value: str) -> bool | None:
        digits = sum(c.isdigit() for c in value)
        return None if 7 <= digits <= 15 else False


class AsciiEmailRecognizer(DeclarativeRecognizer):
    """E-mail with an ASCII-only local part.

    Presidio's stock rule uses ``\\w``, which matches Han characters, so ``请发到张三zhang@x.com`` came back
    with the Chinese text inside the address. Here the local part and domain are ASCII.
    """

    ENTITY = "EMAIL_ADDRESS"
    PATTERNS: ClassVar[tuple[PatternSpec, ...]] = (
        PatternSpec(
            "email",
            r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]{0,63}@"
            r"(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![A-Za-z0-9\-])",
            1.0,
        ),
    )
    PRIORITY = 75

    def validate(self, value: str) -> bool | None:
        local = value.split("@", 1)[0]
        return None if ".." not in local and not local.endswith(".") else False


class IpAddressRecognizer(DeclarativeRecognizer):
    """IPv4 (each octet 0-255) and IPv6 (validated by ``ipaddress``). ``版本 1.2.3.4`` is vetoed."""

    ENTITY = "IP_ADDRESS"
    PATTERNS: ClassVar[tuple[PatternSpec, ...]] = (
        PatternSpec(
            "ipv4",
            r"(?<![0-9.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
            r"(?![0-9]|\.\d)",
            0.6,
        ),
        PatternSpec(
            "ipv6", r"(?<![0-9A-Fa-f:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![0-9A-Fa-f:])", 0.6
        ),
    )
    CONTEXT = ("ip", "地址", "address", "登录")
    NEGATIVE_CONTEXT = ("版本", "version", "ver")
    PRIORITY = 55

    def validate(self, value: str) -> bool | None:
        try:
            ipaddress.ip_address(value)
        except ValueError:
            return False
        return None


class IntlPhoneRecognizer(PhoneRecognizer):
    """International numbers via libphonenumber (Presidio's recognizer), reported at 0.5 instead of 0.4.

    Presidio scores a libphonenumber-valid number 0.4 and relies on a cue word to lift it; its default
    engine threshold is 0, ours 0.5. A number that libphonenumber accepts for one of these regions is worth
    masking in a bank's chat even without "phone" next to it.
    """

    SCORE = 0.5
    PRIORITY = 60
    NEEDS: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self, *, language: str, regions: tuple[str, ...] = PhoneRecognizer.DEFAULT_SUPPORTED_REGIONS
    ) -> None:
        super().__init__(supported_language=language, supported_regions=regions, name="IntlPhoneRecognizer")

    def analyze(self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None) -> list[Any]:
        """libphonenumber over each digit-bearing stretch only (it scans its whole input once per region:
        on a 200-character message that was most of this recognizer's cost), offsets shifted back."""
        import phonenumbers

        results: list[Any] = []
        for cand in _PHONE_CANDIDATE.finditer(text):
            piece, offset = cand.group(0), cand.start()
            for region in self.supported_regions:
                for match in phonenumbers.PhoneNumberMatcher(piece, region, leniency=self.leniency or 0):
                    shifted = _Shifted(match.start + offset, match.end + offset)
                    results.append(self._get_recognizer_result(shifted, text, region, nlp_artifacts))  # type: ignore[no-untyped-call]
        return list(EntityRecognizer.remove_duplicates(results))


class _Shifted:
    """The start/end a ``PhoneNumberMatch`` offers Presidio, moved to offsets in the whole text."""

    def __init__(self, start: int, end: int) -> None:
        self.start, self.end = start, end
