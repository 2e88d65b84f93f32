"""Phase 3: write ``kept.jsonl``, ``dropped.jsonl`` and ``sample.jsonl`` from the working files.

One sequential pass over ``records.jsonl``: lines that stay kept are copied byte for byte; lines
dropped by a record rule are already in dropped form; kept lines that turn out to be duplicates,
or that belong to an excluded source, are rewritten into dropped form with their reason. The
review sample is a bottom-k sample: every finally kept record gets a pseudo-random priority from
``(seed, record number)`` and the ``k`` smallest are taken, so the same input and seed always
give the same sample, whatever the number of workers or interruptions. Outputs are written under
temporary names and renamed at the end, so a killed run never leaves a complete-looking file.
"""

from __future__ import annotations

import heapq
import os
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import orjson

from hegui.corpus.dedup import EXACT, Duplicates
from hegui.corpus.spool import ROW
from hegui.corpus.tally import Tally

__all__ = ["OUTPUTS", "Excluded", "Finished", "priorities", "write_outputs"]

OUTPUTS = ("kept.jsonl", "dropped.jsonl", "sample.jsonl")
_BLOCK = 65_536


@dataclass(slots=True)
class Excluded:
    """Sources whose records are all dropped, with the reason (source_incomplete, …)."""

    reasons: dict[str, str]


@dataclass(slots=True)
class Finished:
    kept: int
    dropped: int
    sample: int


def priorities(seed: int, recnos: np.ndarray) -> np.ndarray:
    """splitmix64 of (seed, record number): the sample order, independent of everything else."""
    with np.errstate(over="ignore"):
        x = recnos.astype(np.uint64) + np.uint64((seed * 0x9E3779B97F4A7C15) & (2**64 - 1))
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def _row_at(work: Path, rec: int) -> np.ndarray:
    row: np.ndarray = np.fromfile(work / "meta.bin", dtype=ROW, count=1, offset=rec * ROW.itemsize)[
        0
    ]
    return row


def _as_dropped(line: bytes, reasons: list[str], extra: dict[str, Any], id_field: str) -> bytes:
    obj = orjson.loads(line)
    meta = obj.pop("_hegui", {})
    out: dict[str, Any] = {
        "source": meta.get("source"),
        "file": meta.get("file"),
        "line": meta.get("line"),
        "id": obj.get(id_field),
        "reasons": reasons,
        "action": meta.get("action"),
        "risks": [{"code": c} for c in meta.get("risks", [])],
        "pii": meta.get("pii", {}),
        **extra,
        "record": obj,
    }
    return orjson.dumps(out, default=str, option=orjson.OPT_APPEND_NEWLINE)


def _sample_line(rank: int, line: bytes, text_field: str, id_field: str) -> bytes:
    obj = orjson.loads(line)
    meta = obj.get("_hegui", {})
    out = {
        "sample_id": rank,
        "source": meta.get("source"),
        "file": meta.get("file"),
        "line": meta.get("line"),
        "id": obj.get(id_field),
        "text": obj.get(text_field),
        "verdict": None,
    }
    return orjson.dumps(out, option=orjson.OPT_APPEND_NEWLINE)


@dataclass(slots=True)
class _Plan:
    """What decides each record's fate in phase 3."""

    work: Path
    sources: list[str]
    excluded: Excluded
    dups: Duplicates
    files: list[str]
    sample_size: int
    seed: int
    text_field: str
    id_field: str


def write_outputs(
    work: Path,
    out: Path,
    *,
    n: int,
    sources: list[str],
    excluded: Excluded,
    dups: Duplicates,
    tally: Tally,
    files: list[str],
    sample_size: int,
    seed: int,
    text_field: str,
    id_field: str,
) -> Finished:
    """Write the three JSONL outputs and add kept/dropped/duplicate counts to ``tally``."""
    plan = _Plan(work, sources, excluded, dups, files, sample_size, seed, text_field, id_field)
    with ExitStack() as stack:
        handles = {name: stack.enter_context(open(out / f"{name}.tmp", "wb")) for name in OUTPUTS}
        result = _Writer(plan, handles, tally).run(n)
    for name in OUTPUTS:
        os.replace(out / f"{name}.tmp", out / name)
    return result


class _Writer:
    def __init__(self, plan: _Plan, handles: Mapping[str, BinaryIO], tally: Tally) -> None:
        self.plan = plan
        self.kept_out = handles["kept.jsonl"]
        self.dropped_out = handles["dropped.jsonl"]
        self.sample_out = handles["sample.jsonl"]
        self.tally = tally
        self.kept = self.dropped = 0
        self.heap: list[tuple[int, int, bytes]] = []  # (-priority, recno, line): the k smallest

    def run(self, n: int) -> Finished:
        plan = self.plan
        with open(plan.work / "records.jsonl", "rb") as records:
            for start in range(0, n, _BLOCK):
                count = min(_BLOCK, n - start)
                rows = np.fromfile(
                    plan.work / "meta.bin", dtype=ROW, count=count, offset=start * ROW.itemsize
                )
                prio = priorities(plan.seed, np.arange(start, start + count)).tolist()
                for j, row in enumerate(rows.tolist()):
                    self._one(start + j, row, records.readline(), prio[j])
        chosen = sorted((-neg, rec, line) for neg, rec, line in self.heap)
        for rank, (_, _, line) in enumerate(chosen, start=1):
            self.sample_out.write(_sample_line(rank, line, plan.text_field, plan.id_field))
        return Finished(kept=self.kept, dropped=self.dropped, sample=len(chosen))

    def _one(self, rec: int, row: tuple[Any, ...], line: bytes, priority: int) -> None:
        plan = self.plan
        source = plan.sources[row[3]]
        if row[4]:  # dropped by a record rule: the line is already in dropped form
            self.dropped_out.write(line)
            self.dropped += 1
            return
        src = self.tally.source(source)
        reason = plan.excluded.reasons.get(source)
        kind = int(plan.dups.kind[rec])
        if reason is None and not kind:
            self.kept_out.write(line)
            self.kept += 1
            src.kept += 1
            self._offer(rec, line, priority)
            return
        extra: dict[str, Any] = {}
        if reason is None:
            reason = "exact_duplicate" if kind == EXACT else "near_duplicate"
            partner = _row_at(plan.work, int(plan.dups.of[rec]))
            extra["duplicate_of"] = {
                "file": plan.files[int(partner["file"])],
                "line": int(partner["line"]),
            }
            if kind == EXACT:
                src.exact_duplicates += 1
            else:
                src.near_duplicates += 1
        self.dropped_out.write(_as_dropped(line, [reason], extra, plan.id_field))
        self.dropped += 1
        src.dropped += 1
        src.reasons[reason] += 1

    def _offer(self, rec: int, line: bytes, priority: int) -> None:
        if self.plan.sample_size <= 0:
            return
        item = (-priority, rec, line)
        if len(self.heap) < self.plan.sample_size:
            heapq.heappush(self.heap, item)
        elif item > self.heap[0]:
            heapq.heapreplace(self.heap, item)
