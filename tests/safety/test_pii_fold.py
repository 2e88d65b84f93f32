"""Numbers hidden by separators, zero-width characters or Chinese numerals (issue 11, item 5).

Before: ``1\\u200b3\\u200b8…``, ``1 3 8 0 0 …``, ``138.0013.8000`` and ``一三八〇〇一三八〇〇〇``
were released whole. Now they are found on a digit-folded copy whose spans map back to the
original characters, and masked there.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hegui.safety.engine import Engine
from hegui.safety.pii import analyze, luhn_is_valid, mask, resident_id_check_char
from hegui.safety.pii.fold import NUMERALS, fold_digit_runs
from hegui.safety.types import Action

MOBILE = "13800138000"
ID = "11010519491231002" + resident_id_check_char("11010519491231002")
CARD = next("622202123456789" + d for d in "0123456789" if luhn_is_valid("622202123456789" + d))
TO_ZH = {v: k for k, v in NUMERALS.items() if k in "〇一二三四五六七八九"}
TO_CAPITAL = dict(zip("0123456789", "零壹贰叁肆伍陆柒捌玖", strict=True))
DIGIT = re.compile("[0-9Xx〇零一二三四五六七八九壹贰叁肆伍陆柒捌玖]")


def spaced(number: str, sep: str) -> str:
    return sep.join(number)


def zh(number: str, table: dict[str, str] = TO_ZH) -> str:
    return "".join(table.get(c, c) for c in number)


EVASIONS = [
    (f"手机{spaced(MOBILE, chr(0x200B))}", "CN_MOBILE"),
    (f"手机{spaced(MOBILE, chr(0x200C))}", "CN_MOBILE"),
    (f"call me at {spaced(MOBILE, ' ')} tonight", "CN_MOBILE"),
    (f"电话{spaced(MOBILE, '-')}", "CN_MOBILE"),
    ("电话138.0013.8000", "CN_MOBILE"),
    ("电话138\u200b\u200c0013\u200b8000", "CN_MOBILE"),
    (f"手机{zh(MOBILE)}", "CN_MOBILE"),
    (f"手机号是{zh(MOBILE, TO_CAPITAL)}", "CN_MOBILE"),
    (f"身份证{spaced(ID, ' ')}", "CN_RESIDENT_ID"),
    (f"身份证{spaced(ID, chr(0x200B))}", "CN_RESIDENT_ID"),
    (f"身份证号{zh(ID)}", "CN_RESIDENT_ID"),
    (f"证件 {ID[:6]}.{ID[6:14]}.{ID[14:]}", "CN_RESIDENT_ID"),
    (f"卡号{spaced(CARD, '.')}", "BANK_CARD"),
    (f"卡号{spaced(CARD, chr(0x200B))}", "BANK_CARD"),
    (f"卡号 {CARD[:4]} {CARD[4:8]}-{CARD[8:12]}.{CARD[12:]}", "BANK_CARD"),
    (f"卡号{zh(CARD)}", "BANK_CARD"),
]


def _digits_of(text: str) -> str:
    return "".join(NUMERALS.get(c, c) for c in text if c.isdigit() or c in NUMERALS)


@pytest.mark.parametrize(("text", "entity"), EVASIONS)
def test_hidden_number_is_found_with_its_original_span(text: str, entity: str) -> None:
    found = [e for e in analyze(text) if e.entity_type == entity]
    assert len(found) == 1, analyze(text)
    e = found[0]
    assert text[e.start : e.end] == e.text
    digits = [m.start() for m in DIGIT.finditer(text)]
    assert (e.start, e.end) == (digits[0], digits[-1] + 1)  # first to last digit, gaps included


@pytest.mark.parametrize(("text", "entity"), EVASIONS)
def test_masking_hits_the_original_characters(text: str, entity: str) -> None:
    masked = mask(text)
    assert len(masked) == len(text)
    kept = _digits_of(masked)
    whole = {"CN_MOBILE": MOBILE, "CN_RESIDENT_ID": ID, "BANK_CARD": CARD}[entity]
    assert whole not in kept and "*" in masked
    # separators and invisible characters stay where they were
    assert [c for c in masked if not (c.isalnum() or c == "*")] == [
        c for c in text if not (c.isalnum() or c == "*")
    ]


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.default()


@pytest.mark.parametrize(("text", "entity"), EVASIONS)
@pytest.mark.parametrize("direction", ["input", "output"])
def test_engine_redacts_the_hidden_number(
    engine: Engine, text: str, entity: str, direction: str
) -> None:
    verdict = engine.check(text, direction)
    assert verdict.action is Action.REDACT, verdict.to_dict()
    assert verdict.redacted is not None and len(verdict.redacted) == len(text)
    whole = {"CN_MOBILE": MOBILE, "CN_RESIDENT_ID": ID, "BANK_CARD": CARD}[entity]
    assert whole not in _digits_of(verdict.redacted)


NOT_NUMBERS = [
    "会议在 2024-01-01 12:30 开始，地点 192.168.1.1",
    "version 1.2.3.4.5.6.7.8.9.10.11",
    "一一对应，一一列举，一二三四五六七八九十",
    "第一二三章讲了一个很长的故事",
    "价格 1,234,567.89 元，编号 12 34 56",
    "1 2 3 4 5 6 7 8 9 10",
]


@pytest.mark.parametrize("text", NOT_NUMBERS)
def test_ordinary_numbers_and_numerals_are_not_personal_information(text: str) -> None:
    assert [
        e for e in analyze(text) if e.entity_type in ("CN_MOBILE", "CN_RESIDENT_ID", "BANK_CARD")
    ] == []


def test_fold_maps_each_folded_digit_to_its_original_character() -> None:
    text = "号码：1\u200b3 8-0.0一三八〇〇〇，谢谢"
    fold = fold_digit_runs(text)
    assert fold is not None and MOBILE in fold.text
    start = fold.text.index(MOBILE)
    a, b = fold.span(start, start + len(MOBILE))
    assert text[a:b] == "1\u200b3 8-0.0一三八〇〇〇"
    assert fold_digit_runs("电话 13800138000") is None  # plain digits: nothing to fold


GAPS = st.sampled_from(["", " ", "-", ".", "\u200b", "\u200c", "\u200b \u200c", "\u2060", "·"])


@settings(max_examples=200, deadline=None)
@given(st.lists(GAPS, min_size=10, max_size=10), st.booleans())
def test_any_mix_of_single_separators_and_invisible_characters(
    gaps: list[str], numerals: bool
) -> None:
    digits = zh(MOBILE) if numerals else MOBILE
    number = digits[0] + "".join(g + d for g, d in zip(gaps, digits[1:], strict=True))
    text = f"请联系我，手机{number}，谢谢"
    found = [e for e in analyze(text) if e.entity_type == "CN_MOBILE"]
    assert len(found) == 1 and found[0].text == number
    masked = mask(text)
    assert len(masked) == len(text) and MOBILE not in _digits_of(masked)
