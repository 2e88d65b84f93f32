"""What a worker does with one chunk of raw records: parse, check, measure, serialise.

This is the expensive part of a scan and the same code runs in the local forked workers
(:func:`hegui.safety.batch.map_ordered`) and in Ray actors (:mod:`hegui.corpus.executors`). Per
record: the risk engine (codes, action, personal information by type from its PII layer),
licence and copyright markers, quality signals, and the exact-duplicate hash and MinHash LSH
band keys that the parent's duplicate search needs. The result is the finished output line of
every record (kept form or dropped form), a small fixed-size row of numbers per record and the
chunk's :class:`~hegui.corpus.tally.Tally`.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import orjson

from hegui.corpus.markers import find_markers, restrictive_applies
from hegui.corpus.quality import QualityRules, language
from hegui.corpus.readers import Chunk, Position, decode
from hegui.corpus.tally import Tally, length_bucket
from hegui.corpus.textstats import BANDS, text_stats

__all__ = [
    "META",
    "UNASSIGNED",
    "AnalyzerSpec",
    "ChunkResult",
    "ScanOptions",
    "SourceInfo",
    "analyze_chunk",
    "analyzer_for",
]

UNASSIGNED = "(unassigned)"
PII_MODES = ("auto", "keep", "redact", "drop")
# Per-record numbers the parent keeps: file, line, byte length of the output line, source index,
# dropped flag (1 when a record-level rule dropped it).
META = np.dtype(
    [("file", "<u4"), ("line", "<u8"), ("size", "<u4"), ("source", "<u2"), ("dropped", "u1")]
)
_RAW_EXCERPT = 65_536  # characters of an unparseable line kept in dropped.jsonl


@dataclass(frozen=True, slots=True)
class ScanOptions:
    """Every option that changes what a scan finds (a resumed scan must use the same)."""

    text_field: str = "text"
    id_field: str = "id"
    source_field: str | None = None
    default_source: str | None = None
    direction: str = "output"
    pii: str = "auto"
    keep_marked: bool = False
    quality: QualityRules = field(default_factory=QualityRules)
    max_record_bytes: int = 16 << 20
    near_threshold: float = 0.8
    dedup: bool = True
    sample: int = 4000
    seed: int = 0

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["quality"]["languages"] = list(self.quality.languages)
        return out


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """What a worker needs to know about a registered source."""

    legal_basis: str | None
    pii_consent: bool
    complete: bool


@dataclass(frozen=True, slots=True)
class AnalyzerSpec:
    """Everything a worker process needs, picklable; ``key`` names the scan (one cache entry)."""

    key: str
    options: ScanOptions
    engine: dict[str, Any] | None
    sources: dict[str, SourceInfo]
    files: tuple[str, ...]
    file_sources: tuple[str | None, ...]


@dataclass(slots=True)
class ChunkResult:
    """One chunk's output: lines in input order, one META row and one key row per record."""

    lines: bytes
    meta: np.ndarray
    keys: np.ndarray  # (n, 1 + BANDS) uint64: exact-text hash, then LSH band keys; 0 = none
    sources: list[str]
    tally: Tally
    end: Position
    disk: int


class _Record:
    __slots__ = ("enc", "file", "line", "obj", "problem", "raw", "reasons", "source", "text")

    def __init__(self, file: int, line: int, source: str) -> None:
        self.file = file
        self.line = line
        self.source = source
        self.obj: dict[str, Any] | None = None
        self.text: str | None = None
        self.enc: str | None = None
        self.problem: tuple[str, str] | None = None
        self.raw: str | None = None
        self.reasons: list[str] = []


class Analyzer:
    """The engine and the rules of one scan, built once per worker process."""

    def __init__(self, spec: AnalyzerSpec) -> None:
        from hegui.safety import Engine

        self.spec = spec
        self.options = spec.options
        if spec.engine is None:
            self.engine = Engine.default()
        else:
            from hegui.config import EngineSettings

            self.engine = Engine.from_settings(EngineSettings(**spec.engine))
        self.engine.warm_up()
        # Build the lookup tables and the marker database here, once: forked workers inherit
        # them instead of each compiling them again (~0.2 s).
        text_stats(["预热 warm-up"])
        find_markers("预热 warm-up")

    # ------------------------------------------------------------------ parsing
    def _parse(self, raw: Any) -> _Record:
        opts = self.options
        rec = _Record(raw.file, raw.line, self.spec.file_sources[raw.file] or UNASSIGNED)
        if raw.problem is not None:
            rec.problem = raw.problem
            return rec
        payload = raw.payload
        rec.enc = raw.encoding
        if isinstance(payload, bytes):
            rec.raw = payload[: _RAW_EXCERPT * 4].decode("utf-8", "replace")[:_RAW_EXCERPT]
            try:
                line, rec.enc = decode(payload.rstrip(b"\r"))
                payload = orjson.loads(line)
            except UnicodeDecodeError:
                rec.problem = ("encoding", "line is neither UTF-8 nor GB18030")
                return rec
            except orjson.JSONDecodeError as exc:
                rec.problem = ("malformed", f"not JSON: {exc}")
                return rec
            if not isinstance(payload, dict):
                rec.problem = ("malformed", "line must be a JSON object")
                return rec
        rec.obj = payload
        if opts.source_field is not None:
            value = payload.get(opts.source_field)
            if isinstance(value, str) and value:
                rec.source = value
        text = payload.get(opts.text_field)
        if not isinstance(text, str):
            field_name = opts.text_field
            missing = field_name not in payload
            rec.problem = (
                "malformed",
                f"no {field_name!r} field" if missing else f"{field_name!r} must be a string",
            )
            return rec
        rec.text = text
        return rec

    # ------------------------------------------------------------------ one chunk
    def run(self, chunk: Chunk) -> ChunkResult:
        records = [self._parse(raw) for raw in chunk.raws]
        tally = Tally()
        max_chars = self.engine.max_text_chars
        measured = [
            i for i, r in enumerate(records) if r.text is not None and len(r.text) <= max_chars
        ]
        stats = text_stats([records[i].text for i in measured])  # type: ignore[misc]
        row_of = {i: k for k, i in enumerate(measured)}
        lines: list[bytes] = []
        n = len(records)
        meta = np.zeros(n, dtype=META)
        keys = np.zeros((n, 1 + BANDS), dtype=np.uint64)
        source_ids: dict[str, int] = {}
        for i, rec in enumerate(records):
            k = row_of.get(i)
            out, kept = self._record(rec, tally, stats, k)
            if kept and k is not None:
                keys[i, 0] = _exact_hash(rec.text or "")
                if self.options.dedup:
                    keys[i, 1:] = stats.bands[k]
            data = orjson.dumps(out, default=str, option=orjson.OPT_APPEND_NEWLINE)
            lines.append(data)
            source = source_ids.setdefault(rec.source, len(source_ids))
            meta[i] = (rec.file, rec.line, len(data), source, 0 if kept else 1)
        return ChunkResult(
            b"".join(lines), meta, keys, list(source_ids), tally, chunk.end, chunk.disk
        )

    def _record(
        self, rec: _Record, tally: Tally, stats: Any, k: int | None
    ) -> tuple[dict[str, Any], bool]:
        """Check one record, count it, and return its output object and whether it is kept."""
        file = self.spec.files[rec.file]
        src = tally.source(rec.source)
        src.records += 1
        if rec.problem is not None:
            kind, message = rec.problem
            tally.problem(kind, file, rec.line, message)
            return self._dropped(rec, file, src, [kind], error=message), False
        text = rec.text or ""
        src.encodings[rec.enc or "utf-8"] += 1
        src.chars += len(text)
        src.lengths[length_bucket(len(text))] += 1
        info = self.spec.sources.get(rec.source)
        reasons = rec.reasons
        if info is None:
            reasons.append("unregistered_source")
        if k is None:
            src.unchecked += 1
            reasons.append("too_long")
            limit = self.engine.max_text_chars
            message = f"text is {len(text):,} characters; the engine checks at most {limit:,}"
            tally.problem("too_long", file, rec.line, message)
            return self._dropped(rec, file, src, reasons, error=message), False
        if not text.strip():
            reasons.append("empty")
            return self._dropped(rec, file, src, reasons), False
        verdict, pii = self._check(text, src, reasons)
        markers = find_markers(text)
        src.markers.update(markers)
        if not self.options.keep_marked:
            reasons.extend(restrictive_applies(markers, info.legal_basis if info else None))
        lang = language(stats, k, text)
        src.languages[lang] += 1
        reasons.extend(self.options.quality.reasons(stats, k, lang))
        if reasons:
            risks = [{"code": h.code, "score": round(h.score, 4)} for h in verdict.risks]
            action = str(verdict.action)
            return self._dropped(
                rec, file, src, reasons, action=action, risks=risks, pii=pii
            ), False
        out = dict(rec.obj or {})
        if pii and self._redacts(info) and verdict.redacted is not None:
            out[self.options.text_field] = verdict.redacted
            src.redacted += 1
        out["_hegui"] = {
            "source": rec.source,
            "file": file,
            "line": rec.line,
            "action": str(verdict.action),
            "risks": verdict.codes,
            "pii": pii,
            "markers": sorted(markers),
            "lang": lang,
        }
        return out, True

    def _check(self, text: str, src: Any, reasons: list[str]) -> tuple[Any, dict[str, int]]:
        """The risk engine's verdict, counted; personal information by entity type."""
        verdict = self.engine.check(text, self.options.direction)
        src.checked += 1
        src.actions[str(verdict.action)] += 1
        src.risks.update(verdict.codes)
        if verdict.failed:
            src.failed += 1
            src.unsafe += 1
            reasons.append("engine_failed")
        elif str(verdict.action) in ("refuse", "block"):
            src.unsafe += 1
            reasons.append("unsafe")
        pii: dict[str, int] = {}
        for hit in verdict.risks:
            for ev in hit.evidence:
                if ev.layer == "pii" and ev.pattern:
                    pii[ev.pattern] = pii.get(ev.pattern, 0) + 1
        if pii:
            src.pii_records += 1
            src.pii.update(pii)
            if self.options.pii == "drop":
                reasons.append("personal_information")
        return verdict, pii

    def _redacts(self, info: SourceInfo | None) -> bool:
        """Whether kept records of this source get the engine's redacted text."""
        mode = self.options.pii
        return mode == "redact" or (mode == "auto" and not (info is not None and info.pii_consent))

    def _dropped(
        self,
        rec: _Record,
        file: str,
        src: Any,
        reasons: list[str],
        *,
        error: str | None = None,
        action: str | None = None,
        risks: list[dict[str, Any]] | None = None,
        pii: dict[str, int] | None = None,
    ) -> dict[str, Any]:
        src.dropped += 1
        src.reasons.update(set(reasons))
        out: dict[str, Any] = {
            "source": rec.source,
            "file": file,
            "line": rec.line,
            "id": (rec.obj or {}).get(self.options.id_field),
            "reasons": reasons,
        }
        if action is not None:
            out["action"] = action
            out["risks"] = risks or []
            out["pii"] = pii or {}
        if error is not None:
            out["error"] = error
        if rec.obj is not None:
            out["record"] = rec.obj
        elif rec.raw is not None:
            out["raw"] = rec.raw
        return out


def _exact_hash(text: str) -> int:
    """64-bit hash of the text with runs of whitespace collapsed (0 is reserved for "none")."""
    data = " ".join(text.split()).encode("utf-8", "surrogatepass")
    digest = hashlib.blake2b(data, digest_size=8)
    return int.from_bytes(digest.digest(), "little") or 1


_ANALYZERS: dict[str, Analyzer] = {}


def analyzer_for(spec: AnalyzerSpec) -> Analyzer:
    """This process's analyzer for the scan (built on first use; forked workers inherit it)."""
    analyzer = _ANALYZERS.get(spec.key)
    if analyzer is None:
        _ANALYZERS.clear()
        analyzer = _ANALYZERS[spec.key] = Analyzer(spec)
    return analyzer


def analyze_chunk(spec: AnalyzerSpec, chunk: Chunk) -> ChunkResult:
    """Worker entry point: analyse one chunk with this process's analyzer."""
    return analyzer_for(spec).run(chunk)
