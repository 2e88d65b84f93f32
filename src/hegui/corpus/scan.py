"""``hegui corpus scan``: read → check (workers) → duplicates → outputs → report, resumable.

Three phases, each restartable:

1. **read and check**: chunks go to the workers (:mod:`hegui.corpus.executors`) and come back
   in order; the parent appends them to the spool and checkpoints every ``checkpoint_seconds``
   (:mod:`hegui.corpus.spool`). Killed here, the next run with the same arguments goes on from
   the last checkpoint.
2. **duplicates** (:mod:`hegui.corpus.dedup`) over the spooled keys.
3. **outputs** (:mod:`hegui.corpus.finish`) and ``report.json`` / ``report.html``.

The store is not touched here: the CLI reads the source register before and records the scan
after (:mod:`hegui.corpus.scans`), so this module is plain data in, files out.
"""

from __future__ import annotations

import os
import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import numpy as np
import orjson

import hegui
from hegui.corpus.analyze import AnalyzerSpec, ChunkResult, ScanOptions, SourceInfo
from hegui.corpus.dedup import Duplicates, find_duplicates
from hegui.corpus.executors import local_results, ray_results
from hegui.corpus.finish import OUTPUTS, Excluded, write_outputs
from hegui.corpus.progress import ScanProgress, wanted
from hegui.corpus.readers import InputFile, Position, discover, iter_chunks
from hegui.corpus.registry import Source
from hegui.corpus.report import build_report, excluded_sources
from hegui.corpus.spool import KEY_FILES, ROW, Spool, read_json, write_json_atomic
from hegui.corpus.tally import Tally
from hegui.corpus.textstats import BANDS, BINS, ROWS, SHINGLE
from hegui.errors import InputError

__all__ = ["ScanJob", "ScanState", "open_scan", "run_scan"]

_STATE_VERSION = 1
_REPORTS = ("report.json", "report.html", "review.json")


@dataclass(slots=True)
class ScanJob:
    """What to scan and how; ``registry`` is the source register as read from the store."""

    paths: list[str]
    out: Path
    options: ScanOptions
    registry: dict[str, Source]
    engine: dict[str, Any] | None = None
    workers: int = 0
    executor: str = "local"
    address: str | None = None
    quiet: bool = False
    checkpoint_seconds: float = 30.0
    enforce_limit: bool = True

    @property
    def work(self) -> Path:
        return self.out / ".scan"


@dataclass(slots=True)
class ScanState:
    """``DIR/.scan/state.json``: the scan's identity, inputs and last checkpoint."""

    scan_id: str
    started_at: str
    fingerprint: dict[str, Any]
    files: list[InputFile]
    skipped: list[tuple[str, str]]
    phase: str = "reading"  # reading → finishing → done
    position: Position = field(default_factory=lambda: Position(0, 0, 0))
    records: int = 0
    bytes: int = 0
    sources: list[str] = field(default_factory=list)
    tally: Tally = field(default_factory=Tally)
    resumed: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "version": _STATE_VERSION,
            "scan_id": self.scan_id,
            "started_at": self.started_at,
            "fingerprint": self.fingerprint,
            "files": [_file_json(f) for f in self.files],
            "skipped": [list(s) for s in self.skipped],
            "phase": self.phase,
            "checkpoint": {
                "position": list(self.position),
                "records": self.records,
                "bytes": self.bytes,
                "sources": self.sources,
                "tally": self.tally.to_json(),
            },
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ScanState:
        ck = data["checkpoint"]
        return cls(
            scan_id=data["scan_id"],
            started_at=data["started_at"],
            fingerprint=data["fingerprint"],
            files=[InputFile(**f) for f in data["files"]],
            skipped=[(a, b) for a, b in data["skipped"]],
            phase=data["phase"],
            position=Position(*ck["position"]),
            records=ck["records"],
            bytes=ck["bytes"],
            sources=list(ck["sources"]),
            tally=Tally.from_json(ck["tally"]),
        )


def _file_json(f: InputFile) -> dict[str, Any]:
    return {
        "path": f.path,
        "format": f.format,
        "compression": f.compression,
        "size": f.size,
        "mtime_ns": f.mtime_ns,
        "source": f.source,
    }


def _source_infos(registry: dict[str, Source]) -> dict[str, SourceInfo]:
    return {
        sid: SourceInfo(
            legal_basis=s.legal_basis,
            pii_consent=bool(s.personal_info and s.consent_evidence),
            complete=not s.missing,
        )
        for sid, s in registry.items()
    }


def _fingerprint(job: ScanJob, files: list[InputFile]) -> dict[str, Any]:
    infos = _source_infos(job.registry)
    return {
        "files": [f.fingerprint() for f in files],
        "options": job.options.as_dict(),
        "engine": job.engine,
        "sources": {sid: [i.legal_basis, i.pii_consent, i.complete] for sid, i in infos.items()},
        "enforce_limit": job.enforce_limit,
    }


def _clear(out: Path) -> None:
    shutil.rmtree(out / ".scan", ignore_errors=True)
    for name in (*OUTPUTS, *_REPORTS):
        (out / name).unlink(missing_ok=True)


def open_scan(job: ScanJob, *, restart: bool = False) -> ScanState:
    """Start a new scan in ``job.out`` or pick up the unfinished one there."""
    files, skipped = discover(job.paths)
    state_path = job.work / "state.json"
    if restart:
        _clear(job.out)
    if state_path.exists():
        state = ScanState.from_json(read_json(state_path))
        fingerprint = _fingerprint(job, files)
        if state.fingerprint != fingerprint:
            changed = sorted(k for k in fingerprint if fingerprint[k] != state.fingerprint.get(k))
            raise InputError(
                f"{job.out} holds a scan of other inputs or options (changed: "
                f"{', '.join(changed)}); use another --out folder or --restart"
            )
        state.resumed = True
        return state
    if (job.out / "report.json").exists():
        raise InputError(f"{job.out} already holds a report; use another --out folder or --restart")
    if not files:
        raise InputError("no scannable files under the given paths")
    job.work.mkdir(parents=True, exist_ok=True)
    state = ScanState(
        scan_id=secrets.token_hex(8),
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
        fingerprint=_fingerprint(job, files),
        files=files,
        skipped=skipped,
    )
    write_json_atomic(state_path, state.to_json())
    return state


def _spec(job: ScanJob, state: ScanState) -> AnalyzerSpec:
    return AnalyzerSpec(
        key=state.scan_id,
        options=job.options,
        engine=job.engine,
        sources=_source_infos(job.registry),
        files=tuple(f.path for f in state.files),
        file_sources=tuple(f.source or job.options.default_source for f in state.files),
    )


def _results(job: ScanJob, state: ScanState, spec: AnalyzerSpec) -> Iterator[ChunkResult]:
    workers = job.workers or os.cpu_count() or 1
    limit = job.options.max_record_bytes
    if job.executor == "ray":
        return ray_results(spec, state.files, state.position, limit, workers, job.address)
    return local_results(spec, iter_chunks(state.files, limit, state.position), workers)


def _read_phase(
    job: ScanJob, state: ScanState, progress: ScanProgress, timing: dict[str, float]
) -> None:
    """Read and check, appending to the spool; ``timing`` gets the steady-state rate."""
    spool = Spool(job.work)
    spool.open(state.records, state.bytes)
    index = {sid: i for i, sid in enumerate(state.sources)}
    last = time.monotonic()

    def checkpoint() -> None:
        spool.sync()
        state.records, state.bytes = spool.records, spool.bytes
        write_json_atomic(job.work / "state.json", state.to_json())

    began, first, first_records = time.monotonic(), None, state.records
    try:
        for result in _results(job, state, _spec(job, state)):
            if first is None:  # workers (or a Ray cluster) are up: the steady state starts here
                first, first_records = time.monotonic(), spool.records + result.meta.shape[0]
            for sid in result.sources:
                if sid not in index:
                    index[sid] = len(state.sources)
                    state.sources.append(sid)
            mapping = np.array([index[sid] for sid in result.sources] or [0], dtype=np.uint16)
            spool.append(result, mapping)
            state.tally.merge(result.tally)
            state.position = result.end
            progress.update(result.disk, spool.records)
            if time.monotonic() - last >= job.checkpoint_seconds:
                checkpoint()
                last = time.monotonic()
        state.phase = "finishing"
        checkpoint()
    finally:
        spool.close()
    end = time.monotonic()
    timing["read"] = end - began
    timing["startup"] = (first or end) - began
    steady = end - (first or end)
    timing["records_per_second"] = (spool.records - first_records) / steady if steady > 0 else 0.0


def _eligible(
    job: ScanJob, state: ScanState, excluded: dict[str, str]
) -> tuple[np.ndarray, np.ndarray]:
    """(eligible for duplicate search, records per file), read from meta.bin block by block."""
    n = state.records
    eligible = np.zeros(n, dtype=bool)
    per_file = np.zeros(len(state.files), dtype=np.int64)
    bad = np.array([sid in excluded for sid in state.sources] or [False])
    for start in range(0, n, 1 << 20):
        rows = np.fromfile(
            job.work / "meta.bin",
            dtype=ROW,
            count=min(1 << 20, n - start),
            offset=start * ROW.itemsize,
        )
        eligible[start : start + rows.shape[0]] = (rows["dropped"] == 0) & ~bad[rows["source"]]
        per_file += np.bincount(rows["file"], minlength=len(state.files))
    return eligible, per_file


def _text_reader(job: ScanJob, state: ScanState, records: IO[bytes]) -> Callable[[int], str]:
    """Random access to a spooled record's text, for the exact Jaccard check of candidates."""
    path = job.work / "meta.bin"
    field_name = job.options.text_field

    def text_of(rec: int) -> str:
        rows = np.fromfile(path, dtype=ROW, count=2, offset=rec * ROW.itemsize)
        begin = int(rows[0]["offset"])
        end = int(rows[1]["offset"]) if rows.shape[0] > 1 else state.bytes
        records.seek(begin)
        text = orjson.loads(records.read(end - begin)).get(field_name)
        return text if isinstance(text, str) else ""

    return text_of


def _scan_info(
    job: ScanJob, state: ScanState, dups: Duplicates, timing: dict[str, float]
) -> dict[str, Any]:
    return {
        "id": state.scan_id,
        "started_at": state.started_at,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds_this_run": {k: round(v, 2) for k, v in timing.items()},
        "hegui_version": hegui.__version__,
        "executor": job.executor,
        "workers": job.workers or os.cpu_count() or 1,
        "direction": job.options.direction,
        "engine_settings": job.engine or "built-in defaults",
        "options": job.options.as_dict(),
        "enforce_source_limit": job.enforce_limit,
        "dedup": {
            "exact": "blake2b-64 of the text with whitespace runs collapsed",
            "near": (
                f"one-permutation MinHash ({BINS} bins, rotation densification) over character "
                f"{SHINGLE}-grams of the folded text; LSH {BANDS} bands x {ROWS} rows; candidates "
                f"confirmed by exact Jaccard >= {job.options.near_threshold}"
            ),
            "pairs_checked": dups.pairs_checked,
        },
    }


def run_scan(job: ScanJob, state: ScanState) -> dict[str, Any]:
    """Run (or finish) the scan and return the report (also written to ``report.json``)."""
    from hegui.corpus.html import write_html

    if state.phase == "done":
        report: dict[str, Any] = read_json(job.out / "report.json")
        return report
    began = time.monotonic()
    timing: dict[str, float] = {}
    total = sum(f.size for f in state.files)
    before = sum(f.size for f in state.files[: state.position.file])
    with ScanProgress(total, before, enabled=wanted(job.quiet)) as progress:
        if state.phase == "reading":
            _read_phase(job, state, progress, timing)
        progress.phase("duplicates")
        mark = time.monotonic()
        tally = Tally.from_json(state.tally.to_json())  # phase 3 adds to a fresh copy
        excluded = excluded_sources(tally, job.registry, enforce_limit=job.enforce_limit)
        eligible, per_file = _eligible(job, state, excluded)
        with open(job.work / "records.jsonl", "rb") as records:
            dups = find_duplicates(
                job.work,
                state.records,
                eligible,
                _text_reader(job, state, records),
                threshold=job.options.near_threshold,
                near=job.options.dedup,
            )
        timing["duplicates"] = time.monotonic() - mark
        mark = time.monotonic()
        progress.phase("writing")
        finished = write_outputs(
            job.work,
            job.out,
            n=state.records,
            sources=state.sources,
            excluded=Excluded(excluded),
            dups=dups,
            tally=tally,
            files=[f.path for f in state.files],
            sample_size=job.options.sample,
            seed=job.options.seed,
            text_field=job.options.text_field,
            id_field=job.options.id_field,
        )
    timing["write"] = time.monotonic() - mark
    timing["total"] = time.monotonic() - began
    files = [{**_file_json(f), "records": int(per_file[i])} for i, f in enumerate(state.files)]
    report = build_report(
        scan=_scan_info(job, state, dups, timing),
        tally=tally,
        registry=job.registry,
        files=files,
        skipped=[{"path": p, "reason": r} for p, r in state.skipped],
        sample={
            "size": finished.sample,
            "requested": job.options.sample,
            "seed": job.options.seed,
            "population": finished.kept,
            "file": "sample.jsonl",
        },
    )
    write_json_atomic(job.out / "report.json", report)
    write_html(job.out / "report.html", report)
    state.phase = "done"
    write_json_atomic(job.work / "state.json", state.to_json())
    for name in ("records.jsonl", "meta.bin", *(f"{k}.u64" for k in KEY_FILES)):
        (job.work / name).unlink(missing_ok=True)
    return report
