"""The interop matrix (carrier × independent reader × transformation), run for real and kept in
``docs/labeling.md`` between markers: the doc is what this test produced, or the test fails.

When the block differs, the test rewrites it in place and fails, so a developer commits the new
matrix; CI (a fresh clone) fails the same way, which keeps the published table true.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from . import interop

DOC = Path(__file__).resolve().parents[2] / "docs" / "labeling.md"
BEGIN, END = "<!-- interop-matrix:begin -->", "<!-- interop-matrix:end -->"
WITHOUT_READER = {"wav", "markdown", "text"}  # no independent tool reads these carriers


@pytest.fixture(scope="module")
def rows() -> list[interop.Row]:
    for tool in ("exiftool", "ffprobe", "mediainfo", "pdfinfo", "qpdf"):
        interop.readers.need(tool)
    return interop.build()


def test_every_labelled_file_is_still_valid_and_verifies(rows: list[interop.Row]) -> None:
    assert [r.sample for r in rows if r.valid != "✓"] == []


def test_every_carrier_with_a_reader_is_read_back_exactly(rows: list[interop.Row]) -> None:
    unread = [r.sample for r in rows if "✓" not in r.readers.values()]
    assert sorted(unread) == sorted(WITHOUT_READER)


def test_relabel_and_propagation_keep_one_label(rows: list[interop.Row]) -> None:
    assert {(r.transforms["relabel"], r.transforms["propagate"]) for r in rows} == {
        ("found", "found")
    }


def test_other_tools_metadata_edits_are_not_tampering(rows: list[interop.Row]) -> None:
    edited = [(r.sample, r.transforms[t]) for r in rows for t in ("exif edit", "xmp edit")]
    assert [e for e in edited if e[1] not in ("found", "n/a")] == []
    assert sum(1 for e in edited if e[1] == "found") >= 16


def test_exiftool_strip_and_hegui_agree(rows: list[interop.Row]) -> None:
    stripped = [(r.sample, r.transforms["exiftool -all="]) for r in rows]
    assert [s for s in stripped if s[1] not in ("none", "n/a")] == []


def test_the_documented_matrix_is_what_the_suite_produced(rows: list[interop.Row]) -> None:
    text = DOC.read_text(encoding="utf-8")
    assert BEGIN in text and END in text, f"{DOC} lacks the interop-matrix markers"
    before, rest = text.split(BEGIN, 1)
    _old, after = rest.split(END, 1)
    block = f"{BEGIN}\n{interop.render(rows)}\n{END}"
    fresh = before + block + after
    if fresh != text:
        DOC.write_text(fresh, encoding="utf-8")
        pytest.fail(f"{DOC.name}: the interop matrix was out of date; regenerated it, commit it")
