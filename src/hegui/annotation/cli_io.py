"""Shared plumbing of the ``hegui annotate`` commands: files in and out, store sessions.

Errors are :class:`hegui.errors.InputError` (exit code 2, one line naming the file).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from hegui.store.cli import open_for_cli

__all__ = [
    "OutOpt",
    "Project",
    "load_user_map",
    "read_input",
    "run_read",
    "run_write",
    "write_output",
]

Project = Annotated[str, typer.Argument(help="Project id.")]
OutOpt = Annotated[Path, typer.Option("--out", "-o", help="File to write ('-' for stdout).")]


def read_input(path: Path) -> bytes:
    """The bytes of ``path`` (``-`` reads stdin)."""
    from hegui.errors import InputError

    if str(path) == "-":
        return sys.stdin.buffer.read()
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or type(exc).__name__})") from None


def write_output(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` (``-`` writes stdout), creating folders."""
    from hegui.errors import InputError

    if str(path) == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    except OSError as exc:
        raise InputError(f"{path}: cannot write ({exc.strerror or type(exc).__name__})") from None


def run_write(url: str | None, config: Path | None, fn: Any) -> Any:
    """Open the configured store, run ``fn(conn)`` in one write transaction, close."""
    _, store = open_for_cli(url, config)
    try:
        return store.write(fn)
    finally:
        store.close()


def run_read(url: str | None, config: Path | None, fn: Any) -> Any:
    """Open the existing store (never created or migrated), run ``fn(conn)`` read-only, close."""
    _, store = open_for_cli(url, config, mode="read")
    try:
        with store.read() as conn:
            return fn(conn)
    finally:
        store.close()


def load_user_map(path: Path | None) -> dict[str, str]:
    """A Label Studio user map file: ``{"<user id or e-mail>": "<annotator id>"}``."""
    from hegui.annotation.jsonlines import loads
    from hegui.errors import InputError

    if path is None:
        return {}
    doc = loads(read_input(path), source=str(path))
    if not isinstance(doc, dict) or not all(isinstance(v, str) for v in doc.values()):
        raise InputError(
            f'{path}: a user map is a JSON object {{"<Label Studio user>": "<annotator id>"}}'
        )
    return {str(k): v for k, v in doc.items()}
