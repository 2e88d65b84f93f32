"""Optional pixel/sample-level steps run before the metadata label: the explicit notice (GB 45438
§5, built in ``hegui.labeling.explicit``) and the invisible image watermark (§6.2, optional).

They live apart from the carriers because they change the content itself; the metadata label is
always written last so that its integrity value covers the final pixels or samples.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from typing import Any

from hegui.errors import LabelError
from hegui.labeling.carriers import Carrier
from hegui.labeling.model import AigcLabel

__all__ = ["add_explicit", "add_watermark", "transform"]

_IMAGES = ("png", "jpeg", "webp")
_BODY_END = re.compile(r"</body\s*>", re.I)


def _function(module: str, name: str) -> Callable[..., Any]:
    try:
        return getattr(importlib.import_module(f"hegui.labeling.{module}"), name)  # type: ignore[no-any-return]
    except (ImportError, AttributeError):
        raise LabelError(
            f"this install has no {module}.{name}; explicit labels for this format are unavailable"
        ) from None


def add_explicit(data: bytes, fmt: str) -> bytes:
    """``data`` with the visible notice for its format (image overlay, text line, audio cue, video).

    Idempotent for images, text and audio: a notice or cue already in place is not added twice."""
    if fmt in _IMAGES:
        return bytes(_function("explicit.image", "add_image_notice")(data))
    if fmt in ("markdown", "text"):
        add = _function("explicit.text", "add_text_notice")
        bom = data.startswith(b"\xef\xbb\xbf")
        text = data[3 if bom else 0 :].decode("utf-8")
        if fmt == "text":  # the label line goes last on write; the notice goes before it
            from hegui.labeling.carriers.text import strip_label

            text = strip_label(text)
        labelled: str = add(text)
        return (b"\xef\xbb\xbf" if bom else b"") + labelled.encode("utf-8")
    if fmt == "html":
        from html import escape

        notice = _function("explicit.text", "DEFAULT_NOTICE")
        text = data.decode("utf-8")
        tag = f'<p class="aigc-notice">{escape(str(notice))}</p>'
        ends = list(_BODY_END.finditer(text))
        m = ends[-1] if ends else None
        return (text[: m.start()] + tag + text[m.start() :] if m else text + tag).encode("utf-8")
    if fmt == "wav":
        if _function("explicit.audio", "has_audio_cue")(data):
            return data  # already opens with the cue: a second run adds nothing
        return bytes(_function("explicit.audio", "add_audio_cue")(data))
    if fmt == "mp4":
        return bytes(_function("explicit.video", "add_video_notice")(data))
    raise LabelError(f"no explicit label is defined for {fmt} files; use --no-explicit")


def add_watermark(data: bytes, fmt: str, label: AigcLabel) -> bytes:
    """``data`` with the invisible watermark carrying 64 bits of the ProduceID (images only)."""
    if fmt not in _IMAGES:
        raise LabelError(f"the invisible watermark is for images only, not {fmt}")
    embed = _function("watermark", "embed")
    payload_for = _function("watermark", "payload_for")
    return bytes(embed(data, payload_for(label.produce_id)))


def transform(*, explicit: bool, watermark: bool) -> Callable[[bytes, Carrier, AigcLabel], bytes]:
    """The step ``label_file`` runs before writing metadata."""

    def run(data: bytes, mod: Carrier, label: AigcLabel) -> bytes:
        if explicit:
            data = add_explicit(data, mod.NAME)
        if watermark:
            data = add_watermark(data, mod.NAME, label)
        return data

    return run
