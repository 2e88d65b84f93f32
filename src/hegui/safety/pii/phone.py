"""Recognizers for telephone numbers: Chinese mobile, Chinese landline, international."""

from __future__ import annotations

from hegui.safety.pii.base import Pattern, Recognizer, bounded

__all__ = ["CnLandlineRecognizer", "CnMobileRecognizer", "PhoneRecognizer"]

# Not after a letter, digit or "+" (so "+8613812345678" is read from its "+"), nor inside money.
_NOT_BEFORE = "0-9A-Za-z+$¥.,"
# Not before a letter or digit, nor a decimal part (".5", ",000").
_AFTER = r"(?![0-9A-Za-z]|[.,]\d)"


def _phone(first: str, rest: str) -> str:
    return bounded(first, rest, not_before=_NOT_BEFORE, after=_AFTER)


# Mobile number segments MIIT has allocated for public networks (data-only 14x cards excluded).
_MOBILE_PREFIX = r"1(?:3\d|4[5-9]|5[0-35-9]|6[2567]|7[0-8]|8\d|9[0-35-9])"
_MOBILE_REST = r"(?:\d{8}|-\d{4}-\d{4}| \d{4} \d{4})"

_PHONE_CONTEXT = (
    "手机", "电话", "联系", "致电", "拨打", "热线", "座机", "来电", "短信", "微信", "tel",
    "phone", "mobile", "call", "contact", "reach", "fax", "cell",
)  # fmt: skip


class CnMobileRecognizer(Recognizer):
    """Mainland China mobile number (手机号), 11 digits, MIIT 电信网编号计划 (2017).

    ``1`` + a segment MIIT has allocated (13x, 145–149, 15x without 154, 162/165–167, 170–178,
    18x, 19x without 194) + 8 digits; optionally ``+86``/``0086`` and 3-4-4 groups with ``-`` or
    spaces (``138-1234-5678``, ``138 1234 5678``). No check digit exists: a bare number scores
    0.6, with a country code 0.85, and a context word such as ``手机`` adds 0.3.
    """

    NAME = "cn_mobile"
    ENTITY = "CN_MOBILE"
    PATTERNS = (
        Pattern(
            "CN_MOBILE (+86)",
            _phone(r"\+", "86[ -]?" + _MOBILE_PREFIX + _MOBILE_REST),
            0.85,
            needs="+86",
        ),
        Pattern(
            "CN_MOBILE (0086)",
            _phone("0", "086[ -]?" + _MOBILE_PREFIX + _MOBILE_REST),
            0.85,
            needs="0086",
        ),
        Pattern("CN_MOBILE", _phone("1", _MOBILE_PREFIX[1:] + _MOBILE_REST), 0.6),
    )
    CONTEXT = _PHONE_CONTEXT
    MIN_DIGITS = 11


class CnLandlineRecognizer(Recognizer):
    """Mainland China fixed-line number (座机), MIIT 电信网编号计划 (2017).

    Trunk prefix ``0`` + area code (``10``, ``2x``, or three digits from ``3``–``9``) + a 7–8 digit
    local number that does not start with 0, optionally ``-ext``. The area code must be set
    off by ``-``, a space or parentheses (``010-12345678``, ``(0571) 8765 4321``) so random digit
    runs are not eaten; ``+86``/``0086`` drop the trunk ``0``. Score 0.5 (parentheses 0.6, country
    code 0.7), with context +0.3.
    """

    NAME = "cn_landline"
    ENTITY = "CN_LANDLINE"
    _AREA = r"(?:10|2\d|[3-9]\d{2})"
    _LOCAL = r"[1-9]\d{2,3}[ -]?\d{4}(?:-\d{1,4})?"
    PATTERNS = (
        Pattern(
            "CN_LANDLINE (+86)",
            _phone(r"\+", r"86[ -]?\(?" + _AREA + r"\)?[ -]" + _LOCAL),
            0.7,
            needs="+86",
        ),
        Pattern(
            "CN_LANDLINE (0086)",
            _phone("0", r"086[ -]?\(?" + _AREA + r"\)?[ -]" + _LOCAL),
            0.7,
            needs="0086",
        ),
        Pattern(
            "CN_LANDLINE (parentheses)",
            _phone(r"\(", "0" + _AREA + r"\)[ -]?" + _LOCAL),
            0.6,
            needs="(",
        ),
        Pattern("CN_LANDLINE", _phone("0", _AREA + r"[ -]" + _LOCAL), 0.5),
    )
    CONTEXT = _PHONE_CONTEXT
    MIN_DIGITS = 10

    def validate(self, value: str) -> bool | None:
        n = sum(c.isdigit() for c in value)
        return None if 10 <= n <= 18 else False


class PhoneRecognizer(Recognizer):
    """Telephone numbers in international notation (ITU-T E.164/E.123), as people write them.

    ``+CC`` and groups (``+44 20 7946 0958``, ``+91-98765 43210``), an area code in parentheses
    (``(212) 555-0187``, ``(95) 94215-7906``), or three or four digit groups (``0475 442 979``).
    8–15 digits in total (9 without ``+`` or parentheses) and a last group of 3+ digits, so
    dates like ``2024-05-06`` are not phones. No checksum: 0.6 with ``+``, 0.5 with parentheses,
    0.35 for bare groups; context words add 0.3. Chinese numbers are reported by the more specific
    CN recognizers first.
    """

    NAME = "phone"
    ENTITY = "PHONE"
    _GROUPS = r"(?:[ -]\d{2,5})*[ -]\d{3,5}"
    PATTERNS = (
        Pattern(
            "PHONE (+CC)",
            _phone(r"\+", r"\d{1,3}[ -]?(?:\(\d{1,4}\)[ -]?)?\d{1,5}" + _GROUPS),
            0.6,
            needs="+",
        ),
        Pattern("PHONE (area)", _phone(r"\(", r"\d{2,5}\)[ -]?\d{2,5}" + _GROUPS), 0.5, needs="("),
        Pattern("PHONE (groups)", _phone(r"\d", r"\d{1,4}(?:[ -]\d{2,5}){0,2}[ -]\d{3,7}"), 0.35),
    )
    CONTEXT = _PHONE_CONTEXT
    MIN_DIGITS = 8

    def validate(self, value: str) -> bool | None:
        n = sum(c.isdigit() for c in value)
        low = 8 if value[0] in "+(" else 9
        return None if low <= n <= 15 else False
