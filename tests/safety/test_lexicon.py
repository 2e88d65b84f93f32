"""Lexicon layer: file format errors, match semantics, evasions, detector, cache, CLI."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hegui.errors import ConfigError
from hegui.safety.lexicon.detector import LexiconDetector
from hegui.safety.lexicon.format import lexicon_files, parse_text, read_file
from hegui.safety.lexicon.matcher import LexiconMatcher
from hegui.safety.lexicon.stats import lexicon_stats
from hegui.safety.types import Direction, Doc, Layer

LEXICON = """\
# a tiny test lexicon
term\tcode\tseverity\tmode\texceptions
口交\tA.1.f
路口交通\tallow
炸弹\tA.1.d\thigh\tsub\t炸弹鱼|水炸弹
kill\tA.1.f\tmedium\tword
强奸\tA.1.f
法轮功\tA.1.a
地域黑\tA.2.d\tlow
交通\tallow
口交通\tA.1.h
"""


@pytest.fixture(scope="module", autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Compiled lexicons go to a temporary cache, never to the user's ~/.cache."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HEGUI_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        yield


def write(tmp_path: Path, text: str, name: str = "t.tsv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module", params=["hyperscan", "ahocorasick"])
def matcher(request: pytest.FixtureRequest) -> LexiconMatcher:
    return LexiconMatcher(parse_text(LEXICON, "t.tsv"), engine=request.param)


def hits(matcher: LexiconMatcher, text: str) -> list[tuple[str, str]]:
    """(original text of the evidence, entry term) for every hit."""
    return [(text[m.start : m.end], m.entry.term) for m in matcher.find_text(text)]


# -- file format ----------------------------------------------------------------------------


def test_format_reads_header_comments_blank_lines_and_defaults() -> None:
    entries = parse_text(
        "\ufeffterm\tcode\n\n# note\n炸弹\tA.1.d\t\t\t\r\nkill\tA.1.f\tlow\tword\n"
    )
    assert [(e.term, e.code, e.severity, e.mode, e.line) for e in entries] == [
        ("炸弹", "A.1.d", "high", "sub", 4),
        ("kill", "A.1.f", "low", "word", 5),
    ]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("炸弹\tA.9.z", "unknown risk code 'A.9.z'"),
        ("炸弹\tA.1.d\tsevere", "bad severity 'severe'"),
        ("炸弹\tA.1.d\thigh\texact", "bad mode 'exact'"),
        ("\tA.1.d", "empty term"),
        ("炸弹 A.1.d", "got 1 (columns must be separated by tabs)"),
        ("炸弹\tA.1.d\thigh\tsub\t炸弹鱼\tsrc\textra", "got 7"),
        ("炸弹\tA.1.d\thigh\tsub\t炸弹鱼||水炸弹", "empty phrase"),
        ("路口\tallow\thigh\tsub\t路口交通", "allow entry takes no exceptions"),
    ],
)
def test_format_error_names_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    path = write(tmp_path, f"term\tcode\n口交\tA.1.f\n{line}\n")
    with pytest.raises(ConfigError, match=re.escape(message)) as info:
        read_file(path)
    assert str(info.value).startswith(f"{path}:3: ")
    assert (info.value.path, info.value.line) == (str(path), 3)


def test_invalid_utf8_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "gbk.tsv"
    path.write_bytes("炸弹\tA.1.d\n".encode() + "口交\tA.1.f\n".encode("gbk"))
    with pytest.raises(ConfigError, match=r"gbk.tsv:2: not valid UTF-8"):
        read_file(path)


def test_missing_lexicon_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        lexicon_files([tmp_path / "nope.tsv"])


def test_exception_must_contain_its_term() -> None:
    entries = parse_text("炸弹\tA.1.d\thigh\tsub\t烟花", "x.tsv")
    with pytest.raises(ConfigError, match=r"x.tsv:1: exception '烟花' does not contain"):
        LexiconMatcher(entries)


def test_term_that_normalises_to_nothing_is_an_error() -> None:
    entries = parse_text("炸弹\tA.1.d\n\u200b\u200c\tA.1.d\n", "x.tsv")
    with pytest.raises(ConfigError, match=r"x.tsv:2: .* is empty after normalisation"):
        LexiconMatcher(entries)


# -- match semantics ------------------------------------------------------------------------


def test_allow_term_wins_by_longest_match(matcher: LexiconMatcher) -> None:
    assert hits(matcher, "前面路口交通拥堵") == []
    assert hits(matcher, "路口交通，还有口交") == [("口交", "口交")]


def test_shorter_allow_term_does_not_win(matcher: LexiconMatcher) -> None:
    # 交通 (allow, 2 chars) overlaps 口交通 (deny, 3 chars): the longer deny term stands
    assert ("口交通", "口交通") in hits(matcher, "他口交通")


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("i will kill you", True),
        ("KILL!", True),
        ("杀kill杀", True),
        ("new skill", False),
        ("killer whale", False),
        ("k1ll him", True),
    ],
)
def test_word_mode_checks_ascii_boundaries(matcher: LexiconMatcher, text: str, found: bool) -> None:
    assert ("kill" in [t for _, t in hits(matcher, text)]) is found


@pytest.mark.parametrize(
    ("text", "found"),
    [("今天吃炸弹鱼", False), ("一个水炸弹", False), ("炸 弹 鱼", False), ("造炸弹", True)],
)
def test_exceptions_column(matcher: LexiconMatcher, text: str, found: bool) -> None:
    assert any(t == "炸弹" for _, t in hits(matcher, text)) is found


@pytest.mark.parametrize(
    ("text", "evidence", "term"),
    [
        ("教我做炸*弹吧", "炸*弹", "炸弹"),
        ("教我做炸 弹吧", "炸 弹", "炸弹"),
        ("教我做炸.弹吧", "炸.弹", "炸弹"),
        ("教我做炸\u200b弹吧", "炸\u200b弹", "炸弹"),
        ("教我做炸彈吧", "炸彈", "炸弹"),
        ("教我做炸\uff0a弹吧", "炸\uff0a弹", "炸弹"),  # full-width asterisk
        ("I will ＫＩＬＬ you", "ＫＩＬＬ", "kill"),
        ("how to make a zhadan", "zhadan", "炸弹"),
        ("教我做炸蛋吧", "炸蛋", "炸弹"),  # homophone
        ("他被强女干了", "强女干", "强奸"),  # split character
        ("教我做火乍弹吧", "火乍弹", "炸弹"),
        ("氵去轮功好", "氵去轮功", "法轮功"),
        ("送你一个💣", "💣", "炸弹"),
        ("法轮轮轮功", "法轮轮轮功", "法轮功"),
    ],
)
def test_evasions_are_found_with_evidence_in_the_original(
    matcher: LexiconMatcher, text: str, evidence: str, term: str
) -> None:
    assert (evidence, term) in hits(matcher, text)


def test_known_limits(matcher: LexiconMatcher) -> None:
    """Documented in docs/lexicon.md: spaced pinyin and Latin letters spread by spaces."""
    assert hits(matcher, "zha dan") == []
    assert hits(matcher, "k i l l") == []


def test_no_hits_in_empty_or_clean_text(matcher: LexiconMatcher) -> None:
    assert hits(matcher, "") == []
    assert hits(matcher, "今天天气很好，我们去公园散步吧。") == []


def test_variants_can_be_turned_off() -> None:
    plain = LexiconMatcher(parse_text(LEXICON), variants=False)
    assert hits(plain, "zhadan 炸蛋") == []
    assert hits(plain, "炸*弹") == [("炸*弹", "炸弹")]


def test_megabyte_text_finds_hits_at_both_ends(matcher: LexiconMatcher) -> None:
    text = "口交" + "今天天气很好 hello world。" * 50_000 + "炸\u200b弹"
    found = matcher.find_text(text)
    assert [(m.start, text[m.start : m.end]) for m in found] == [
        (0, "口交"),
        (len(text) - 3, "炸\u200b弹"),
    ]


# -- detector -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def detector(tmp_path_factory: pytest.TempPathFactory) -> LexiconDetector:
    folder = tmp_path_factory.mktemp("lex")
    write(folder, LEXICON)
    return LexiconDetector.from_paths([folder], builtin=False)


def test_detector_findings_carry_original_evidence_and_severity_score(
    detector: LexiconDetector,
) -> None:
    doc = Doc("他说炸*弹和地域黑")
    findings = detector.detect(doc, Direction.INPUT)
    assert [(f.code, f.score, f.evidence.text, f.evidence.pattern) for f in findings] == [
        ("A.1.d", 1.0, "炸*弹", "炸弹"),
        ("A.2.d", 0.4, "地域黑", "地域黑"),
    ]
    for f in findings:
        assert f.evidence.layer is Layer.LEXICON and f.evidence.detector == "lexicon"
        assert doc.text[f.evidence.start : f.evidence.end] == f.evidence.text


def test_detector_names_the_variant_that_fired(detector: LexiconDetector) -> None:
    (finding,) = detector.detect(Doc("zhadan"), Direction.OUTPUT)
    assert finding.evidence.pattern == "炸弹 (pinyin: zhadan)"


def test_detector_is_thread_safe(detector: LexiconDetector) -> None:
    texts = [f"第{i}次：炸*弹、口交、kill" for i in range(200)]
    expected = [len(detector.detect(Doc(t), Direction.INPUT)) for t in texts]
    results: list[list[int]] = [[] for _ in range(4)]

    def work(k: int) -> None:
        results[k] = [len(detector.detect(Doc(t), Direction.INPUT)) for t in texts]

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [expected] * 4


def test_compiled_lexicon_is_cached_and_a_corrupt_cache_is_rebuilt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEGUI_CACHE_DIR", str(tmp_path / "cache"))
    path = write(tmp_path, LEXICON)
    first = LexiconMatcher.from_files([path])
    (cached,) = (tmp_path / "cache").glob("lexicon-*.pkl")
    second = LexiconMatcher.from_files([path])
    assert hits(second, "炸*弹 路口交通") == hits(first, "炸*弹 路口交通") == [("炸*弹", "炸弹")]
    cached.write_bytes(b"garbage")
    third = LexiconMatcher.from_files([path])
    assert hits(third, "炸*弹") == [("炸*弹", "炸弹")]
    path.write_text(LEXICON + "新词\tA.1.h\n", encoding="utf-8")  # new content, new key
    assert hits(LexiconMatcher.from_files([path]), "新词") == [("新词", "新词")]


# -- stats and CLI --------------------------------------------------------------------------


def full_lexicon(tmp_path: Path) -> Path:
    """A synthetic lexicon meeting every TC260 minimum (distinct terms per risk)."""
    from hegui import taxonomy

    lines = ["term\tcode"]
    for r in taxonomy.keyword_scope():
        lines += [f"测{r.code}词{i:05d}\t{r.code}" for i in range(r.keyword_minimum)]
    lines += [f"补充词{i:05d}\tA.1.h" for i in range(10_000)]
    return write(tmp_path, "\n".join(lines) + "\n", "full.tsv")


def test_stats_counts_per_risk_against_minimums(tmp_path: Path) -> None:
    small = lexicon_stats([write(tmp_path, LEXICON)], builtin=False)
    by_code = {r.code: r for r in small.risks}
    assert (by_code["A.1.f"].count, by_code["A.1.f"].minimum) == (3, 200)
    assert (by_code["A.2.d"].count, by_code["A.2.d"].minimum) == (1, 100)
    assert small.allow == 2 and small.total == 7 and not small.ok
    assert lexicon_stats([full_lexicon(tmp_path)], builtin=False).ok


def hegui(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hegui.cli", *args], capture_output=True, text=True, timeout=120
    )


def test_stats_command_exit_codes(tmp_path: Path) -> None:
    below = hegui(
        "lexicon", "stats", "--no-builtin", "--json", "--lexicon", str(write(tmp_path, LEXICON))
    )
    assert below.returncode == 1, below.stderr
    assert json.loads(below.stdout)["total"] == 7
    met = hegui("lexicon", "stats", "--no-builtin", "--lexicon", str(full_lexicon(tmp_path)))
    assert met.returncode == 0, met.stderr
    assert "all minimums met" in met.stdout


def test_check_file_command(tmp_path: Path) -> None:
    good = hegui("lexicon", "check-file", str(write(tmp_path, LEXICON)))
    assert good.returncode == 0 and "ok, 9 entries (2 allow)" in good.stdout
    bad_path = write(tmp_path, "炸弹\tA.1.d\n口交\tA.7.q\n", "bad.tsv")
    bad = hegui("lexicon", "check-file", str(bad_path))
    assert bad.returncode == 2
    assert bad.stderr.strip() == f"hegui: error: {bad_path}:2: unknown risk code 'A.7.q' " + (
        "(expected a taxonomy code such as A.1.d, or 'allow')"
    )


def test_max_term_length_covers_stretched_hits(detector: LexiconDetector) -> None:
    longest = max(len(p) for p in ("kill", "路口交通", "fa lun gong", "炸弹鱼", "水炸弹"))
    assert detector.max_term_length >= 2 * longest


_pieces = st.sampled_from(
    [
        *("口交", "路口交通", "炸弹", "炸*弹", "炸弹鱼", "kill", "skill", " ", "k1ll", "交通"),
        *(
            "口交通",
            "强女干",
            "zhadan",
            "法轮轮轮功",
            "地域黑",
            "\u200b",
            "，",
            "a",
            "水炸弹",
            "💣",
        ),
    ]
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_pieces, max_size=40))
def test_few_and_many_hit_paths_agree(pieces: list[str]) -> None:
    """Short texts resolve hits with loops, long ones with numpy: the results must be equal."""
    text = "".join(pieces)
    matcher = LexiconMatcher(parse_text(LEXICON), engine="ahocorasick")
    matcher.small_batch = 10_000
    few = matcher.find_text(text)
    matcher.small_batch = 0
    assert matcher.find_text(text) == few


# -- fast paths against the general ones --------------------------------------------------------


@pytest.fixture(scope="module")
def shared_matcher() -> LexiconMatcher:
    """The test lexicon plus a pattern owned by two entries and an all-digit ASCII term."""
    from hegui.safety.lexicon.format import Entry

    extra = [Entry("炸弹", "A.1.h", "low"), Entry("8964", "A.1.a"), Entry("hello world", "A.2.d")]
    return LexiconMatcher([*parse_text(LEXICON), *extra], engine="hyperscan")


_mixed = st.sampled_from(
    [
        *("炸弹", "炸*弹", "炸弹鱼", "kill", "skill", " ", "k1ll", "口交通", "zhadan"),
        *("8964", "89", "64", "hello", "world", "hello world", "HELLO\u3000world"),
        *("法轮轮轮功", "💣", "\u200b", "a", "，"),
    ]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_mixed, max_size=60))
def test_short_text_paths_agree_with_the_general_path(
    shared_matcher: LexiconMatcher, pieces: list[str]
) -> None:
    """Short-text normalisation, database skipping and loop-free resolution change nothing."""
    import hegui.safety.lexicon.matcher as matcher_module
    from hegui.safety.normalize import normalize_numpy

    text = "".join(pieces)
    fast = shared_matcher.find_text(text)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(matcher_module, "_SHORT", -1)  # always scan both databases
        mp.setattr(shared_matcher, "small_batch", 0)  # always the numpy resolution
        mp.setattr(shared_matcher, "_single", shared_matcher._single * 0 - 1)  # and its loop
        slow = shared_matcher.find(normalize_numpy(text))
    assert fast == slow
    for m in fast:
        assert text[m.start : m.end]


def test_pattern_with_two_owners_reports_both(shared_matcher: LexiconMatcher) -> None:
    text = "炸弹" * 30  # many hits: the numpy resolution
    owners = {(m.entry.code, m.entry.severity) for m in shared_matcher.find_text(text)}
    assert owners == {("A.1.d", "high"), ("A.1.h", "low")}
    assert [m.entry.term for m in shared_matcher.find_text("8964 年")] == ["8964"]
    assert [m.pattern for m in shared_matcher.find_text("ＨＥＬＬＯ　world")] == ["hello world"]


def test_blocked_coding_equals_the_two_passes() -> None:
    import numpy as np

    from hegui.safety.lexicon import coding

    rng = np.random.default_rng(7)
    for size in (0, 5, coding._BLOCK, 3 * coding._BLOCK + 17):
        points = rng.integers(0, 0xD800, size, dtype=np.uint16)
        points[::3] = rng.integers(0, 0x80, points[::3].size, dtype=np.uint16)
        wide, ascii_ = coding.both(points)
        assert wide.tobytes() == coding.encode(points)
        assert ascii_.tolist() == coding.narrow(points).tolist()
        assert (ascii_[points >= 0x80] == 0x80).all()
        assert (ascii_[points < 0x80] == points[points < 0x80]).all()


def test_cached_matcher_builds_entries_lazily_and_finds_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cache stores entries as columns and the derived arrays: a loaded matcher must find
    exactly what a freshly compiled one finds, with equal entries."""
    monkeypatch.setenv("HEGUI_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "l.tsv"
    path.write_text(LEXICON + "出售麻古\tA.1.h\thigh\tsub\t\thoubb:1\n", encoding="utf-8")
    first = LexiconMatcher.from_files([path])
    second = LexiconMatcher.from_files([path])  # from the cache
    assert type(second.entries).__name__ == "LazyEntries" and len(second.entries) == len(
        first.entries
    )
    for text in ("教我做炸*弹", "出售麻古片", "前面路口交通拥堵", "kill yourself now"):
        assert [(m.entry, m.pattern, m.start, m.end) for m in first.find_text(text)] == \
               [(m.entry, m.pattern, m.start, m.end) for m in second.find_text(text)]  # fmt: skip
    assert second.entries[-1].source == "houbb:1" and second.entries[-1] == first.entries[-1]
    assert list(second.entries) == first.entries


def test_a_lexicon_without_entries_finds_nothing(tmp_path: Path) -> None:
    """It crashed with an AssertionError ("batch normalisation disagreed ...")."""
    empty = write(tmp_path, "term\tcode\n# nothing yet\n", "empty.tsv")
    detector = LexiconDetector.from_paths([empty], builtin=False)
    assert detector.matcher.pattern_count == 0
    assert detector.matcher.find_text("炸弹") == []
