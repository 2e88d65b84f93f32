"""JSONL batch checking for ``hegui check --input``: one record in, one record out, in order.

A bad line (invalid UTF-8, not JSON, no text) becomes ``{"id": …, "error": "…", "line": N}`` and
the run goes on. Large inputs are spread over processes so batch mode uses every core; small
inputs stay in-process to avoid the start-up cost.

Workers get raw lines and send back finished JSONL text, so the parent only reads, hands out
and writes: parsing, checking and serialising all happen where the cores are. On Linux the
workers are forked after the parent has built and warmed the engine, so none of them pays for
loading the lexicon automaton or the classifier again.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from itertools import islice
from typing import Any

from hegui.errors import HeguiError

__all__ = ["BatchStats", "check_jsonl", "check_lines", "parse_line"]

_CHUNK = 256
_PARALLEL_MIN_LINES = 2_000

Chunk = list[tuple[int, bytes]]


@dataclass(slots=True)
class BatchStats:
    """Counts for one chunk or a whole run."""

    total: int = 0
    unsafe: int = 0
    errors: int = 0

    def add(self, other: BatchStats) -> None:
        self.total += other.total
        self.unsafe += other.unsafe
        self.errors += other.errors


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


def _check_record(engine: Any, number: int, raw: bytes, direction: str) -> dict[str, Any]:
    record = parse_line(raw, number)
    if "error" in record and "text" not in record:
        return record
    passthrough = {k: v for k, v in record.items() if k != "text"}
    try:
        verdict = engine.check(record["text"], direction)
    except HeguiError as exc:
        return {"id": record.get("id"), "error": str(exc), "line": number}
    return {"id": record.get("id"), **passthrough, **verdict.to_dict()}


def _check_chunk(chunk: Chunk, direction: str) -> tuple[str, BatchStats]:
    """Check one chunk of raw lines; return its JSONL output and counts (runs in workers)."""
    from hegui.safety.engine import Engine

    engine = Engine.default()
    stats = BatchStats(total=len(chunk))
    out = []
    for number, raw in chunk:
        record = _check_record(engine, number, raw, direction)
        if "safe" not in record:
            stats.errors += 1
        elif not record["safe"]:
            stats.unsafe += 1
        out.append(json.dumps(record, ensure_ascii=False))
    out.append("")
    return "\n".join(out), stats


def _chunks(lines: Iterable[bytes]) -> Iterator[Chunk]:
    numbered = ((n, raw.rstrip(b"\r\n")) for n, raw in enumerate(lines, start=1) if raw.strip())
    while chunk := list(islice(numbered, _CHUNK)):
        yield chunk


def _pool(workers: int, direction: str) -> ProcessPoolExecutor:
    """Fork workers from a parent whose engine is already built (spawn where fork is absent)."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return ProcessPoolExecutor(max_workers=workers)
    from hegui.safety.engine import Engine

    Engine.default().check("预热 warm-up", direction)
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"))


def check_jsonl(
    lines: Iterable[bytes],
    direction: str,
    *,
    workers: int | None = None,
    expected: int | None = None,
) -> Iterator[tuple[str, BatchStats]]:
    """Yield JSONL output blocks (one line per non-blank input line, in input order) with counts."""
    workers = workers or os.cpu_count() or 1
    chunks = _chunks(lines)
    if workers <= 1 or (expected is not None and expected < _PARALLEL_MIN_LINES):
        for chunk in chunks:
            yield _check_chunk(chunk, direction)
        return
    with _pool(workers, direction) as pool:
        pending: list[Future[tuple[str, BatchStats]]] = []
        for chunk in chunks:
            pending.append(pool.submit(_check_chunk, chunk, direction))
            if len(pending) >= workers * 4:
                yield pending.pop(0).result()
        for future in pending:
            yield future.result()


def check_lines(
    lines: Iterable[bytes],
    direction: str,
    *,
    workers: int | None = None,
    expected: int | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield one output record per non-blank input line, in input order."""
    for block, _ in check_jsonl(lines, direction, workers=workers, expected=expected):
        for line in block.splitlines():
            yield json.loads(line)
