"""Suite-wide pytest hooks.

``-n auto`` (pyproject's addopts) starts one worker per core plus up to four more. Much of this
suite waits instead of computing: `hegui` subprocesses starting, upstream hangs and database
stalls injected on purpose, PostgreSQL round trips, Chromium. With one worker per core the two
cores of the reference machine were busy 132 % of 200 %, and the suite took 229 s; with two
workers per core it took 196 s (docs/benchmarks.md, "Test suite").

Typer's test runner (``typer.testing.CliRunner``) converts the app into click commands on every
``invoke``, ~60 ms for hegui's command tree, which the suite paid a few hundred times. The
console script builds the tree once per process, so the suite builds it once per app as well.

Each worker imports every test module, and with them all of hegui, while collecting. Python's
cyclic collector ran ~20 full passes meanwhile, each over a heap growing to ~400,000 objects:
collecting took 12 s of a core per worker (``--collect-only -n0``), 4 s with the collector off.
So it is off while collecting, and what collection built (modules, classes, test items) is
frozen afterwards: later passes, pytest's final ones included, walk only what the tests made.
Nothing the tests create is exempt, so garbage they leave is still found and finalised.

Test files run longest first (``tests/scheduling.py``); ``--update-durations`` rewrites the times
that order comes from.
"""

from __future__ import annotations

import functools
import gc
import os
from collections import defaultdict
from pathlib import Path

import pytest
import typer.testing

from tests import scheduling

typer.testing._get_command = functools.cache(typer.testing._get_command)  # type: ignore[attr-defined]


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """Workers for ``-n auto``: ``PYTEST_XDIST_AUTO_NUM_WORKERS`` if set, else cores + min(cores, 4)."""
    wanted = os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS")
    if wanted:
        return int(wanted)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    cores = cores or 1
    return cores + min(cores, 4)


@pytest.hookimpl(wrapper=True)
def pytest_collection(session: pytest.Session) -> object:
    gc.disable()
    try:
        return (yield)
    finally:
        gc.enable()
        gc.freeze()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-durations",
        action="store_true",
        help="rewrite tests/durations.json (the order test files run in) from this run's times",
    )


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    durations = scheduling.load(config.option.markexpr)
    items[:] = scheduling.longest_first(items, lambda item: item.nodeid, durations)


_measured: defaultdict[str, float] = defaultdict(float)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _measured[scheduling.file_of(report.nodeid)] += report.duration


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if not config.getoption("update_durations") or hasattr(config, "workerinput"):
        return
    if exitstatus != pytest.ExitCode.OK:
        return
    selection = config.option.markexpr
    old = scheduling.load(selection)
    root = Path(config.rootpath)
    existing = [f for f in {*old, *_measured} if (root / f).is_file()]
    scheduling.save(selection, scheduling.merged(old, _measured, existing))
