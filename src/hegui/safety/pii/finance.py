"""Recognizers for payment cards and the Unified Social Credit Code of organisations."""

from __future__ import annotations

from hegui.safety.pii.base import Pattern, Recognizer, bounded
from hegui.safety.pii.checksums import (
    CN_PROVINCE_CODES,
    birth_date_is_valid,
    luhn_is_valid,
    uscc_is_valid,
)
from hegui.safety.pii.identity import CnResidentIdRecognizer

__all__ = ["BankCardRecognizer", "UsccRecognizer", "looks_like_resident_id"]

# Issuer prefixes (ISO/IEC 7812 IIN) of the schemes cards in China carry: UnionPay 62 and 81,
# Visa 4, Mastercard 51–55 / 2221–2720, JCB 35, Discover 60/64/65, Amex 34/37.
_ID_CONTEXT = CnResidentIdRecognizer()


def looks_like_resident_id(text: str, start: int, end: int) -> bool:
    """An 18-character number shaped like a resident ID (birth date inside) with a province code
    or an ID context word: it is an ID even if its check digit fails, whatever Luhn or GB 32100
    says (one random number in ten passes Luhn)."""
    value = text[start:end]
    if len(value) != 18 or not value[:17].isdigit() or not birth_date_is_valid(value[6:14]):
        return False
    return value[:2] in CN_PROVINCE_CODES or _ID_CONTEXT.has_context(text, start, end)


_KNOWN_IIN = ("62", "81", "4", "51", "52", "53", "54", "55", "22", "23", "24", "25", "26", "27",
              "35", "60", "64", "65", "34", "37")  # fmt: skip


class BankCardRecognizer(Recognizer):
    """Bank card number (银行卡号), ISO/IEC 7812: 16–19 digits ending in a Luhn check digit.

    Written contiguous or in groups of four separated by spaces or ``-`` (``6222 0212 3456 7890``,
    a 19-digit card adds a group of three). Luhn passes → 1.0 for a known issuer prefix (UnionPay
    ``62`` first among them), 0.85 otherwise; Luhn fails → dropped. An 18-digit number shaped
    like a resident ID (see :func:`looks_like_resident_id`) is left to the ID recognizer.
    """

    NAME = "bank_card"
    ENTITY = "BANK_CARD"
    PATTERNS = (
        # Contiguous 16–19 digits, or groups of four with one kind of separator.
        Pattern(
            "BANK_CARD",
            bounded(
                "[1-9]", r"\d{3}(?:\d{12,15}|(?P<s>[ -])\d{4}(?:(?P=s)\d{4}){2}(?:(?P=s)\d{1,3})?)"
            ),
            0.4,
        ),
    )
    CONTEXT = ("卡号", "银行卡", "储蓄卡", "信用卡", "借记卡", "账号", "帐号", "card", "account")
    MIN_DIGITS = 16

    def defer(self, text: str, start: int, end: int) -> bool:
        return looks_like_resident_id(text, start, end)

    def validate(self, value: str) -> bool | None:
        return luhn_is_valid("".join(c for c in value if c.isdigit()))

    def validated_score(self, value: str) -> float:
        return 1.0 if value.startswith(_KNOWN_IIN) else 0.85


class UsccRecognizer(Recognizer):
    """Unified Social Credit Code (统一社会信用代码) of an organisation, GB 32100-2015.

    18 characters over ``0–9`` and ``A–Y`` without I, O, Z, S, V: registration authority and
    organisation type (2), administrative division code (6 digits, GB/T 2260), organisation code
    (9, GB 11714) and a check character (weights 3^i mod 31). Valid → 1.0; invalid → dropped.

    An organisation's code is not personal information (PIPL Art. 4), so :class:`PiiDetector`
    leaves ``CN_USCC`` out of its A.4.f findings by default; ``analyze`` still reports it so the
    corpus scan and maskers can tell it apart from a resident ID.
    """

    NAME = "uscc"
    ENTITY = "CN_USCC"
    _CHAR = "[0-9A-HJ-NPQRTUWXY]"
    PATTERNS = (Pattern("CN_USCC", bounded(_CHAR, rf"{_CHAR}\d{{6}}{_CHAR}{{10}}"), 0.4),)
    CONTEXT = ("信用代码", "社会信用", "税号", "纳税人识别号", "营业执照", "uscc", "credit code")
    MIN_DIGITS = 6

    def defer(self, text: str, start: int, end: int) -> bool:
        return looks_like_resident_id(text, start, end)

    def validate(self, value: str) -> bool | None:
        return uscc_is_valid(value)
