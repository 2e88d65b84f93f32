"""Longest test files first, so the suite does not end waiting on one worker.

pytest-xdist (``--dist loadfile``) hands out whole files in the order it is given them; by default
it reorders them by test count, which put the few-but-long files (the soak, the kill -9
durability tests, the CLI gateway runs) last, and the run ended with one worker busy and three
idle for 10-20 s. Scheduling the longest jobs first (LPT) keeps every worker busy to the end.

Each file's time comes from ``tests/durations.json``, which ``--update-durations`` rewrites from a
run (setup, call and teardown of every test in the file), one table per ``-m`` selection (the
default run and the ``slow`` one time different tests of the same files). A file it does not list
yet (a new one) counts as a median file. Only the order changes, never what runs.
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

__all__ = ["DURATIONS", "file_of", "load", "longest_first", "merged", "save"]

DURATIONS = Path(__file__).with_name("durations.json")

T = TypeVar("T")


def file_of(nodeid: str) -> str:
    """The file part of a pytest node id (``tests/a/test_b.py::test_c[x]`` → ``tests/a/test_b.py``)."""
    return nodeid.split("::", 1)[0]


def _tables(path: Path) -> dict[str, object]:
    """Every selection's table; empty when the file is missing or unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def load(selection: str, path: Path = DURATIONS) -> dict[str, float]:
    """Seconds per test file for the ``-m`` ``selection``; empty when the file is missing or
    unreadable (the order is then kept)."""
    table = _tables(path).get(selection)
    if not isinstance(table, dict):
        return {}
    return {str(k): float(v) for k, v in table.items() if isinstance(v, int | float)}


def save(selection: str, table: Mapping[str, float], path: Path = DURATIONS) -> None:
    """Write ``table`` as the times of ``selection``, keeping the other selections' tables."""
    data = _tables(path)
    data[selection] = dict(table)
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def longest_first(
    items: Sequence[T], nodeid: Callable[[T], str], durations: Mapping[str, float]
) -> list[T]:
    """``items`` grouped by file, longest file first. The order inside a file, and between files
    of equal time, is kept."""
    groups: dict[str, list[T]] = defaultdict(list)
    for item in items:
        groups[file_of(nodeid(item))].append(item)
    default = statistics.median(durations.values()) if durations else 0.0
    order = sorted(groups, key=lambda f: -durations.get(f, default))
    return [item for f in order for item in groups[f]]


def merged(
    old: Mapping[str, float], measured: Mapping[str, float], existing: Iterable[str]
) -> dict[str, float]:
    """``old`` updated with this run's ``measured`` times, without files that no longer exist."""
    keep = set(existing)
    out = {f: s for f, s in old.items() if f in keep}
    out.update({f: s for f, s in measured.items() if f in keep})
    return {f: round(out[f], 1) for f in sorted(out)}
