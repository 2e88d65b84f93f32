"""Check-digit and structure validators for Chinese and international identifiers.

Plain functions, no regex: recognizers call them from ``validate()`` and other rooms (the
labeling room checks provider USCCs with :func:`uscc_is_valid`) import them directly.
"""

from __future__ import annotations

import datetime as _dt
import time
from operator import mul

__all__ = [
    "CN_PROVINCE_CODES",
    "birth_date_is_valid",
    "luhn_is_valid",
    "resident_id_check_char",
    "resident_id_is_valid",
    "uscc_check_char",
    "uscc_is_valid",
]

# GB 11643-1999: weights 2^(17-i) mod 11 for the first 17 digits; check char indexed by sum mod 11.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_ZERO = 48 * sum(_ID_WEIGHTS)  # weighted sum of the ASCII code of "0", subtracted once
_DAYS_IN_MONTH = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_today_cache: tuple[int, str] = (-1, "")

# GB/T 2260 province-level codes (first two digits of an administrative division code).
CN_PROVINCE_CODES = frozenset(
    {
        "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
        "65", "71", "81", "82", "83", "91",
    }
)  # fmt: skip

# GB 32100-2015: 31-character alphabet (no I, O, Z, S, V) and position weights 3^i mod 31.
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {c: i for i, c in enumerate(_USCC_ALPHABET)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def resident_id_check_char(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character (``0``–``9`` or ``X``) for 17 digits."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError(f"expected 17 ASCII digits, got {first17!r}")
    total = sum(map(mul, first17.encode(), _ID_WEIGHTS)) - _ID_ZERO
    return _ID_CHECK[total % 11]


def birth_date_is_valid(yyyymmdd: str, *, today: _dt.date | None = None) -> bool:
    """True for a real calendar date from 1900-01-01 up to ``today`` (no births in the future)."""
    if len(yyyymmdd) != 8 or not yyyymmdd.isascii() or not yyyymmdd.isdigit():
        return False
    year, month, day = int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:])
    if year < 1900 or not 1 <= month <= 12 or not 1 <= day <= _DAYS_IN_MONTH[month]:
        return False
    if month == 2 and day == 29 and not (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)):
        return False
    return yyyymmdd <= (today.strftime("%Y%m%d") if today is not None else _today())


def _today() -> str:
    """Today as ``YYYYMMDD`` (local time), recomputed once per day rather than once per call."""
    global _today_cache
    day = int(time.time() // 86400)
    if _today_cache[0] != day:
        _today_cache = (day, _dt.date.today().strftime("%Y%m%d"))
    return _today_cache[1]


def resident_id_is_valid(number: str, *, today: _dt.date | None = None) -> bool:
    """True for an 18-character GB 11643 resident ID: province code, birth date and check char."""
    if len(number) != 18 or not number.isascii():
        return False
    body, check = number[:17], number[17].upper()
    if not body.isdigit() or body[:2] not in CN_PROVINCE_CODES:
        return False
    if not birth_date_is_valid(body[6:14], today=today):
        return False
    return resident_id_check_char(body) == check


_LUHN_DOUBLE = {48 + d: (2 * d - 9 if d > 4 else 2 * d) for d in range(10)}


def luhn_is_valid(number: str) -> bool:
    """True when an all-digit string passes the Luhn (ISO/IEC 7812-1) check."""
    if len(number) < 2 or not number.isascii() or not number.isdigit():
        return False
    digits = number.encode()[::-1]
    total = sum(digits[0::2]) - 48 * len(digits[0::2]) + sum(_LUHN_DOUBLE[b] for b in digits[1::2])
    return total % 10 == 0


def uscc_check_char(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters of a USCC."""
    if len(first17) != 17:
        raise ValueError(f"expected 17 characters, got {len(first17)}")
    try:
        total = sum(_USCC_VALUE[c] * w for c, w in zip(first17.upper(), _USCC_WEIGHTS, strict=True))
    except KeyError as exc:
        raise ValueError(f"character {exc.args[0]!r} is not in the USCC alphabet") from None
    return _USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_is_valid(code: str) -> bool:
    """True for an 18-character Unified Social Credit Code (统一社会信用代码) with a correct check char.

    Positions 9–17 hold the organisation code (GB 11714), whose own check digit is not verified here:
    the GB 32100 check char already catches single-character errors.
    """
    if len(code) != 18 or not code.isascii():
        return False
    code = code.upper()
    if any(c not in _USCC_VALUE for c in code) or not code[2:8].isdigit():
        return False
    return uscc_check_char(code[:17]) == code[17]
