"""Recognizers for Chinese identity documents: resident ID card and passports / travel permits."""

from __future__ import annotations

from typing import ClassVar

from hegui.safety.pii.base import ASCII_AFTER, Pattern, Recognizer, bounded
from hegui.safety.pii.checksums import (
    CN_PROVINCE_CODES,
    birth_date_is_valid,
    resident_id_is_valid,
)

__all__ = ["CnResidentIdRecognizer", "PassportRecognizer"]

_DATE8 = r"(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
_DATE6 = r"\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"


class CnResidentIdRecognizer(Recognizer):
    """Resident identity card number (居民身份证号码), GB 11643-1999.

    18 characters: 6-digit address code (GB/T 2260, first two digits a province), 8-digit birth
    date, 3-digit sequence (odd for men), and an ISO 7064 MOD 11-2 check character ``0–9``/``X``.
    The 15-digit form issued before 1999 has a 6-digit birth date (19YYMMDD) and no check digit.

    Valid check character, province and past birth date → 1.0. A failing check character is
    dropped, unless a context word (``身份证``, ``ID card`` …) stands next to a number whose birth
    date is still real: typos, OCR errors and synthetic data are still an ID worth redacting, so it
    is kept at 0.5. The legacy 15-digit form (valid province and date) scores 0.4, 0.7 with context.
    """

    NAME = "cn_resident_id"
    ENTITY = "CN_RESIDENT_ID"
    PATTERNS = (
        # One pattern, one pass: 18 characters (optionally spaced 6-8-4) or the legacy 15 digits.
        Pattern(
            "CN_RESIDENT_ID",
            bounded("[1-9]", rf"\d{{5}}(?: ?{_DATE8} ?\d{{3}}[0-9Xx]|{_DATE6}\d{{3}})"),
            0.4,
        ),
    )
    CONTEXT = (
        "身份证", "身份号", "证件号", "公民身份", "居民身份", "id card", "id number", "id no",
        "identity", "identification", "national id",
    )  # fmt: skip
    INVALID_WITH_CONTEXT: ClassVar[float | None] = 0.5
    MIN_DIGITS = 15

    def __init__(self, *, context_window: int = 32, context: tuple[str, ...] | None = None) -> None:
        super().__init__(context_window=context_window, context=context)

    def validate(self, value: str) -> bool | None:
        digits = value.replace(" ", "")
        if len(digits) == 15:
            if digits[:2] in CN_PROVINCE_CODES and birth_date_is_valid("19" + digits[6:12]):
                return None
            return False
        return resident_id_is_valid(digits)

    def plausible(self, value: str) -> bool:
        digits = value.replace(" ", "")
        return len(digits) == 18 and birth_date_is_valid(digits[6:14])


class PassportRecognizer(Recognizer):
    """Passports and travel permits of the PRC (NIA / MPS formats).

    - Ordinary passport: ``E`` + 8 digits, or since 2019 ``E`` + letter (no I/O) + 7 digits;
      older ``G`` + 8 digits; diplomatic / service / public-affairs ``D``/``S``/``P`` + 7–8 digits.
    - Exit-entry permit to Hong Kong and Macao (往来港澳通行证): ``C`` + 8 digits or ``C`` + letter + 7.
    - Home-return permit (回乡证): ``H``/``M`` + 8 or 10 digits; permit to Taiwan: ``L`` + 8 digits.
    - Mainland travel permit for Taiwan residents (台胞证): 8 digits, only right after its name.

    No check digit is public, so scores come from the pattern (0.3–0.5) plus 0.35 with context.
    """

    NAME = "passport"
    ENTITY = "PASSPORT"
    PATTERNS = (
        Pattern("CN_PASSPORT (E)", bounded("E", r"(?:\d{8}|[A-HJ-NP-Z]\d{7})"), 0.5),
        # G/D/S/P passports and C/H/M/L permits share one pass; validate() checks each letter's form.
        Pattern(
            "CN_PASSPORT_OR_PERMIT", bounded("[CDGHLMPS]", r"(?:\d{7,10}|[A-HJ-NP-Z]\d{7})"), 0.3
        ),
        Pattern(
            "TW_RESIDENT_PERMIT (context)",
            r"台(?:胞证|湾居民来往大陆通行证)(?:号码|号)?[:：\s]*(?P<v>\d{8})" + ASCII_AFTER,
            0.6,
            needs="台",
        ),
    )
    CONTEXT = ("护照", "passport", "通行证", "回乡证", "台胞证", "证件", "travel document")
    _FORMS: ClassVar[dict[str, tuple[str, ...]]] = {
        "G": ("d8",), "D": ("d7", "d8"), "S": ("d7", "d8"), "P": ("d7", "d8"),
        "C": ("d8", "a7"), "H": ("d8", "d10"), "M": ("d8", "d10"), "L": ("d8",),
    }  # fmt: skip
    CONTEXT_BOOST = 0.35
    MIN_DIGITS = 7

    def validate(self, value: str) -> bool | None:
        if value[0] not in self._FORMS or not value.isascii():
            return None
        form = f"d{len(value) - 1}" if value[1].isdigit() else f"a{len(value) - 2}"
        return None if form in self._FORMS.get(value[0], ()) else False
