"""The suite's file order (tests/scheduling.py): longest file first, nothing lost or repeated."""

from __future__ import annotations

import json
from pathlib import Path

from tests import scheduling


def test_files_run_longest_first_keeping_the_order_inside_each_file() -> None:
    ids = ["t/a.py::x", "t/b.py::x", "t/a.py::y", "t/c.py::x", "t/b.py::y"]
    durations = {"t/a.py": 1.0, "t/b.py": 9.0, "t/c.py": 5.0}
    ordered = scheduling.longest_first(ids, str, durations)
    assert ordered == ["t/b.py::x", "t/b.py::y", "t/c.py::x", "t/a.py::x", "t/a.py::y"]


def test_an_unlisted_file_counts_as_a_median_one() -> None:
    ids = ["t/new.py::x", "t/short.py::x", "t/mid.py::x", "t/long.py::x"]
    durations = {"t/short.py": 1.0, "t/mid.py": 5.0, "t/long.py": 9.0}
    ordered = scheduling.longest_first(ids, str, durations)
    assert ordered == ["t/long.py::x", "t/new.py::x", "t/mid.py::x", "t/short.py::x"]


def test_without_durations_the_collection_order_is_kept() -> None:
    ids = ["t/b.py::x", "t/a.py::x", "t/b.py::y"]
    assert scheduling.longest_first(ids, str, {}) == ["t/b.py::x", "t/b.py::y", "t/a.py::x"]


def test_merged_times_drop_files_that_are_gone(tmp_path: Path) -> None:
    old = {"t/a.py": 1.0, "t/gone.py": 3.0}
    merged = scheduling.merged(old, {"t/a.py": 2.04, "t/new.py": 0.26}, ["t/a.py", "t/new.py"])
    assert merged == {"t/a.py": 2.0, "t/new.py": 0.3}


def test_each_selection_keeps_its_own_table(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    scheduling.save("not slow", {"t/a.py": 2.0}, path)
    scheduling.save("slow", {"t/a.py": 120.0}, path)
    assert scheduling.load("not slow", path) == {"t/a.py": 2.0}
    assert scheduling.load("slow", path) == {"t/a.py": 120.0}
    assert scheduling.load("postgres", path) == {}


def test_a_missing_or_damaged_durations_file_means_no_reordering(tmp_path: Path) -> None:
    assert scheduling.load("not slow", tmp_path / "missing.json") == {}
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    assert scheduling.load("not slow", tmp_path / "bad.json") == {}
    (tmp_path / "list.json").write_text(json.dumps([1, 2]), encoding="utf-8")
    assert scheduling.load("not slow", tmp_path / "list.json") == {}


def test_the_checked_in_durations_name_existing_test_files() -> None:
    root = Path(__file__).resolve().parents[1]
    for selection in ("not slow", "slow"):
        durations = scheduling.load(selection)
        assert durations, f"tests/durations.json has no times for -m {selection!r}"
        assert [f for f in durations if not (root / f).is_file()] == []
