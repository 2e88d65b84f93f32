"""Each PII recognizer as a table: text, expected (entity, value) spans, expected score range.

Valid identifiers are generated with the package's own check-digit functions (which are tested
against reference implementations in ``test_pii_checksums.py``), so no magic numbers hide here.
"""

from __future__ import annotations

import pytest

from hegui.safety.pii import analyze, luhn_is_valid, resident_id_check_char, uscc_check_char


def make_id(first17: str) -> str:
    return first17 + resident_id_check_char(first17)


def bad_id(first17: str) -> str:
    good = resident_id_check_char(first17)
    return first17 + ("0" if good != "0" else "1")


def make_card(prefix: str) -> str:
    return next(prefix + d for d in "0123456789" if luhn_is_valid(prefix + d))


def bad_card(prefix: str) -> str:
    return next(prefix + d for d in "0123456789" if not luhn_is_valid(prefix + d))


def make_uscc(first17: str) -> str:
    return first17 + uscc_check_char(first17)


def full_width(s: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


ID = make_id("11010519491231002")  # the GB 11643 example person, born 1949-12-31
ID_X = make_id("11010519900307177")
CARD = make_card("622202123456789012")  # 19-digit UnionPay
CARD16 = make_card("621700001234567")
VISA = make_card("411111111111111")
USCC = make_uscc("91350100M000100Y4")


def assert_entities(
    text: str, expected: list[tuple[str, str]], lo: float, hi: float, only: str | None = None
) -> None:
    found = analyze(text, entities=None if only is None else [only])
    assert [(e.entity_type, e.text) for e in found] == expected
    for e in found:
        assert text[e.start : e.end] == e.text
        assert lo <= e.score <= hi, (e, lo, hi)


RESIDENT_ID_CASES = [
    # valid
    (ID, [("CN_RESIDENT_ID", ID)], 1.0, 1.0),
    (ID_X, [("CN_RESIDENT_ID", ID_X)], 1.0, 1.0),
    (
        f"{ID[:6]} {ID[6:14]} {ID[14:]}",
        [("CN_RESIDENT_ID", f"{ID[:6]} {ID[6:14]} {ID[14:]}")],
        1.0,
        1.0,
    ),
    # inside a Chinese sentence, glued to CJK characters
    (f"我的身份证号是{ID}请保密", [("CN_RESIDENT_ID", ID)], 1.0, 1.0),
    # full-width digits: found, reported in the original characters
    (f"身份证：{full_width(ID)}", [("CN_RESIDENT_ID", full_width(ID))], 1.0, 1.0),
    # checksum fails: dropped without context, kept at 0.5 beside 身份证 / ID card
    (bad_id("11010519491231002"), [], 0.0, 0.0),
    (
        f"身份证号码为{bad_id('11010519491231002')}。",
        [("CN_RESIDENT_ID", bad_id("11010519491231002"))],
        0.5,
        0.5,
    ),
    (
        f"ID card number {bad_id('86607819631213941')}",
        [("CN_RESIDENT_ID", bad_id("86607819631213941"))],
        0.5,
        0.5,
    ),
    # look-alikes: impossible birth date, future birth date, bad province, glued to letters
    (f"身份证{make_id('11010519491331002')}", [], 0.0, 0.0),
    (f"{make_id('11010520990101002')}", [], 0.0, 0.0),
    (f"{make_id('99010519491231002')}", [], 0.0, 0.0),
    (f"A{ID}", [], 0.0, 0.0),
    (f"{ID}7", [], 0.0, 0.0),
    # legacy 15-digit form
    ("身份证 110105491231002", [("CN_RESIDENT_ID", "110105491231002")], 0.6, 0.8),
]


@pytest.mark.parametrize(("text", "expected", "lo", "hi"), RESIDENT_ID_CASES)
def test_resident_id_table(
    text: str, expected: list[tuple[str, str]], lo: float, hi: float
) -> None:
    # Only ID findings: a rejected ID may still pass Luhn and be a (correct) bank-card finding.
    assert_entities(text, expected, lo, hi, only="CN_RESIDENT_ID")


PHONE_CASES = [
    # mobile: plain, grouped, with country code, in Chinese text, full-width
    ("13812345678", [("CN_MOBILE", "13812345678")], 0.6, 0.6),
    ("手机138-1234-5678", [("CN_MOBILE", "138-1234-5678")], 0.9, 0.9),
    ("call 138 1234 5678", [("CN_MOBILE", "138 1234 5678")], 0.9, 0.9),
    ("+86 13812345678", [("CN_MOBILE", "+86 13812345678")], 0.85, 0.85),
    ("电话：008613812345678。", [("CN_MOBILE", "008613812345678")], 1.0, 1.0),
    ("联系我１３８１２３４５６７８", [("CN_MOBILE", "１３８１２３４５６７８")], 0.9, 0.9),
    # mobile look-alikes: unallocated segment, too long, glued to letters, part of a money amount
    ("12012345678", [], 0.0, 0.0),
    ("138123456789", [], 0.0, 0.0),
    ("ID13812345678", [], 0.0, 0.0),
    # landline: with a dash, parentheses, +86; never a bare digit run
    ("座机010-62751234", [("CN_LANDLINE", "010-62751234")], 0.8, 0.8),
    ("(0571) 8765 4321", [("CN_LANDLINE", "(0571) 8765 4321")], 0.6, 0.6),
    ("+86 10 6275 1234", [("CN_LANDLINE", "+86 10 6275 1234")], 0.7, 0.7),
    ("0086-21-62751234", [("CN_LANDLINE", "0086-21-62751234")], 0.7, 0.7),
    ("订单号 01062751234", [], 0.0, 0.0),
    # international numbers as people write them
    ("by phone at (95) 94215-7906.", [("PHONE", "(95) 94215-7906")], 0.8, 0.8),
    ("+44 20 7946 0958", [("PHONE", "+44 20 7946 0958")], 0.6, 0.6),
    ("reach her at 0475 4429797", [("CN_LANDLINE", "0475 4429797")], 0.8, 0.8),
    ("reach him at 212 555 0187", [("PHONE", "212 555 0187")], 0.65, 0.65),
    # phone look-alikes: dates, money, years
    ("on 2024-05-06 at 10:30", [], 0.0, 0.0),
    ("income of $101,348.88 and 2023 2024", [], 0.0, 0.0),
]


@pytest.mark.parametrize(("text", "expected", "lo", "hi"), PHONE_CASES)
def test_phone_table(text: str, expected: list[tuple[str, str]], lo: float, hi: float) -> None:
    assert_entities(text, expected, lo, hi)


CARD_CASES = [
    # valid: contiguous, grouped by spaces or dashes, glued to 卡号, full-width
    (CARD, [("BANK_CARD", CARD)], 1.0, 1.0),
    (f"卡号{CARD16}", [("BANK_CARD", CARD16)], 1.0, 1.0),
    (
        " ".join([CARD16[i : i + 4] for i in range(0, 16, 4)]),
        [("BANK_CARD", " ".join([CARD16[i : i + 4] for i in range(0, 16, 4)]))],
        1.0,
        1.0,
    ),
    (
        "-".join([VISA[i : i + 4] for i in range(0, 16, 4)]),
        [("BANK_CARD", "-".join([VISA[i : i + 4] for i in range(0, 16, 4)]))],
        1.0,
        1.0,
    ),
    (f"银行卡：{full_width(CARD)}", [("BANK_CARD", full_width(CARD))], 1.0, 1.0),
    # Luhn passes but no known issuer prefix: still reported, lower
    (make_card("100000000000000"), [("BANK_CARD", make_card("100000000000000"))], 0.85, 0.85),
    # Luhn fails: dropped
    (bad_card("622202123456789012"), [], 0.0, 0.0),
    (f"卡号{bad_card('621700001234567')}", [], 0.0, 0.0),
    # mixed separators: still a card to a reader (found on the digit-folded copy, issue 11)
    (
        f"{CARD16[:4]} {CARD16[4:8]}-{CARD16[8:12]} {CARD16[12:]}",
        [("BANK_CARD", f"{CARD16[:4]} {CARD16[4:8]}-{CARD16[8:12]} {CARD16[12:]}")],
        1.0,
        1.0,
    ),
    # look-alikes: too short, a resident ID that happens to pass Luhn
    (make_card("62220212345678"), [], 0.0, 0.0),
]


@pytest.mark.parametrize(("text", "expected", "lo", "hi"), CARD_CASES)
def test_bank_card_table(text: str, expected: list[tuple[str, str]], lo: float, hi: float) -> None:
    assert_entities(text, expected, lo, hi)


def test_when_resident_id_also_passes_luhn_then_it_is_reported_as_an_id() -> None:
    ids = (make_id(f"110105199003071{n:02d}") for n in range(100))
    both = next(i for i in ids if luhn_is_valid(i))
    assert [(e.entity_type, e.score) for e in analyze(f"身份证{both}")] == [("CN_RESIDENT_ID", 1.0)]


OTHER_CASES = [
    # USCC: valid, invalid check character, glued to Chinese
    (f"统一社会信用代码{USCC}", [("CN_USCC", USCC)], 1.0, 1.0),
    (USCC[:-1] + ("0" if USCC[-1] != "0" else "1"), [], 0.0, 0.0),
    # passports and permits
    ("护照号E12345678", [("PASSPORT", "E12345678")], 0.85, 0.85),
    ("passport EA1234567", [("PASSPORT", "EA1234567")], 0.85, 0.85),
    ("G12345678", [("PASSPORT", "G12345678")], 0.3, 0.3),
    ("港澳通行证C12345678", [("PASSPORT", "C12345678")], 0.65, 0.65),
    ("台胞证号码：12345678", [("PASSPORT", "12345678")], 0.95, 0.95),
    ("型号XE12345678", [], 0.0, 0.0),
    ("G1234567 or L123456789", [], 0.0, 0.0),  # G needs 8 digits, L exactly 8
    ("回乡证H1234567890", [("PASSPORT", "H1234567890")], 0.65, 0.65),
    # e-mail: ASCII boundaries beside Chinese, trailing full stop, apostrophe, no bare @
    ("邮箱a@b.cn", [("EMAIL", "a@b.cn")], 1.0, 1.0),
    ("写信到zhang.san@example.com。", [("EMAIL", "zhang.san@example.com")], 1.0, 1.0),
    ("kenji-o'donnell@hotmail.org", [("EMAIL", "kenji-o'donnell@hotmail.org")], 1.0, 1.0),
    ("mail me: x_y@corp.example.museum", [("EMAIL", "x_y@corp.example.museum")], 0.9, 0.9),
    ("@someone 和 a@b", [], 0.0, 0.0),
    ("邮箱：ａｂｃ＠ｑｑ．ｃｏｍ", [("EMAIL", "ａｂｃ＠ｑｑ．ｃｏｍ")], 1.0, 1.0),
    # IP addresses: v4 with octet checks, v6 parsed, version numbers dropped
    ("服务器IP是192.168.1.10。", [("IP_ADDRESS", "192.168.1.10")], 0.9, 0.9),
    ("256.1.1.1 and 1.2.3", [], 0.0, 0.0),
    ("升级到版本 1.2.3.4", [], 0.0, 0.0),
    ("see v1.2.3.4", [], 0.0, 0.0),
    ("host fe80::1ff:fe23:4567:890a", [("IP_ADDRESS", "fe80::1ff:fe23:4567:890a")], 1.0, 1.0),
    ("at 12:30:45 today", [], 0.0, 0.0),
    # plates: ordinary, middle dot, new energy, look-alikes with I/O or too few digits
    ("车牌京A12345", [("CN_PLATE", "京A12345")], 0.9, 0.9),
    ("京A·12345", [("CN_PLATE", "京A·12345")], 0.6, 0.6),
    ("粤BD12345", [("CN_PLATE", "粤BD12345")], 0.6, 0.6),
    ("沪A12345D", [("CN_PLATE", "沪A12345D")], 0.6, 0.6),
    ("京I12345", [], 0.0, 0.0),
    ("京ABCDE1", [], 0.0, 0.0),
    # names only after an explicit cue
    ("姓名：张三，性别：男", [("PERSON", "张三")], 0.7, 0.7),
    ("我叫王小明先生", [("PERSON", "王小明")], 0.6, 0.6),
    (
        "收件人欧阳娜娜 13812345678",
        [("PERSON", "欧阳娜娜"), ("CN_MOBILE", "13812345678")],
        0.6,
        0.7,
    ),
    ("Name: John Smith", [("PERSON", "John Smith")], 0.7, 0.7),
    ("name：Mary Jane Watson。", [("PERSON", "Mary Jane Watson")], 0.7, 0.7),
    ("My name is Jane", [("PERSON", "Jane")], 0.6, 0.6),
    ("surname: Smith", [], 0.0, 0.0),
    ("张三今天没来", [], 0.0, 0.0),
    ("我叫不出名字", [], 0.0, 0.0),
    ("并不觉得日语名字高大上", [], 0.0, 0.0),
    ("姓名：白性别：男", [], 0.0, 0.0),
    # addresses: province-anchored with a house number, after a cue, or not at all
    (
        "寄到浙江省杭州市西湖区文三路826号3栋201室",
        [("CN_ADDRESS", "浙江省杭州市西湖区文三路826号3栋201室")],
        0.85,
        0.85,
    ),
    ("住址：杭州市西湖区文三路826号", [("CN_ADDRESS", "杭州市西湖区文三路826号")], 0.85, 0.85),
    ("浙江省内的路都很好走", [], 0.0, 0.0),
]


@pytest.mark.parametrize(("text", "expected", "lo", "hi"), OTHER_CASES)
def test_other_recognizers_table(
    text: str, expected: list[tuple[str, str]], lo: float, hi: float
) -> None:
    assert_entities(text, expected, lo, hi)


def test_when_text_has_no_personal_information_then_nothing_is_found() -> None:
    text = "今天天气很好，我们在2024年5月6日去公园散步，看到了3只猫和12朵花。Version 2.0 is out."
    assert analyze(text) == []


def test_when_entities_filter_given_then_only_those_types_are_reported() -> None:
    text = f"手机13812345678，邮箱a@b.cn，身份证{ID}"
    assert {e.entity_type for e in analyze(text, entities=["EMAIL"])} == {"EMAIL"}
    assert [e.entity_type for e in analyze(text, min_score=0.95)] == ["EMAIL", "CN_RESIDENT_ID"]


def test_when_overlaps_requested_then_every_match_is_kept() -> None:
    text = f"卡号{make_card('62220212345678901')}"
    resolved = analyze(text)
    everything = analyze(text, overlaps=True)
    assert len(resolved) <= len(everything)
    assert {e.entity_type for e in resolved} <= {e.entity_type for e in everything}
