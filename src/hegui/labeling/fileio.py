"""Files on disk for the labeller: bounded opening, and atomic replacement of the target.

Writes go to a temporary file in the destination folder, are checked and fsynced, then
``os.replace``d over the target, so a failure at any point (a bad read-back, a full disk, an
unwritable folder) leaves the original untouched and no temporary file behind.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from hegui.errors import LabelError
from hegui.labeling.source import Source

__all__ = ["open_limited", "read_limited", "write_atomic"]


def _check(path: Path, limit: int) -> None:
    size = path.stat().st_size
    if not path.is_file():
        raise LabelError(f"{path}: not a regular file")
    if size > limit:
        raise LabelError(
            f"{path}: {size} bytes is over the {limit}-byte limit (labeling.max_file_bytes)"
        )


@contextlib.contextmanager
def open_limited(path: str | os.PathLike[str], limit: int) -> Iterator[Source]:
    """The file as a :class:`Source` (mapped, not read), or :class:`LabelError` when it is
    missing, unreadable or over ``limit``."""
    p = Path(path)
    try:
        _check(p, limit)
        opened = Source.open(p)
        src = opened.__enter__()
    except OSError as exc:
        raise LabelError(f"{p}: {exc.strerror or exc}") from None
    try:
        yield src
    finally:
        opened.__exit__(None, None, None)


def read_limited(path: str | os.PathLike[str], limit: int) -> bytes:
    """The file's bytes (for steps that change pixels or samples and need them in memory)."""
    p = Path(path)
    try:
        _check(p, limit)
        return p.read_bytes()
    except OSError as exc:
        raise LabelError(f"{p}: {exc.strerror or exc}") from None


def _writable(path: Path) -> None:
    if path.exists():
        mode = path.stat().st_mode
        if not os.access(path, os.W_OK) or not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
            raise LabelError(f"{path}: target is read-only")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise LabelError(f"{path}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise LabelError(f"{path}: folder {folder} is not writable")


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


def write_atomic(
    path: str | os.PathLike[str],
    data: bytes | Callable[[IO[bytes]], None],
    check: Callable[[str], None] | None = None,
) -> None:
    """Replace ``path`` atomically with ``data`` (bytes, or a function writing to the open file).

    ``check(temp_path)`` runs on the written, fsynced temporary file before the rename; if it
    raises, the target is left as it was.
    """
    target = Path(path)
    _writable(target)
    mode = target.stat().st_mode & 0o7777 if target.exists() else 0o666 & ~_umask()
    try:
        fd, tmp = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".hegui-tmp", dir=target.parent or "."
        )
    except OSError as exc:
        raise LabelError(f"{target}: cannot write: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            if isinstance(data, bytes | bytearray | memoryview):
                fh.write(data)
            else:
                data(fh)
            fh.flush()
            os.fsync(fh.fileno())
        if check is not None:
            check(tmp)
        os.chmod(tmp, mode)  # mkstemp makes 0600; keep the target's mode or the usual default
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise LabelError(f"{target}: cannot write: {exc.strerror or exc}") from None
        raise
