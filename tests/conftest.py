"""Suite-wide pytest hooks.

``-n auto`` (pyproject's addopts) starts one worker per core plus up to four more. Much of this
suite waits instead of computing: `hegui` subprocesses starting, upstream hangs and database
stalls injected on purpose, PostgreSQL round trips, Chromium. With one worker per core the two
cores of the reference machine were busy 132 % of 200 %, and the suite took 229 s; with two
workers per core it took 196 s (docs/benchmarks.md, "Test suite").

Typer's test runner (``typer.testing.CliRunner``) converts the app into click commands on every
``invoke``, ~60 ms for hegui's command tree, which the suite paid a few hundred times. The
console script builds the tree once per process, so the suite builds it once per app as well.
"""

from __future__ import annotations

import functools
import os

import pytest
import typer.testing

typer.testing._get_command = functools.cache(typer.testing._get_command)  # type: ignore[attr-defined]


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """Workers for ``-n auto``: ``PYTEST_XDIST_AUTO_NUM_WORKERS`` if set, else cores + min(cores, 4)."""
    wanted = os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS")
    if wanted:
        return int(wanted)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    cores = cores or 1
    return cores + min(cores, 4)
