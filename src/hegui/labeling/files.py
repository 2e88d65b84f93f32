"""Label and verify files on disk: size limit, atomic replace, and the verification report.

Writes go to a temporary file in the destination folder, are fsynced, then ``os.replace``d over
the target, so a failure at any point leaves the original untouched. Verification reads every
carrier of the detected format and judges what it finds (GB 45438 6.1 c): one label per file).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hegui.errors import LabelError
from hegui.labeling import integrity
from hegui.labeling.carriers import Carrier, FoundLabel, detect, guarded
from hegui.labeling.labeler import label_bytes, new_label
from hegui.labeling.model import AigcLabel
from hegui.labeling.provider import configured_producer, new_content_id, parse_provider_code

if TYPE_CHECKING:
    from hegui.config import LabelingSettings

__all__ = [
    "STATUSES",
    "LabelResult",
    "VerifyReport",
    "label_file",
    "read_limited",
    "verify_file",
    "write_atomic",
]

#: Verification outcomes, best first. Exit codes: see ``hegui verify --help`` and docs/labeling.md.
STATUSES = ("found", "none", "malformed", "tampered", "multiple", "error")
_DEFAULT_LIMIT = 2 * 1024**3


@dataclass(frozen=True, slots=True)
class LabelResult:
    """What ``label_file`` wrote."""

    source: str
    out: str
    format: str
    label: AigcLabel
    replaced: int  # labels that were in the source and are gone now

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.source,
            "out": self.out,
            "format": self.format,
            "label": self.label.to_dict(),
            "replaced": self.replaced,
        }


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

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "file": self.path,
            "status": self.status,
            "wellformed": self.wellformed,
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


def read_limited(path: str | os.PathLike[str], limit: int) -> bytes:
    """The file's bytes, or :class:`LabelError` when it is missing, unreadable or over ``limit``."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if not p.is_file():
            raise LabelError(f"{p}: not a regular file")
        if size > limit:
            raise LabelError(
                f"{p}: {size} bytes is over the {limit}-byte limit (labeling.max_file_bytes)"
            )
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
        raise LabelError(f"{path}: folder is not writable")


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


def write_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically (temp file in the same folder, fsync, rename)."""
    target = Path(path)
    _writable(target)
    mode = target.stat().st_mode & 0o7777 if target.exists() else 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".hegui-tmp", dir=target.parent or "."
    )
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)  # mkstemp makes 0600; keep the target's mode or the usual default
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise LabelError(f"{target}: cannot write: {exc.strerror or exc}") from None
        raise


def _existing(mod: Carrier, data: bytes, force: bool) -> list[FoundLabel]:
    labels = mod.read(data)
    bad = [f for f in labels if not f.parsed.wellformed or not f.intact]
    if bad and not force:
        why = "; ".join(bad[0].parsed.problems) or "container checksum mismatch"
        raise LabelError(
            f"file already carries a malformed label at {bad[0].location} ({why}); use --force to replace it"
        )
    return labels


def label_file(
    path: str | os.PathLike[str],
    out: str | os.PathLike[str] | None = None,
    *,
    label: AigcLabel | None = None,
    label_value: str = "1",
    settings: LabelingSettings | None = None,
    propagator: str | None = None,
    force: bool = False,
    transform: Callable[[bytes, Carrier, AigcLabel], bytes] | None = None,
) -> LabelResult:
    """Write one implicit label into ``path`` (or a copy at ``out``); the original stays intact on failure.

    Without ``label`` a new one is made from ``settings`` with ``Label = label_value``.
    ``propagator`` adds a platform's fields to the label already in the file (Art. 6) instead of
    writing a new one. ``transform(data, carrier, label) -> bytes`` runs before the metadata is
    written (explicit notice, watermark).
    """
    limit = settings.max_file_bytes if settings is not None else _DEFAULT_LIMIT
    data = read_limited(path, limit)
    try:
        mod = detect(data, os.fspath(path))
        with guarded(mod.NAME):
            existing = _existing(mod, data, force)
        if propagator is not None:
            usable = [f.parsed.label for f in existing if f.parsed.label is not None]
            if not usable:
                raise LabelError(
                    "no well-formed label to propagate; write one with --label 2|3 first"
                )
            label = usable[0].propagate(propagator, new_content_id())
        label = label or new_label(settings, label=label_value)
        if transform is not None:
            data = transform(data, mod, label)
        labelled = label_bytes(data, label, settings=settings, fmt=mod)
    except LabelError as exc:
        raise LabelError(f"{os.fspath(path)}: {exc}") from None
    target = Path(out) if out is not None else Path(path)
    write_atomic(target, labelled)
    final = mod.read(labelled)[0].parsed.label
    assert final is not None
    return LabelResult(os.fspath(path), os.fspath(target), mod.NAME, final, len(existing))


def _judge(
    report: VerifyReport,
    labels: list[FoundLabel],
    key: bytes | None,
    own: str | None,
    mod: Carrier,
    data: bytes,
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


def _integrity(f: FoundLabel, key: bytes | None, own: str | None, mod: Carrier, data: bytes) -> str:
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

    ``watermark=True`` also looks, in images, for the invisible watermark of the label's
    ProduceID and reports it as a separate signal (it does not change ``status``).
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
        data = read_limited(path, limit)
        mod = detect(data, os.fspath(path))
        report.format = mod.NAME
        with guarded(mod.NAME):
            _judge(report, mod.read(data), key, own, mod, data)
        if watermark and report.label and mod.NAME in ("png", "jpeg", "webp"):
            report.watermark = _watermark(data, report.label.get("ProduceID", ""))
    except LabelError as exc:
        report.status, report.error = "error", str(exc)
    return report


def _watermark(data: bytes, produce_id: str) -> dict[str, Any]:
    from hegui.labeling.watermark import detect as detect_mark
    from hegui.labeling.watermark import payload_for

    found = detect_mark(data, payload_for(produce_id))
    return {
        "present": found.present,
        "hamming": found.hamming,
        "bits": found.bits,
        "false_positive_rate": found.false_positive_rate,
    }
