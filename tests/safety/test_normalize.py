"""Normalisation: each evasion step as a table, the offset map as properties."""

from __future__ import annotations

import unicodedata

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hegui.safety.normalize import Normalized, fold_width, normalize
from hegui.safety.normalize_tables import MAP_FILE, generate_map


def original_of(nz: Normalized, start: int, end: int) -> str:
    s, e = nz.span(start, end)
    return nz.original[s:e]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # width, case, compatibility forms
        ("ＫＩＬＬ", "kill"),
        ("Ｈｅｌｌｏ　Ｗｏｒｌｄ", "hello world"),
        ("①②③", "123"),
        ("⼈民", "人民"),  # Kangxi radical U+2F08
        ("𝐤𝐢𝐥𝐥", "kill"),  # astral math bold letters
        ("раураl", "paypal"),  # Cyrillic look-alikes
        # traditional → simplified
        ("炸彈", "炸弹"),
        ("謝謝你們", "谢谢你们"),
        # invisible characters
        ("炸\u200b弹", "炸弹"),
        ("炸\u200c\u200d\ufeff\u2060弹", "炸弹"),
        ("炸\u00ad弹\ufe0f", "炸弹"),
        ("a\u200bb", "ab"),
        # separators between CJK characters only
        ("炸*弹", "炸弹"),
        ("炸 弹", "炸弹"),
        ("炸.弹", "炸弹"),
        ("炸_弹", "炸弹"),
        ("炸/弹", "炸弹"),
        ("炸｜弹", "炸弹"),
        ("炸 * 。弹", "炸 * 。弹"),  # 。 is clause punctuation: not CJK, not a separator
        ("炸 \u200b * 弹", "炸弹"),
        ("hello world", "hello world"),
        ("你好，世界", "你好,世界"),  # full-width comma folds but is not removed
        ("a 炸 b", "a 炸 b"),
        # curated substitutions
        ("💣", "炸弹"),
        ("氵去轮功", "法轮功"),
        ("ㄅ要", "不要"),
        # repeats: runs of three or more CJK chars collapse, doubles stay
        ("法轮轮轮功", "法轮功"),
        ("哈哈哈哈", "哈"),
        ("谢谢", "谢谢"),
        ("aaa", "aaa"),
        # leet between ASCII letters
        ("k1ll", "kill"),
        ("h3llo w0rld", "hello world"),
        ("hell0 w0rld", "hell0 world"),  # a digit at a word edge stays
        ("mp3 2024", "mp3 2024"),
        # astral characters that mean nothing to the lexicon stay one placeholder each
        ("🙂ok", "\ufffdok"),
        ("", ""),
    ],
)
def test_when_evasion_then_canonical_form(text: str, expected: str) -> None:
    assert normalize(text).text == expected


@pytest.mark.parametrize(
    ("text", "start", "end", "original"),
    [
        ("说炸*弹了", 1, 3, "炸*弹"),
        ("说炸\u200b弹了", 1, 3, "炸\u200b弹"),
        ("💣在这", 0, 2, "💣"),
        ("💣在这", 1, 2, "💣"),
        ("氵去轮功", 0, 1, "氵去"),
        ("法轮轮轮功", 0, 3, "法轮轮轮功"),
        ("法轮轮轮功", 0, 2, "法轮轮轮"),
        ("ＫＩＬＬ me", 0, 4, "ＫＩＬＬ"),
        ("x\u200b炸弹\u200by", 1, 3, "炸弹"),  # edges do not swallow invisible neighbours
    ],
)
def test_span_maps_back_to_what_the_user_wrote(
    text: str, start: int, end: int, original: str
) -> None:
    assert original_of(normalize(text), start, end) == original


def test_empty_span_and_bad_span() -> None:
    nz = normalize("炸*弹")
    assert nz.span(1, 1) == (2, 2)
    assert nz.span(2, 2) == (3, 3)
    with pytest.raises(ValueError, match="outside"):
        nz.span(0, 3)


def test_normalised_text_stays_in_the_bmp() -> None:
    nz = normalize("𠀀㑮😀" * 3)  # CJK Ext. B, a t2s source with an astral target, an emoji
    assert all(ord(ch) < 0x10000 for ch in nz.text)
    assert nz.points.dtype == np.uint16


def test_one_megabyte_text() -> None:
    text = ("今天天气很好，炸*弹 hello ＷＯＲＬＤ 謝謝\u200b。" * 40_000)[:1_000_000]
    nz = normalize(text)
    assert len(nz.starts) == len(nz.ends) == len(nz.text)
    assert "炸弹" in nz.text and "world" in nz.text and "谢谢" in nz.text
    assert "\u200b" not in nz.text


@pytest.mark.parametrize(
    "text", ["ＡＢＣ１２３炸彈", "Ｉ\u200bD：１１０１０５", "😀Ｘ", "\ud800Ａ", "İstanbul"]
)
def test_fold_width_is_one_to_one(text: str) -> None:
    out = fold_width(text)
    assert len(out) == len(text)
    assert out == "".join(fold_width(ch) for ch in text)


def test_fold_width_folds_width_and_case_only() -> None:
    assert fold_width("ＡＢＣ１２３炸彈\u200b") == "abc123炸彈\u200b"


def test_shipped_table_matches_its_generator() -> None:
    pytest.importorskip("opencc")
    header = MAP_FILE.read_text(encoding="utf-8").splitlines()[0]
    if unicodedata.unidata_version not in header:
        pytest.skip(f"table generated with another Unicode version ({header})")
    shipped = [ln.split("\t") for ln in MAP_FILE.read_text(encoding="utf-8").splitlines()[1:] if ln]
    generated = generate_map()
    assert len(shipped) == len(generated)
    assert shipped[:50] == [
        [f"{s:04X}", "-" if t == 0xFFFF else f"{t:04X}"] for s, t in generated[:50]
    ]


# -- properties -----------------------------------------------------------------------------

_alphabet = st.sampled_from(
    [*"炸弹法轮功哈谢a bK1l.*|_/-。，", "\u200b", "\ufeff", "💣", "😀", "氵", "去", "彈", "Ｘ", "①"]
)
texts = st.one_of(
    st.text(alphabet=_alphabet, max_size=60),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=60),
)


@settings(max_examples=300, deadline=None)
@given(texts)
def test_offset_map_is_monotone_and_inside_the_original(text: str) -> None:
    nz = normalize(text)
    n = len(nz.text)
    assert len(nz.starts) == len(nz.ends) == len(nz.points) == n
    if n:
        assert (np.diff(nz.starts) >= 0).all() and (np.diff(nz.ends) >= 0).all()
        assert (nz.starts >= 0).all() and (nz.ends <= len(text)).all()
        assert (nz.starts < nz.ends).all()  # every normalised char comes from some original char


_no_leet = st.sampled_from(
    [*"炸弹法轮功哈谢ab K.*|_/-。，", "\u200b", "\ufeff", "💣", "😀", "氵", "去", "彈", "Ｘ"]
)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=_no_leet, max_size=60), st.data())
def test_span_covers_the_chars_that_produced_it(text: str, data: st.DataObject) -> None:
    """Normalising the original slice behind a span gives back (at least) that span's text."""
    nz = normalize(text)
    if not nz.text:
        return
    i = data.draw(st.integers(0, len(nz.text) - 1))
    j = data.draw(st.integers(i + 1, len(nz.text)))
    s, e = nz.span(i, j)
    assert (s, e) == (nz.starts[i], nz.ends[j - 1])
    assert nz.text[i:j] in normalize(text[s:e]).text


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=_alphabet, max_size=60))
def test_normalising_twice_changes_nothing(text: str) -> None:
    once = normalize(text).text
    assert normalize(once).text == once


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_never_crashes_on_any_unicode(text: str) -> None:
    nz = normalize(text)
    assert all(not 0xD800 <= ord(ch) < 0xE000 for ch in nz.text)
    assert len(fold_width(text)) == len(text)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(alphabet=_no_leet, max_size=30), min_size=1, max_size=400))
def test_large_and_small_code_paths_agree(pieces: list[str]) -> None:
    """Long texts take vectorised branches that short ones skip; results must not differ.

    (U+FFFD joins the pieces, so no piece may contain a char that normalises to it.)
    """
    pieces = [p.replace("😀", "") for p in pieces]
    text = "\ufffd".join(pieces)
    parts = normalize(text).text.split("\ufffd")
    assert parts == [normalize(p).text for p in pieces]


def test_lookup_table_is_idempotent() -> None:
    from hegui.safety.normalize_tables import DELETE, tables

    lut = tables().lut
    kept = lut != DELETE
    assert (lut[lut[kept]] == lut[kept]).all()


def test_lone_surrogates_from_bad_utf8_become_replacement_chars() -> None:
    text = b"ok\xff\xfe\xe7\x82\xb8".decode("utf-8", "surrogateescape") + "弹"
    nz = normalize(text)
    assert nz.text == "ok\ufffd\ufffd炸弹"
    assert nz.span(0, len(nz.text)) == (0, len(text))


# -- the short-text path ----------------------------------------------------------------------

# Characters around every decision the short path makes: separators (also as U+3000 and
# full-width), leet digits next to letters, substitution sources (☠, 氵, emoji), runs of one CJK
# char, deletions, astral and private-use characters, lone surrogates, upper case.
_edges = st.sampled_from(
    [
        *"炸弹哈哈法轮功谢ab KZ13@$.*|_/-~+=#'\"·。，!?\t\n",
        *"\u3000\u200b\ufeff\u00ad\x00\x7f\ue000\ufffd\uffff\ud800\udc00",
        *"☠💣😀氵去扌丁彈Ｘ１①⼈а",
    ]
)
_short_texts = st.one_of(
    st.text(alphabet=_edges, max_size=40),
    st.lists(st.tuples(_edges, st.integers(1, 4)), max_size=15).map(
        lambda runs: "".join(ch * k for ch, k in runs)
    ),
    st.text(max_size=40),
    st.text(st.characters(max_codepoint=0x7F), max_size=40),
)


def _same(a: Normalized, b: Normalized) -> None:
    assert a.text == b.text
    assert a.points.dtype == b.points.dtype == np.uint16
    assert a.points.tolist() == b.points.tolist()
    assert a.starts.tolist() == b.starts.tolist()
    assert a.ends.tolist() == b.ends.tolist()


@settings(max_examples=600, deadline=None)
@given(_short_texts)
def test_short_path_equals_numpy_path(text: str) -> None:
    from hegui.safety.normalize import normalize_numpy
    from hegui.safety.normalize_short import normalize_short

    fast = normalize_short(text)
    slow = normalize_numpy(text)
    if fast is not None:
        out, points = fast
        assert out == slow.text
        assert points.tolist() == slow.points.tolist()
        assert slow.starts.tolist() == list(range(len(text)))  # it only answers 1:1 texts
    _same(normalize(text), slow)


@pytest.mark.parametrize(
    "text",
    [
        "Please write a haiku about rain",
        "请帮我写一首关于春天的诗歌，要求七言绝句，押韵工整。谢谢",
        "用 Python 写一个 quicksort 函数",
        "ＨＥＬＬＯ 彈 world 哈哈",
    ],
)
def test_ordinary_short_texts_take_the_short_path(text: str) -> None:
    from hegui.safety.normalize_short import normalize_short

    assert normalize_short(text) is not None


@pytest.mark.parametrize(
    "text",
    ["炸 * 弹", "炸\u200b弹", "k1ll", "哈哈哈", "💣", "☠死", "氵去", "a\x00b", "炸\u3000弹"],
)
def test_rare_steps_fall_back_to_the_numpy_path(text: str) -> None:
    from hegui.safety.normalize import normalize_numpy
    from hegui.safety.normalize_short import normalize_short

    assert normalize_short(text) is None
    _same(normalize(text), normalize_numpy(text))


def test_short_path_cut_off_is_exact() -> None:
    from hegui.safety.normalize import SHORT

    for text in ("炸 弹" + "a" * (SHORT - 3), "炸 弹" + "a" * (SHORT - 2), "x" * (SHORT + 1)):
        nz = normalize(text)
        assert nz.text == normalize(text[:3]).text + text[3:]


def test_blocked_table_lookup_equals_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    """Long texts are looked up in cache-sized blocks; evasions across a block edge still fold."""
    import hegui.safety.normalize as normalize_module

    base = "你好，ＷＯＲＬＤ 炸*弹 k1ll 哈哈哈 炸\u200b弹。"  # BMP only: astral text takes another path
    text = base * (3 * normalize_module._BLOCK // len(base) + 1)
    blocked = normalize_module.normalize_numpy(text)
    monkeypatch.setattr(normalize_module, "_BLOCK", 1 << 40)
    _same(blocked, normalize_module.normalize_numpy(text))
    assert blocked.text.count("炸弹") == 2 * text.count("。")
