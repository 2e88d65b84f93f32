"""Verify files: read every carrier of the detected format, judge what is found, and report.

The metadata label (GB 45438 §6.1) and the invisible watermark (§6.2) are separate evidence:
``status`` judges the metadata, ``watermark`` reports a blind decode that does not depend on it
(``found`` / ``none`` / ``not-checked``), and ``evidence`` names what the verdict rests on, so a
file stripped of its metadata (``exiftool -all=``) still shows the watermark it carries.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hegui.errors import LabelError
from hegui.labeling import integrity
from hegui.labeling.carriers import Carrier, FoundLabel, detect, guarded
from hegui.labeling.fileio import open_limited
from hegui.labeling.provider import configured_producer, parse_provider_code
from hegui.labeling.source import Source

if TYPE_CHECKING:
    from hegui.config import LabelingSettings

__all__ = ["STATUSES", "WATERMARK_FORMATS", "VerifyReport", "verify_file"]

#: Verification outcomes, best first. Exit codes: see ``hegui verify --help`` and docs/labeling.md.
STATUSES = ("found", "none", "watermark-only", "malformed", "tampered", "multiple", "error")
WATERMARK_FORMATS = ("png", "jpeg", "webp")
_DEFAULT_LIMIT = 2 * 1024**3


@dataclass(slots=True)
class VerifyReport:
    """What ``verify_file`` found in one file."""

    path: str
    status: str
    format: str | None = None
    label: dict[str, str] | None = None
    where: list[dict[str, Any]] = field(default_factory=list)
    provider: dict[str, Any] | None = None
    integrity: str | None = None  # valid / invalid / unverified / foreign / absent
    watermark: dict[str, Any] | None = None  # a separate signal, with its false-positive rate
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def wellformed(self) -> bool:
        return self.status == "found"

    @property
    def evidence(self) -> list[str]:
        """What the verdict rests on: ``metadata`` and/or ``watermark``."""
        out = ["metadata"] if self.where else []
        if self.watermark is not None and self.watermark.get("status") == "found":
            out.append("watermark")
        return out

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "file": self.path,
            "status": self.status,
            "wellformed": self.wellformed,
            "evidence": self.evidence,
        }
        for key in ("format", "label", "provider", "integrity", "watermark", "error"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        out["where"] = self.where
        if self.problems:
            out["problems"] = self.problems
        if self.warnings:
            out["warnings"] = self.warnings
        return out


def _judge(
    report: VerifyReport,
    labels: list[FoundLabel],
    key: bytes | None,
    own: str | None,
    mod: Carrier,
    data: Source,
) -> None:
    for f in labels:
        report.where.append(
            {
                "location": f.location,
                "form": f.form,
                "wellformed": f.parsed.wellformed,
                "intact": f.intact,
                "json_form": f.parsed.form,
            }
        )
        report.problems += [f"{f.location}: {p}" for p in f.parsed.problems]
        report.warnings += [f"{f.location}: {w}" for w in f.parsed.warnings]
    if not labels:
        report.status = "none"
        return
    first = labels[0]
    report.label = dict(first.parsed.fields) or None
    producer = first.parsed.fields.get("ContentProducer", "")
    code = parse_provider_code(producer)
    report.provider = code.to_dict() if code else ({"name": producer} if producer else None)
    for name in ("ContentProducer", "ContentPropagator"):
        parts = parse_provider_code(first.parsed.fields.get(name, ""))
        if parts is not None and not parts.uscc_valid:
            report.problems.append(
                f"{name}: the USCC in the provider code fails its GB 32100 check character"
            )
    if any(not f.intact for f in labels):
        report.status = "tampered"
        report.problems.append(
            "the container checksum around the label does not match (edited after writing)"
        )
        return
    report.integrity = _integrity(first, key, own, mod, data)
    if report.integrity == "invalid":
        report.status = "tampered"
        report.problems.append(
            "ReservedCode1 integrity value does not match the content and producer fields"
        )
    elif report.problems:
        report.status = "malformed"
    elif len(labels) > 1:
        report.status = "multiple"
        report.problems.append(f"{len(labels)} labels in one file (GB 45438 6.1 c) allows one)")
    else:
        report.status = "found"


def _integrity(
    f: FoundLabel, key: bytes | None, own: str | None, mod: Carrier, data: Source
) -> str:
    """valid / invalid / unverified / foreign / absent. With a key, a label that names our own
    provider code must carry a valid value: a missing or foreign one means it was altered."""
    value = f.parsed.fields.get("ReservedCode1", "")
    ours = key is not None and own is not None and f.parsed.fields.get("ContentProducer") == own
    if not integrity.is_integrity_value(value):
        if ours or value.startswith(integrity.PREFIX):
            return "invalid"
        return "absent" if not value else "foreign"
    if key is None:
        return "unverified"
    label = f.parsed.label
    if label is None:
        return "invalid"
    return "valid" if integrity.verify(key, mod.content_digest(data), label) else "invalid"


def verify_file(
    path: str | os.PathLike[str],
    *,
    settings: LabelingSettings | None = None,
    watermark: bool = False,
) -> VerifyReport:
    """Read every carrier of ``path`` and judge the labels; never raises for a bad file.

    ``watermark=True`` also decodes, in images, the invisible watermark blindly, whether or not
    a metadata label is present; it is reported apart and only changes ``status`` from ``none``
    to ``watermark-only`` (the metadata label is still missing).
    """
    report = VerifyReport(os.fspath(path), "error")
    limit = settings.max_file_bytes if settings is not None else _DEFAULT_LIMIT
    key = (
        settings.signing_key.get_secret_value().encode()
        if settings and settings.signing_key
        else None
    )
    own = configured_producer(settings, warn=False) if key is not None else None
    try:
        with open_limited(path, limit) as src:
            mod = detect(src, os.fspath(path))
            report.format = mod.NAME
            with guarded(mod.NAME):
                _judge(report, mod.read(src), key, own, mod, src)
            if watermark:
                report.watermark = _watermark(src, mod.NAME, report.label)
                if report.status == "none" and report.watermark["status"] == "found":
                    report.status = "watermark-only"
    except LabelError as exc:
        report.status, report.error = "error", str(exc)
    return report


def _watermark(src: Source, fmt: str, label: dict[str, str] | None) -> dict[str, Any]:
    """Blind decode of the image watermark: its payload (the ProduceID's first 64 bits) and,
    when the metadata names a ProduceID, whether the two agree."""
    if fmt not in WATERMARK_FORMATS:
        return {"status": "not-checked", "reason": f"no watermark is defined for {fmt} files"}
    from hegui.labeling.watermark import PAYLOAD_BITS, decode, detect, payload_for

    data = src.head(src.size)
    payload = decode(data)
    produce_id = (label or {}).get("ProduceID", "")
    out: dict[str, Any] = {"status": "found" if payload is not None else "none"}
    if payload is not None:
        out["payload"] = payload.hex()
        out["produce_id_prefix"] = payload.hex()
    if produce_id:
        match = detect(data, payload_for(produce_id))
        out["matches_label"] = bool(match.present)
        out["hamming"] = match.hamming
        out["bits"] = PAYLOAD_BITS
        out["false_positive_rate"] = match.false_positive_rate
        if match.present and payload is None:
            out["status"] = "found"  # the known payload is found where a blind read is unsure
        out["present"] = match.present
    return out
