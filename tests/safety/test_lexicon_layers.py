"""An operator's lexicon layered over the built-in one's compiled databases (matcher.layered)
gives exactly what compiling every entry at once gives: same patterns, roles, entry numbers and
hits. Only the patterns the base lacks are compiled."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hegui.safety.lexicon.detector import LexiconDetector
from hegui.safety.lexicon.engines import EngineStack
from hegui.safety.lexicon.entries import entry_fields
from hegui.safety.lexicon.format import Entry, parse_text, read_file
from hegui.safety.lexicon.matcher import LexiconMatcher

BASE = """\
term\tcode\tseverity\tmode\texceptions
炸弹\tA.1.d\thigh\tsub\t炸弹鱼|水炸弹
口交\tA.1.f
路口交通\tallow
kill\tA.1.f\tmedium\tword
法轮功\tA.1.a
"""

OPERATOR = """\
term\tcode\tseverity\tmode\texceptions
炸弹\tA.1.h\tlow
蓝色独角兽暗号\tA.1.h
水炸弹\tallow
法轮\tA.1.a\tmedium\tsub\t法轮大法好
gun\tA.1.d\thigh\tword
"""

TEXTS = [
    "他说了蓝色独角兽暗号",
    "炸*弹 和 水炸弹 和 炸弹鱼",
    "路口交通很堵",
    "kill the gun, skill guns",
    "法轮功 法轮大法好 法 轮",
    "zha dan 和 fa lun gong",
    "",
]


@pytest.fixture
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("HEGUI_CACHE_DIR", str(tmp_path / "cache"))
    yield tmp_path / "cache"


def tables(m: LexiconMatcher) -> tuple[object, ...]:
    return (m._texts, m._roles, m._deny, m._protects, len(m.entries))


def hits(m: LexiconMatcher, text: str) -> list[tuple[object, ...]]:
    return [
        (h.start, h.end, h.entry.term, h.entry.code, h.entry.path, h.pattern, h.variant)
        for h in m.find_text(text)
    ]


def both(
    base: list[Entry], more: list[Entry], engine: str
) -> tuple[LexiconMatcher, LexiconMatcher]:
    whole = LexiconMatcher([*base, *more], engine=engine)
    layered = LexiconMatcher(base, engine=engine).layered(more)
    return whole, layered


@pytest.mark.parametrize("engine", ["hyperscan", "ahocorasick"])
def test_layered_equals_compiled_at_once(engine: str) -> None:
    whole, layered = both(parse_text(BASE, "base.tsv"), parse_text(OPERATOR, "op.tsv"), engine)
    assert tables(layered) == tables(whole)
    for text in TEXTS:
        assert hits(layered, text) == hits(whole, text), text
    assert hits(layered, "他说了蓝色独角兽暗号")[0][2:5] == ("蓝色独角兽暗号", "A.1.h", "op.tsv")
    assert [h[3] for h in hits(layered, "炸弹")] == ["A.1.d", "A.1.h"]  # one pattern, two entries
    assert hits(layered, "水炸弹") == []  # the operator's allow term covers the built-in term
    assert hits(layered, "法轮大法好") == hits(layered, "法轮功 法轮大法好")[:0]  # its exception


def test_nothing_to_layer_is_the_base_itself() -> None:
    base = LexiconMatcher(parse_text(BASE, "base.tsv"))
    assert base.layered([]) is base


_TERMS = st.text(alphabet="炸弹枪毒品法轮功ab", min_size=2, max_size=4)
_ENTRIES = st.lists(
    st.tuples(_TERMS, st.sampled_from(["A.1.d", "A.1.h", "allow"]), st.booleans()),
    max_size=12,
)


def _entries(rows: list[tuple[str, str, bool]], path: str) -> list[Entry]:
    out = []
    for n, (term, code, word) in enumerate(rows, start=1):
        mode = "word" if word and code != "allow" else "sub"
        out.append(Entry(term, code, mode=mode, path=path, line=n))
    return out


@settings(max_examples=60, deadline=None)
@given(base=_ENTRIES, more=_ENTRIES, text=st.text(alphabet="炸弹枪毒品法轮功ab *", max_size=30))
def test_layering_any_lexicon_over_any_other_changes_nothing(
    base: list[tuple[str, str, bool]], more: list[tuple[str, str, bool]], text: str
) -> None:
    whole, layered = both(_entries(base, "base.tsv"), _entries(more, "op.tsv"), "hyperscan")
    assert tables(layered) == tables(whole)
    assert hits(layered, text) == hits(whole, text)


def test_files_over_a_cached_base_compile_only_their_own_terms(
    tmp_path: Path, private_cache: Path
) -> None:
    base, op = tmp_path / "base.tsv", tmp_path / "op.tsv"
    base.write_text(BASE, encoding="utf-8")
    op.write_text(OPERATOR, encoding="utf-8")
    layered = LexiconMatcher.from_files([op], base=[base])
    assert len(list(private_cache.glob("lexicon-*.pkl"))) == 2  # the base and the whole
    assert isinstance(layered._wide, EngineStack)
    whole = LexiconMatcher.from_files([base, op], cache=False)
    again = LexiconMatcher.from_files([op], base=[base])  # from the cache
    assert isinstance(again._wide, EngineStack)
    assert tables(again) == tables(whole)
    assert list(map(entry_fields, again.entries)) == list(map(entry_fields, whole.entries))
    for text in TEXTS:
        assert hits(again, text) == hits(layered, text) == hits(whole, text), text
    op.write_text(OPERATOR + "新词\tA.1.h\n", encoding="utf-8")  # an edit reuses the base
    edited = LexiconMatcher.from_files([op], base=[base])
    assert [h[2] for h in hits(edited, "新词")] == ["新词"]
    assert len(list(private_cache.glob("lexicon-*.pkl"))) == 3


def test_an_operator_file_over_the_builtin_lexicon(tmp_path: Path) -> None:
    op = tmp_path / "mine.tsv"
    op.write_text("term\tcode\n蓝色独角兽暗号\tA.1.h\n", encoding="utf-8")
    builtin = LexiconDetector.default().matcher  # the suite's shared one: not compiled again
    mine = builtin.layered(read_file(op))
    assert len(mine.entries) == len(builtin.entries) + 1
    assert mine._texts[: len(builtin._texts)] == builtin._texts
    text = "他说了蓝色独角兽暗号，还要买炸药"
    found = hits(mine, text)
    assert [h for h in found if h[4] != str(op)] == hits(builtin, text)
    assert [h[2] for h in found if h[4] == str(op)] == ["蓝色独角兽暗号"]
