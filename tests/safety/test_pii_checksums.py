"""Check-digit functions against straightforward reference implementations and published examples."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hegui.safety.pii import (
    luhn_is_valid,
    resident_id_check_char,
    resident_id_is_valid,
    uscc_check_char,
    uscc_is_valid,
)
from hegui.safety.pii.checksums import birth_date_is_valid

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def reference_id_check(first17: str) -> str:
    """ISO 7064 MOD 11-2 written from the standard: weights 2^(17-i) mod 11."""
    total = sum(int(d) * (2 ** (17 - i) % 11) for i, d in enumerate(first17))
    return "10X98765432"[total % 11]


def reference_luhn(number: str) -> bool:
    """Luhn as usually taught: double every second digit from the right, subtract 9 above 9."""
    digits = [int(c) for c in number]
    for i in range(len(digits) - 2, -1, -2):
        digits[i] = digits[i] * 2 - 9 if digits[i] * 2 > 9 else digits[i] * 2
    return sum(digits) % 10 == 0


def reference_uscc_check(first17: str) -> str:
    """GB 32100-2015: weights 3^i mod 31, check = 31 - (sum mod 31), 31 → 0."""
    total = sum(USCC_ALPHABET.index(c) * (3**i % 31) for i, c in enumerate(first17))
    return USCC_ALPHABET[(31 - total % 31) % 31]


@given(st.text("0123456789", min_size=17, max_size=17))
def test_id_check_char_agrees_with_reference(first17: str) -> None:
    assert resident_id_check_char(first17) == reference_id_check(first17)


@given(st.text("0123456789", min_size=2, max_size=25))
def test_luhn_agrees_with_reference(number: str) -> None:
    assert luhn_is_valid(number) == reference_luhn(number)


@given(st.text(USCC_ALPHABET, min_size=17, max_size=17))
def test_uscc_check_char_agrees_with_reference(first17: str) -> None:
    assert uscc_check_char(first17) == reference_uscc_check(first17)


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2030, 12, 31)))
def test_birth_date_check_agrees_with_the_calendar(day: dt.date) -> None:
    today = dt.date(2026, 11, 28)
    assert birth_date_is_valid(day.strftime("%Y%m%d"), today=today) == (day <= today)


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        # published examples
        ("11010519491231002X", True),  # GB 11643-1999 annex example
        ("11010519491231002x", True),  # lower-case x accepted
        ("110105194912310021", False),  # wrong check character
        ("11010519491231002", False),  # too short
        ("990105194912310020", False),  # no such province
        ("110105194902300020", False),  # 30 February
        (
            "１１０１０５１９４９１２３１００２Ｘ",
            False,
        ),  # full-width is folded by recognizers, not here
    ],
)
def test_resident_id_examples(number: str, valid: bool) -> None:
    assert resident_id_is_valid(number) is valid


@pytest.mark.parametrize(
    ("code", "valid"),
    [
        ("91350100M000100Y43", True),  # a widely quoted sample code
        ("91110108551385082Q", True),
        ("91350100M000100Y44", False),  # wrong check character
        ("91350100M000100I43", False),  # I is not in the alphabet
        ("9135010M000100Y43", False),  # 17 characters
        ("91AB0100M000100Y43", False),  # division code must be digits
    ],
)
def test_uscc_examples(code: str, valid: bool) -> None:
    assert uscc_is_valid(code) is valid


@pytest.mark.parametrize("number", ["4111111111111111", "6222021234567890128", "79927398713"])
def test_luhn_accepts_known_valid_numbers(number: str) -> None:
    assert luhn_is_valid(number)


@pytest.mark.parametrize("bad", ["", "7", "4111-1111", "41111111111111１1", "abc"])
def test_luhn_rejects_non_digit_input(bad: str) -> None:
    assert not luhn_is_valid(bad)


def test_check_char_functions_reject_wrong_lengths_with_a_clear_error() -> None:
    with pytest.raises(ValueError, match="17"):
        resident_id_check_char("123")
    with pytest.raises(ValueError, match="alphabet"):
        uscc_check_char("91350100M000100I4")
