"""JSONL batch checking for ``hegui check --input``: one record in, one record out, in order.

A bad line (invalid UTF-8, not JSON, no text) becomes ``{"id": …, "error": "…", "line": N}`` and
the run goes on. Large inputs are spread over processes (one engine per process, built once), so
batch mode uses every core; small inputs stay in-process to avoid the start-up cost.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from itertools import islice
from typing import Any

from hegui.errors import HeguiError

__all__ = ["BatchStats", "check_lines", "parse_line"]

_CHUNK = 256
_PARALLEL_MIN_LINES = 2_000


@dataclass(slots=True)
class BatchStats:
    total: int = 0
    unsafe: int = 0
    errors: int = 0


def parse_line(raw: bytes, number: int) -> dict[str, Any]:
    """Decode one JSONL line into a record with ``text``, or an error record."""
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return {"id": None, "error": f"line is not valid UTF-8 (byte {exc.start})", "line": number}
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        return {"id": None, "error": f"not JSON: {exc.msg} at column {exc.colno}", "line": number}
    if not isinstance(obj, dict):
        return {"id": None, "error": "line must be a JSON object", "line": number}
    text = obj.get("text")
    if not isinstance(text, str):
        problem = "no 'text' field" if "text" not in obj else "'text' must be a string"
        return {"id": obj.get("id"), "error": problem, "line": number}
    return obj


def _check_records(
    records: list[tuple[int, dict[str, Any]]], direction: str
) -> list[dict[str, Any]]:
    from hegui.safety.engine import Engine

    engine = Engine.default()
    out = []
    for number, record in records:
        if "error" in record and "text" not in record:
            out.append(record)
            continue
        passthrough = {k: v for k, v in record.items() if k != "text"}
        try:
            verdict = engine.check(record["text"], direction)
        except HeguiError as exc:
            out.append({"id": record.get("id"), "error": str(exc), "line": number})
            continue
        out.append({"id": record.get("id"), **passthrough, **verdict.to_dict()})
    return out


def _chunks(lines: Iterable[bytes]) -> Iterator[list[tuple[int, dict[str, Any]]]]:
    numbered = (
        (n, parse_line(raw.rstrip(b"\r\n"), n))
        for n, raw in enumerate(lines, start=1)
        if raw.strip()
    )
    while chunk := list(islice(numbered, _CHUNK)):
        yield chunk


def check_lines(
    lines: Iterable[bytes],
    direction: str,
    *,
    workers: int | None = None,
    expected: int | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield one output record per non-blank input line, in input order."""
    workers = workers or os.cpu_count() or 1
    chunks = _chunks(lines)
    if workers <= 1 or (expected is not None and expected < _PARALLEL_MIN_LINES):
        for chunk in chunks:
            yield from _check_records(chunk, direction)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        pending = []
        for chunk in chunks:
            pending.append(pool.submit(_check_records, chunk, direction))
            if len(pending) >= workers * 4:
                yield from pending.pop(0).result()
        for future in pending:
            yield from future.result()
