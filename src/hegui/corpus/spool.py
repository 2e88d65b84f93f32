"""The scan's working files in ``DIR/.scan/``: append-only, so resuming is a truncate.

Phase 1 (reading and checking) appends, in input order, each record's output line to
``records.jsonl``, one fixed-size :data:`ROW` to ``meta.bin`` and one 64-bit key per key file
(the exact-text hash and the LSH band keys, one file each, so the duplicate search loads one
column at a time). A checkpoint flushes and fsyncs them and then writes ``state.json``
atomically with the record count, the byte count, the read position and the running
:class:`~hegui.corpus.tally.Tally`. After a crash (kill -9 included) the next run truncates the
files back to the checkpoint and reads on from its position: no record is lost or counted twice.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import IO, Any

import numpy as np

from hegui.corpus.analyze import ChunkResult
from hegui.corpus.textstats import BANDS

__all__ = ["KEY_FILES", "ROW", "Spool", "read_json", "write_json_atomic"]

# One row per record: where its line starts in records.jsonl, where it came from, which source
# (index into the state's source list) and whether a record-level rule dropped it.
ROW = np.dtype(
    [
        ("offset", "<u8"),
        ("file", "<u4"),
        ("line", "<u8"),
        ("source", "<u2"),
        ("dropped", "u1"),
    ]
)
KEY_FILES = ("exact", *(f"band{b:02d}" for b in range(BANDS)))


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON to ``path`` so a reader sees the old file or the new one, never half of it."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=1)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def read_json(path: Path) -> Any:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


class Spool:
    """Append-side of the working files; ``records`` and ``bytes`` say how much is in them."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.records = 0
        self.bytes = 0
        self._files: dict[str, IO[bytes]] = {}

    def path(self, name: str) -> Path:
        return self.work / name

    def open(self, records: int, nbytes: int) -> None:
        """Open for appending after truncating every file to ``records`` / ``nbytes``."""
        self.work.mkdir(parents=True, exist_ok=True)
        sizes = {"records.jsonl": nbytes, "meta.bin": records * ROW.itemsize}
        sizes.update({f"{name}.u64": records * 8 for name in KEY_FILES})
        for name, size in sizes.items():
            fh = open(self.work / name, "ab")  # noqa: SIM115 - kept open until close()
            fh.truncate(size)
            self._files[name] = fh
        self.records, self.bytes = records, nbytes

    def append(self, result: ChunkResult, source_index: np.ndarray) -> None:
        """Append one chunk; ``source_index`` maps the chunk's local source numbers to global."""
        meta = result.meta
        n = meta.shape[0]
        rows = np.zeros(n, dtype=ROW)
        sizes = meta["size"].astype(np.uint64)
        rows["offset"] = self.bytes + np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.uint64)
        rows["file"] = meta["file"]
        rows["line"] = meta["line"]
        rows["source"] = source_index[meta["source"]]
        rows["dropped"] = meta["dropped"]
        self._files["records.jsonl"].write(result.lines)
        self._files["meta.bin"].write(rows.tobytes())
        keys = np.ascontiguousarray(result.keys.T)
        for j, name in enumerate(KEY_FILES):
            self._files[f"{name}.u64"].write(keys[j].tobytes())
        self.records += n
        self.bytes += len(result.lines)

    def sync(self) -> None:
        for fh in self._files.values():
            fh.flush()
            os.fsync(fh.fileno())

    def close(self) -> None:
        for fh in self._files.values():
            fh.close()
        self._files.clear()
