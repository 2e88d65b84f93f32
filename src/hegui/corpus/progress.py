"""A progress bar with rate and ETA on a terminal; silence in CI and in pipes.

Shown only when stderr is a terminal and ``CI`` is not set (and not ``--quiet``). Progress is in
bytes of input read from disk, the one measure known in advance for every format.
"""

from __future__ import annotations

import os
import sys
from types import TracebackType
from typing import Any

__all__ = ["ScanProgress", "wanted"]


def wanted(quiet: bool) -> bool:
    """True when a live progress bar makes sense here."""
    return not quiet and not os.environ.get("CI") and sys.stderr.isatty()


class ScanProgress:
    """``with ScanProgress(total_bytes, done, enabled) as p: p.update(bytes_done, records)``."""

    def __init__(self, total: int, done: int, *, enabled: bool, label: str = "scanning") -> None:
        self.enabled = enabled
        self._progress: Any = None
        self._task: Any = None
        self._total = max(total, 1)
        self._done = done
        self._label = label

    def __enter__(self) -> ScanProgress:
        if self.enabled:
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
                TransferSpeedColumn,
            )

            self._progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                TextColumn("{task.fields[records]:>12,} records"),
                TimeRemainingColumn(),
                transient=False,
            )
            self._progress.__enter__()
            self._task = self._progress.add_task(
                self._label, total=self._total, completed=self._done, records=0
            )
        return self

    def update(self, done: int, records: int) -> None:
        if self._progress is not None:
            self._progress.update(self._task, completed=min(done, self._total), records=records)

    def phase(self, label: str) -> None:
        if self._progress is not None:
            self._progress.update(self._task, description=label)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.__exit__(exc_type, exc, tb)
