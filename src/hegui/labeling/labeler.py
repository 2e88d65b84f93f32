"""Label bytes in memory: build the label, write it with the right carrier, read it back.

Every write is followed by a read-back: if the carrier does not return exactly the label we
wrote (and only that label), the write fails. This is the guard PG-20257A asks for after the
silent ffmpeg drop, applied to every format.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from hegui.errors import LabelError
from hegui.labeling import integrity
from hegui.labeling.carriers import Carrier, detect, guarded
from hegui.labeling.model import AigcLabel
from hegui.labeling.provider import configured_producer, new_content_id
from hegui.labeling.source import Source, materialise

if TYPE_CHECKING:
    from hegui.config import LabelingSettings

__all__ = ["check_written", "label_bytes", "label_image_bytes", "new_label", "signing_key"]


def new_label(
    settings: LabelingSettings | None = None,
    *,
    producer: str | None = None,
    label: str = "1",
    warn: bool = True,
) -> AigcLabel:
    """A first-write label: propagator fields mirror the producer (Annex E note 1)."""
    code = producer or configured_producer(settings, warn=warn)
    produce_id = new_content_id()
    return AigcLabel(label, code, produce_id, "", code, produce_id, "")


def signing_key(settings: LabelingSettings | None) -> bytes | None:
    if settings is None or settings.signing_key is None:
        return None
    return settings.signing_key.get_secret_value().encode("utf-8")


def label_bytes(
    data: bytes,
    label: AigcLabel,
    *,
    settings: LabelingSettings | None = None,
    filename: str = "",
    fmt: Carrier | None = None,
) -> bytes:
    """Return ``data`` carrying exactly one implicit label (signed when a key is configured)."""
    limit = settings.max_file_bytes if settings is not None else None
    if limit is not None and len(data) > limit:
        raise LabelError(
            f"file is {len(data)} bytes, over the {limit}-byte limit (labeling.max_file_bytes)"
        )
    src = Source.from_bytes(data)
    mod = fmt or detect(src, filename)
    with guarded(mod.NAME):
        text = prepare(mod, src, label, settings).to_json()
        out = materialise(mod.plan(src, text), src)
        check_written(mod, src, Source.from_bytes(out), text)
    return out


def prepare(
    mod: Carrier, src: Source, label: AigcLabel, settings: LabelingSettings | None
) -> AigcLabel:
    """``label`` with its integrity value when a signing key is configured."""
    key = signing_key(settings)
    if key is not None and not label.reserved_code1:
        return integrity.sign(key, mod.content_digest(src), label)
    return label


def check_written(mod: Carrier, src: Source, out: Source, text: str) -> None:
    """Fail unless ``out`` holds exactly the label ``text`` and, where the carrier can tell,
    its media is laid out exactly as in ``src`` (MP4 sample and fragment offsets)."""
    back = mod.read(out)
    if len(back) != 1 or back[0].raw != text:
        raise LabelError(
            f"{mod.NAME}: label did not read back after writing (found {len(back)} labels)"
        )
    check = getattr(mod, "check_written", None)
    if check is not None:
        check(src, out)


def label_image_bytes(
    data: bytes,
    *,
    settings: LabelingSettings | None = None,
    label: AigcLabel | None = None,
    explicit: bool = True,
) -> bytes:
    """Label a generated image (PNG, JPEG, WebP): visible notice when available, then metadata."""
    label = label or new_label(settings)
    if explicit:
        add_notice = _explicit_image_notice()
        if add_notice is not None:
            data = add_notice(data)
    mod = detect(data)
    if mod.NAME not in ("png", "jpeg", "webp"):
        raise LabelError(f"not an image hegui can label: {mod.NAME}")
    return label_bytes(data, label, settings=settings, fmt=mod)


def _explicit_image_notice() -> Callable[[bytes], bytes] | None:
    """The explicit-label overlay from ``hegui.labeling.explicit.image`` when it is installed."""
    try:
        from hegui.labeling.explicit.image import add_image_notice
    except ImportError:
        return None
    return add_image_notice
