"""GB 45438 content labels: the Annex E implicit label, its file carriers, and the verifier.

Import from here: ``AigcLabel``, ``new_label``, ``label_bytes``, ``label_image_bytes``,
``parse_label``, ``label_file``, ``verify_file``. Nothing heavy is imported at package import;
Pillow, pypdf and the carriers load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hegui.labeling.labeler import label_bytes, label_image_bytes, new_label
from hegui.labeling.model import FIELD_NAMES, AigcLabel, ParsedLabel
from hegui.labeling.model import parse as parse_label

if TYPE_CHECKING:
    from hegui.labeling.files import LabelResult, VerifyReport, label_file, verify_file

__all__ = [
    "FIELD_NAMES",
    "AigcLabel",
    "LabelResult",
    "ParsedLabel",
    "VerifyReport",
    "label_bytes",
    "label_file",
    "label_image_bytes",
    "new_label",
    "parse_label",
    "verify_file",
]

_FILES = ("LabelResult", "VerifyReport", "label_file", "verify_file")


def __getattr__(name: str) -> Any:
    if name in _FILES:
        from hegui.labeling import files

        return getattr(files, name)
    raise AttributeError(f"module 'hegui.labeling' has no attribute {name!r}")
