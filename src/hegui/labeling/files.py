"""Label files on disk: bounded streaming, provenance rules and the atomic write.

The file is mapped, never read whole (unless a pixel or sample step such as the explicit notice
needs it); the carrier answers with a splice plan that is written to a temporary file next to
the target, read back and checked, and only then renamed over it (:mod:`.fileio`).

Provenance (GB 45438 Annex E, Labeling Measures Art. 6): a platform that distributes content
adds ``ContentPropagator``/``PropagateID`` and keeps the producer's fields (``propagator=``).
Writing a new label over another producer's well-formed label erases that producer's claim, so
it needs ``replace=True`` and is reported in :attr:`LabelResult.replaced_labels`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hegui.errors import LabelError
from hegui.labeling.carriers import Carrier, FoundLabel, detect, guarded
from hegui.labeling.fileio import open_limited, read_limited, write_atomic
from hegui.labeling.labeler import check_written, new_label, prepare
from hegui.labeling.model import AigcLabel
from hegui.labeling.provider import new_content_id
from hegui.labeling.source import Source, write_plan
from hegui.labeling.verify import STATUSES, VerifyReport, verify_file

if TYPE_CHECKING:
    from hegui.config import LabelingSettings

__all__ = [
    "DEFAULT_LIMIT",
    "STATUSES",
    "LabelResult",
    "VerifyReport",
    "label_file",
    "read_limited",
    "verify_file",
    "write_atomic",
]

DEFAULT_LIMIT = 2 * 1024**3
Transform = Callable[[bytes, Carrier, AigcLabel], bytes]


@dataclass(frozen=True, slots=True)
class LabelResult:
    """What ``label_file`` wrote."""

    source: str
    out: str
    format: str
    label: AigcLabel
    replaced: int  # labels that were in the source and are gone now
    replaced_labels: list[dict[str, str]] = field(default_factory=list)
    propagated: bool = False

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "file": self.source,
            "out": self.out,
            "format": self.format,
            "label": self.label.to_dict(),
            "replaced": self.replaced,
        }
        if self.replaced_labels:
            out["replaced_labels"] = self.replaced_labels
        if self.propagated:
            out["propagated"] = True
        return out


def _existing(mod: Carrier, src: Source, force: bool) -> list[FoundLabel]:
    labels = mod.read(src)
    bad = [f for f in labels if not f.parsed.wellformed or not f.intact]
    if bad and not force:
        why = "; ".join(bad[0].parsed.problems) or "container checksum mismatch"
        raise LabelError(
            f"file already carries a malformed label at {bad[0].location} ({why}); use --force to replace it"
        )
    return labels


def _choose_label(
    existing: list[FoundLabel],
    label: AigcLabel | None,
    label_value: str,
    settings: LabelingSettings | None,
    propagator: str | None,
    replace: bool,
) -> tuple[AigcLabel, list[dict[str, str]]]:
    """The label to write and the other producers' labels it replaces."""
    usable = [f.parsed.label for f in existing if f.parsed.label is not None]
    if propagator is not None:
        if not usable:
            raise LabelError("no well-formed label to propagate; write one with --label 2|3 first")
        return usable[0].propagate(propagator, new_content_id()), []
    label = label or new_label(settings, label=label_value)
    foreign = [old for old in usable if old.content_producer != label.content_producer]
    if foreign and not replace:
        old = foreign[0]
        raise LabelError(
            f"file already carries a label from producer {old.content_producer} "
            f"(ProduceID {old.produce_id}); add your platform with --propagator CODE, "
            "or use --replace to overwrite the producer's label"
        )
    return label, [old.to_dict() for old in foreign]


def label_file(
    path: str | os.PathLike[str],
    out: str | os.PathLike[str] | None = None,
    *,
    label: AigcLabel | None = None,
    label_value: str = "1",
    settings: LabelingSettings | None = None,
    propagator: str | None = None,
    replace: bool = False,
    force: bool = False,
    transform: Transform | None = None,
) -> LabelResult:
    """Write one implicit label into ``path`` (or a copy at ``out``); the original stays intact on failure.

    Without ``label`` a new one is made from ``settings`` with ``Label = label_value``.
    ``propagator`` adds a platform's fields to the label already in the file (Art. 6) instead of
    writing a new one; a file labelled by another producer is refused unless ``replace``.
    ``transform(data, carrier, label) -> bytes`` runs before the metadata is written (explicit
    notice, watermark) and is the only step that reads the whole file into memory.
    """
    limit = settings.max_file_bytes if settings is not None else DEFAULT_LIMIT
    name = os.fspath(path)
    target = Path(out) if out is not None else Path(path)
    try:
        with open_limited(path, limit) as src:
            mod = detect(src, name)
            with guarded(mod.NAME):
                existing = _existing(mod, src, force)
            chosen, foreign = _choose_label(
                existing, label, label_value, settings, propagator, replace
            )
            if transform is not None:
                changed = transform(read_limited(path, limit), mod, chosen)
                final = _write(mod, Source.from_bytes(changed), chosen, settings, target)
            else:
                final = _write(mod, src, chosen, settings, target)
    except LabelError as exc:
        raise LabelError(f"{name}: {exc}") from None
    return LabelResult(
        name, os.fspath(target), mod.NAME, final, len(existing), foreign, propagator is not None
    )


def _write(
    mod: Carrier,
    src: Source,
    label: AigcLabel,
    settings: LabelingSettings | None,
    target: Path,
) -> AigcLabel:
    with guarded(mod.NAME):
        label = prepare(mod, src, label, settings)
        text = label.to_json()
        plan = mod.plan(src, text)

    def check(tmp: str) -> None:
        with Source.open(tmp) as written, guarded(mod.NAME):
            check_written(mod, src, written, text)

    write_atomic(target, lambda fh: write_plan(plan, src, fh), check)
    return label
