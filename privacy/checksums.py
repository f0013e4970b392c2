"""Check digits of the identifiers the recognizers validate, and helpers to compute them.

Each ``is_valid_*`` takes the candidate as found in text (separators allowed) and returns a bool; each
``*_check_char`` computes the check character, so the evaluation generator can build valid numbers and
checksum-invalid look-alikes from the same arithmetic. Pure functions, no I/O.
"""

from __future__ import annotations

import datetime as dt
import string

# GB 11643-1999: weights of the first 17 digits, and the check character for (sum mod 11).
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
# First two digits of a resident ID: the province-level division (GB/T 2260).
CN_PROVINCE_CODES = frozenset(
    {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54}
    | {61, 62, 63, 64, 65, 71, 81, 82, 83, 91}
)

# GB 32100-2015: 统一社会信用代码 alphabet (no I, O, S, V, Z), weights, modulus 31.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_VALUE = {c: i for i, c in enumerate(USCC_ALPHABET)}
# First character: the registering authority (1 机构编制, 5 民政, 9 工商, Y 其他, ...).
USCC_AUTHORITIES = frozenset("123456789ANY")

# ISO 13616 IBAN length per country (the countries of the SWIFT IBAN registry).
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27,
    "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25,
    "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18,
    "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33,
    "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}  # fmt: skip


def compact(text: str) -> str:
    """The candidate without separators (spaces, hyphens, dots, full-width spaces), upper-cased."""
    return "".join(c for c in text if c not in " -.\u3000\u00a0").upper()


# --- 居民身份证 (GB 11643) -----------------------------------------------------------------------


def cn_id_check_char(first17: str) -> str:
    """The 18th character of a resident ID number whose first 17 digits are ``first17``."""
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError("need exactly 17 digits")
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def cn_id_birth_date(number: str) -> dt.date | None:
    """The birth date encoded in digits 7-14, or None when it is not a real calendar date."""
    try:
        return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def is_valid_cn_id(candidate: str, *, today: dt.date | None = None) -> bool:
    """18 characters, a real province code, a real birth date not in the future, and a valid check."""
    number = compact(candidate)
    if len(number) != 18 or not number[:17].isdigit() or number[17] not in "0123456789X":
        return False
    if int(number[:2]) not in CN_PROVINCE_CODES:
        return False
    born = cn_id_birth_date(number)
    if born is None or born.year < 1900 or born > (today or dt.date.today()):
        return False
    return cn_id_check_char(number[:17]) == number[17]


def looks_like_cn_id(candidate: str) -> bool:
    """18 characters shaped like a resident ID (province code, a year-month-day with month 01-12 and day
    01-31 - a mistyped ID may carry an impossible date such as 0230), checksum aside.

    A Luhn-valid (10% of numbers) or mod-31-valid (3%) 18-digit number of this shape is a mistyped ID
    far more often than a card or a company code: a random card number has a ~0.05% chance of it.
    """
    number = compact(candidate)
    if len(number) != 18 or not number[:17].isdigit() or int(number[:2]) not in CN_PROVINCE_CODES:
        return False
    year, month, day = int(number[6:10]), int(number[10:12]), int(number[12:14])
    return 1900 <= year <= dt.date.today().year and 1 <= month <= 12 and 1 <= day <= 31


# --- Payment cards (Luhn) ---------------------------------------------------------------------------


def luhn_check_digit(payload: str) -> str:
    """The digit that makes ``payload + digit`` pass the Luhn check."""
    total = 0
    for i, d in enumerate(reversed(payload)):
        n = int(d)
        if i % 2 == 0:  # these get doubled once the check digit is appended
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return str((10 - total % 10) % 10)


def luhn_ok(digits: str) -> bool:
    return len(digits) > 1 and digits.isdigit() and luhn_check_digit(digits[:-1]) == digits[-1]


def is_valid_card(candidate: str) -> bool:
    """13-19 digits passing Luhn, and not a degenerate run (all one digit)."""
    digits = compact(candidate)
    return 13 <= len(digits) <= 19 and digits.isdigit() and len(set(digits)) > 1 and luhn_ok(digits)


# --- 统一社会信用代码 (GB 32100) ----------------------------------------------------------------------


def uscc_check_char(first17: str) -> str:
    """The 18th character of a unified social credit code whose first 17 characters are ``first17``."""
    if len(first17) != 17 or any(c not in _USCC_VALUE for c in first17):
        raise ValueError("need exactly 17 characters of the GB 32100 alphabet")
    r = 31 - sum(_USCC_VALUE[c] * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True)) % 31
    return USCC_ALPHABET[0 if r == 31 else r]


def is_valid_uscc(candidate: str) -> bool:
    """18 characters: authority, type, 6-digit region, 9-character org code, GB 32100 check."""
    code = compact(candidate)
    if len(code) != 18 or any(c not in _USCC_VALUE for c in code):
        return False
    if code[0] not in USCC_AUTHORITIES or not code[2:8].isdigit():
        return False
    return uscc_check_char(code[:17]) == code[17]


# --- IBAN (ISO 13616, mod 97) -----------------------------------------------------------------------

_IBAN_VALUE = {c: str(i) for i, c in enumerate(string.digits + string.ascii_uppercase)}


def iban_mod97(code: str) -> int:
    rearranged = code[4:] + code[:4]
    return int("".join(_IBAN_VALUE[c] for c in rearranged)) % 97


def is_valid_iban(candidate: str) -> bool:
    code = compact(candidate)
    if len(code) < 15 or not code.isalnum() or not code.isascii():
        return False
    if IBAN_LENGTHS.get(code[:2]) != len(code) or not code[2:4].isdigit():
        return False
    return iban_mod97(code) == 1
