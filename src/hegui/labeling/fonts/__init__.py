"""The CJK notice font shipped with hegui (a Noto Sans CJK SC Bold subset, SIL OFL 1.1).

Rebuilt by ``scripts/subset_font.py``; ``notice-chars.txt`` lists every character it covers.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from hegui.errors import LabelError

__all__ = ["FONT_PATH", "covered_chars", "require_renderable"]

FONT_PATH = Path(__file__).with_name("HeguiNoticeSans-Bold.otf")
_CHARS_PATH = Path(__file__).with_name("notice-chars.txt")


@cache
def covered_chars() -> frozenset[str]:
    """Characters the shipped font can draw."""
    return frozenset(_CHARS_PATH.read_text(encoding="utf-8"))


def require_renderable(notice: str) -> None:
    """Raise :class:`LabelError` naming the characters the shipped font lacks, if any."""
    missing = sorted({ch for ch in notice if ch not in covered_chars()})
    if missing:
        raise LabelError(
            f"the notice font cannot draw {''.join(missing)!r}; use characters from "
            f"{_CHARS_PATH.name} or rebuild the font with scripts/subset_font.py"
        )
