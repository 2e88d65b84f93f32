"""Format-preserving masking, overlap resolution and robustness properties."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hegui.errors import InputError
from hegui.safety.pii import (
    PiiEntity,
    analyze,
    luhn_is_valid,
    mask,
    mask_value,
    resident_id_check_char,
)

ID = "11010519491231002" + resident_id_check_char("11010519491231002")
CARD = next(
    "622202123456789012" + d for d in "0123456789" if luhn_is_valid("622202123456789012" + d)
)
CARD16 = next("621700001234567" + d for d in "0123456789" if luhn_is_valid("621700001234567" + d))
GROUPED = " ".join(CARD16[i : i + 4] for i in range(0, 16, 4))


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        # identity documents keep region/birth-year hints at the ends only
        (f"身份证{ID}", f"身份证{ID[:6]}********{ID[-4:]}"),
        ("护照E12345678", "护照E*****678"),
        ("passport EA1234567", "passport EA****567"),
        # phones keep the segment and the last four digits, and every separator
        ("手机13812345678", "手机138****5678"),
        ("手机138-1234-5678", "手机138-****-5678"),
        ("+86 138 1234 5678", "+86 138 **** 5678"),
        ("座机010-62751234", "座机010-******34"),
        ("+86 10 6275 1234", "+86 10 **** **34"),
        ("(0571) 8765 4321", "(0571) **** **21"),
        # cards keep the first and last four digits and their grouping
        (f"卡号{GROUPED}", f"卡号{CARD16[:4]} **** **** {CARD16[-4:]}"),
        (f"卡号{CARD}", f"卡号{CARD[:4]}{'*' * 11}{CARD[-4:]}"),
        # e-mail keeps the first character and the domain
        ("邮箱abcd@example.com", "邮箱a***@example.com"),
        # IPv4 keeps the network half
        ("IP 192.168.1.10", "IP 192.168.*.**"),
        # plates keep province, authority and the last two characters
        ("京A·12345", "京A·***45"),
        # names keep the surname, addresses keep the district
        ("姓名：张三，", "姓名：张*，"),
        ("姓名：欧阳娜娜，", "姓名：欧阳**，"),
        ("Name: John Smith", "Name: J*** S****"),
        ("地址：浙江省杭州市西湖区文三路826号", "地址：浙江省杭州市西湖区*******"),
        # full-width digits are masked in place
        ("手机１３８１２３４５６７８", "手机１３８****５６７８"),
        # nothing to mask
        ("今天天气很好", "今天天气很好"),
    ],
)
def test_partial_masking_keeps_format(text: str, masked: str) -> None:
    assert mask(text) == masked
    assert len(mask(text)) == len(text)


def test_full_masking_stars_every_character_of_each_entity() -> None:
    text = "手机138-1234-5678，邮箱a@b.cn"
    assert mask(text, style="full") == "手机*************，邮箱******"


def test_when_entities_overlap_then_the_stronger_one_is_masked() -> None:
    text = "x 13812345678 y"
    weak = PiiEntity("PHONE", 2, 13, 0.3, text[2:13])
    strong = PiiEntity("CN_MOBILE", 2, 13, 0.9, text[2:13])
    longer = PiiEntity("CN_RESIDENT_ID", 0, 9, 0.3, text[0:9])
    assert mask(text, [weak, strong, longer]) == "x 138****5678 y"


def test_when_given_entities_then_only_those_are_masked() -> None:
    text = "手机13812345678，邮箱abcd@example.com"
    emails = [e for e in analyze(text) if e.entity_type == "EMAIL"]
    assert mask(text, emails) == "手机13812345678，邮箱a***@example.com"


def test_unknown_entity_types_are_fully_masked() -> None:
    assert mask_value("秘密代号", "SOMETHING_NEW") == "****"


def test_bad_style_or_span_is_a_clear_input_error() -> None:
    with pytest.raises(InputError, match="mask style"):
        mask("13812345678", style="blur")
    with pytest.raises(InputError, match="outside"):
        mask("short", [PiiEntity("EMAIL", 2, 40, 1.0, "")])


# Texts that mix the characters PII patterns care about, to shake out crashes and bad offsets.
pii_alphabet = st.sampled_from(
    list(
        "0123456789０１２３４５６７８９ -.:@+()·XxEGCabcz身份证手机号京粤A卡路号市区省姓名：，。\u3000"
    )
)
pii_text = st.lists(pii_alphabet, max_size=120).map("".join) | st.text(max_size=80)


@settings(max_examples=300, deadline=None)
@given(pii_text)
def test_recognizers_never_crash_and_offsets_index_the_original(text: str) -> None:
    for e in analyze(text, overlaps=True):
        assert 0 <= e.start < e.end <= len(text)
        assert e.text == text[e.start : e.end]
        assert 0.0 < e.score <= 1.0


@settings(max_examples=300, deadline=None)
@given(pii_text, st.sampled_from(["partial", "full"]))
def test_masking_preserves_length_and_untouched_text(text: str, style: str) -> None:
    masked = mask(text, style=style)
    assert len(masked) == len(text)
    covered = {i for e in analyze(text) for i in range(e.start, e.end)}
    assert all(masked[i] == text[i] for i in range(len(text)) if i not in covered)


@settings(max_examples=200, deadline=None)
@given(st.text("0123456789", min_size=15, max_size=15))
def test_masked_id_hides_the_birth_date(middle: str) -> None:
    first17 = "110105" + "19900307" + middle[:3]
    number = first17 + resident_id_check_char(first17)
    masked = mask(f"身份证{number}")
    assert "19900307" not in masked
    assert masked.endswith(number[-4:])


def naive_resolve(entities: list[PiiEntity]) -> list[PiiEntity]:
    """Reference: greedy by (score, length, order), checking every kept span."""
    ranked = sorted(
        enumerate(entities), key=lambda ie: (-ie[1].score, ie[1].start - ie[1].end, ie[0])
    )
    kept: list[PiiEntity] = []
    for _, e in ranked:
        if all(e.end <= k.start or e.start >= k.end for k in kept):
            kept.append(e)
    return sorted(kept, key=lambda e: e.start)


spans = st.tuples(st.integers(0, 40), st.integers(1, 12), st.sampled_from([0.3, 0.5, 0.9, 1.0]))


@settings(max_examples=300, deadline=None)
@given(st.lists(spans, max_size=12))
def test_overlap_resolution_agrees_with_the_naive_greedy(raw: list[tuple[int, int, float]]) -> None:
    from hegui.safety.pii import resolve_overlaps

    entities = [PiiEntity("PHONE", s, s + n, score, "") for s, n, score in raw]
    assert resolve_overlaps(entities) == naive_resolve(entities)


@pytest.mark.parametrize(
    "text",
    [
        "1" * 50_000,
        "12-" * 17_000,
        "1." * 25_000,
        "a@" * 25_000,
        ("a" * 60 + "@") * 800,
        "x@" + "a." * 25_000,
        ("浙江省杭州市" + "文" * 20 + "路") * 1_500,
        "浙江省杭州市西湖区" + "路" * 40_000,
        "姓名：" * 15_000,
        "+1 " * 17_000,
    ],
    ids=[
        "digits",
        "dashes",
        "dots",
        "ats",
        "long-locals",
        "deep-domain",
        "roads",
        "road-run",
        "labels",
        "plus",
    ],
)
def test_adversarial_inputs_take_linear_time(text: str) -> None:
    import time

    t0 = time.process_time()
    analyze(text)
    assert time.process_time() - t0 < 2.0  # ~0.1 s here; backtracking blow-ups take minutes
