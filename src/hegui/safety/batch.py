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
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial
from itertools import chain, islice
from typing import Any, TypeVar

from hegui.errors import HeguiError

__all__ = ["BatchStats", "check_jsonl", "check_lines", "map_ordered", "parse_line"]

T = TypeVar("T")
R = TypeVar("R")

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


def _check_chunk(chunk: Chunk, *, direction: str) -> tuple[str, BatchStats]:
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


def _pool(workers: int, warm: Callable[[], object] | None) -> ProcessPoolExecutor:
    """Fork workers from a parent that has run ``warm`` (spawn where fork is absent)."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return ProcessPoolExecutor(max_workers=workers)
    if warm is not None:
        warm()
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"))


def map_ordered(
    fn: Callable[[T], R],
    items: Iterable[T],
    *,
    workers: int,
    warm: Callable[[], object] | None = None,
    window: int = 4,
) -> Iterator[R]:
    """Apply ``fn`` to each item in forked worker processes and yield the results in input order.

    ``warm`` runs once in the parent before the fork: build and warm the engine there and every
    worker inherits it instead of loading the lexicon automaton and classifier again. At most
    ``workers * window`` items are in flight, so memory stays bounded whatever the input size.
    ``fn`` must be picklable (a module-level function or a ``functools.partial`` of one). With
    ``workers <= 1``, or a single item (a small input), everything runs in this process: forking
    workers costs more than one item's work. Used by ``hegui check --input`` and by the corpus
    scan (``hegui.corpus``).
    """
    items = iter(items)
    head = list(islice(items, 2))
    if workers <= 1 or len(head) < 2:
        if workers > 1 and warm is not None:
            warm()  # ``fn`` may expect what ``warm`` builds in the parent (the corpus analyzer)
        yield from map(fn, chain(head, items))
        return
    items = chain(head, items)
    with _pool(workers, warm) as pool:
        pending: deque[Future[R]] = deque()
        for item in items:
            pending.append(pool.submit(fn, item))
            if len(pending) >= workers * window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _warm_default_engine(direction: str) -> None:
    from hegui.safety.engine import Engine

    Engine.default().check("预热 warm-up", direction)


def check_jsonl(
    lines: Iterable[bytes],
    direction: str,
    *,
    workers: int | None = None,
    expected: int | None = None,
) -> Iterator[tuple[str, BatchStats]]:
    """Yield JSONL output blocks (one line per non-blank input line, in input order) with counts."""
    workers = workers or os.cpu_count() or 1
    if expected is not None and expected < _PARALLEL_MIN_LINES:
        workers = 1
    yield from map_ordered(
        partial(_check_chunk, direction=direction),
        _chunks(lines),
        workers=workers,
        warm=partial(_warm_default_engine, direction),
    )


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
