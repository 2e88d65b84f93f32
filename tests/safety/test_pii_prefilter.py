"""The Hyperscan prefilter only skips recognizers that cannot match: results never change."""

from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hegui.safety.pii.base import Pattern, Recognizer
from hegui.safety.pii.checksums import resident_id_check_char, uscc_check_char
from hegui.safety.pii.prefilter import Prefilter, to_hyperscan
from hegui.safety.pii.registry import analyze, default_recognizers, prefilter_for

pytest.importorskip("hyperscan")

MULTIPRIV = Path("/work/shared/data/raw/multipriv-pii/LLM")


def _same(text: str) -> None:
    fast = analyze(text, overlaps=True)
    slow = analyze(text, overlaps=True, prefilter=False)
    assert fast == slow, text


def test_python_escapes_become_pcre() -> None:
    assert to_hyperscan("[\\u4e00-\\u9fff]") == "[\\x{4e00}-\\x{9fff}]"
    assert to_hyperscan("\\U0001F600") == "\\x{1F600}"
    assert to_hyperscan("a\\\\u0041") == "a\\\\u0041"  # an escaped backslash, then a plain 'u'
    assert to_hyperscan("(?P<v>\\d+)(?P=v)") == "(?P<v>\\d+)(?P=v)"
    assert to_hyperscan("x{,3}y{2,}") == "x{0,3}y{2,}"


def test_skips_recognizers_that_cannot_match() -> None:
    recs = default_recognizers()
    gate = prefilter_for(recs)
    assert gate is not None
    names = {recs[i].NAME for i in gate.candidates("请介绍一下杭州的西湖。") or ()}
    assert "cn_mobile" not in names and "cn_resident_id" not in names
    hits = {recs[i].NAME for i in gate.candidates("电话 13812345678") or ()}
    assert "cn_mobile" in hits


def test_unicode_digits_and_spaces_run_every_recognizer() -> None:
    gate = prefilter_for(default_recognizers())
    assert gate is not None
    assert gate.candidates("١٣٨١٢٣٤٥٦٧٨") is None  # Python's \\d matches these, ASCII \\d not
    assert gate.candidates("138\u20031234") is None
    assert gate.candidates("中文，12ab") is not None  # full-width digits are folded before


def test_lone_surrogates_run_every_recognizer() -> None:
    gate = prefilter_for(default_recognizers())
    assert gate is not None
    assert gate.candidates("13812345678 \ud800") is None
    _same("手机 13812345678 \ud800")


class _Conditional(Recognizer):
    """A pattern Hyperscan cannot compile (Python's ASCII flag): the recognizer always runs."""

    NAME = "conditional"
    ENTITY = "TEST"
    PATTERNS: ClassVar[tuple[Pattern, ...]] = (Pattern("T", r"(?a)<?zz\d{3}>?", 0.5),)


def test_uncompilable_pattern_always_runs() -> None:
    recs = (*default_recognizers()[:2], _Conditional())
    gate = Prefilter(recs)
    assert 2 in (gate.candidates("nothing here") or set())
    found = analyze("see <zz123> now", recognizers=recs)
    assert [e.text for e in found] == ["<zz123>"]


def _resident_id(body: str) -> str:
    return body + resident_id_check_char(body)


FRAGMENTS = [
    _resident_id("11010519491231002"),
    _resident_id("44030420000229123"),
    "91350100M000100Y4" + uscc_check_char("91350100M000100Y4"),
    "6222020200112233445",
    "4111 1111 1111 1111",
    "13812345678",
    "+86 138-1234-5678",
    "0086 13912345678",
    "010-62345678",
    "(0571) 8765 4321",
    "+1 (415) 555-0100",
    "E12345678",
    "G1234567",
    "a.b@example.com",
    "192.168.1.20",
    "2001:db8::1",
    "京A12345",
    "粤B·D12345",
    "姓名：张三",
    "我叫李小明",
    "Name: John Smith",
    "my name is Ann Lee",
    "浙江省杭州市西湖区文三路826号3栋201室",
    "住址：杭州市西湖区文三路826号",
    "１３８１２３４５６７８",
    "١٣٨١٢٣٤٥٦٧٨",
    "138\u20031234\u20035678",
    "138\xa01234\xa05678",
    "电话",
    "身份证号",
    "邮箱",
    "#",
    "-",
    " ",
    "，",
    "\n",
]


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(FRAGMENTS),
            st.text(alphabet="0123456789 -+().:@EGA京张三省市区路号室", max_size=20),
        ),
        max_size=8,
    )
)
def test_same_entities_on_generated_text(parts: list[str]) -> None:
    _same("".join(parts))


def test_same_entities_on_every_fragment() -> None:
    for fragment in FRAGMENTS:
        _same(fragment)
        _same(f"请联系我，{fragment}，谢谢")


@pytest.mark.skipif(not MULTIPRIV.is_dir(), reason="MultiPriv-PII not at /work/shared/data/raw")
def test_same_entities_on_multipriv_paragraphs() -> None:
    for name in ("data_person_1000_zh.json", "data_person_1000.json"):
        records = json.loads((MULTIPRIV / name).read_text(encoding="utf-8"))
        for record in records[:400]:
            _same(record["naturalParagraph"])
