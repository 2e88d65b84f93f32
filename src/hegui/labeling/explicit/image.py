"""GB 45438 §5.2 image notice: visible text at an edge or corner, ≥ 5 % of the shortest side tall.

"Text height" is measured on the ink of the rendered glyphs (not the font's nominal size), so
the rule holds whatever the font's internal leading. hegui aims at 5.5 % (:data:`TARGET_RATIO`),
so that rounding, a resize by the platform or the edge pixels of anti-aliased glyphs cannot take
the notice under 5 %, and never draws text under :data:`MIN_LEGIBLE_PX` pixels: a picture too
small for a legible notice is refused with the size it would need. The text sits on a
translucent dark box with a dark outline, which keeps it legible on any background. Adding a
notice to a picture that already shows the same notice at the same place changes nothing.
"""

from __future__ import annotations

import math

from PIL import Image, ImageDraw, ImageFont

from hegui.errors import LabelError
from hegui.labeling.explicit.raster import DEFAULT_MAX_PIXELS, SourceImage, open_image, save_like
from hegui.labeling.explicit.text import is_valid_notice
from hegui.labeling.fonts import FONT_PATH, require_renderable

__all__ = [
    "MIN_HEIGHT_RATIO",
    "MIN_LEGIBLE_PX",
    "POSITIONS",
    "TARGET_RATIO",
    "add_image_notice",
    "check_notice",
    "has_image_notice",
    "min_text_height",
    "notice_offset",
    "render_notice",
]

MIN_HEIGHT_RATIO = 0.05  # GB 45438 §5.2
TARGET_RATIO = 0.055  # what hegui draws: a margin over the rule
MIN_LEGIBLE_PX = 12  # below this, CJK glyphs blur into each other
POSITIONS = ("top-left", "top-right", "bottom-left", "bottom-right", "top", "bottom")
_BOX_RGBA = (0, 0, 0, 150)
_TEXT_RGBA = (255, 255, 255, 255)


def check_notice(notice: str) -> None:
    """Reject a notice without both GB 45438 elements or with characters the font lacks."""
    if not is_valid_notice(notice):
        raise LabelError(
            f"notice {notice!r} lacks an AI element (人工智能/AI) or a generation element (生成/合成)"
        )
    require_renderable(notice)


def min_text_height(width: int, height: int, ratio: float = TARGET_RATIO) -> int:
    """Text height hegui draws for a ``width`` × ``height`` picture: 5.5 % of the shorter side,
    and never less than :data:`MIN_LEGIBLE_PX`."""
    return max(MIN_LEGIBLE_PX, math.ceil(ratio * min(width, height)))


def render_notice(notice: str, text_height: int) -> Image.Image:
    """Draw ``notice`` as an RGBA badge whose glyph ink is at least ``text_height`` pixels tall."""
    font = _font_for_ink_height(notice, text_height)
    left, top, right, bottom = (math.ceil(v) for v in font.getbbox(notice))
    stroke = max(1, text_height // 16)
    pad = max(2, round(0.3 * text_height))
    size = (right - left + 2 * (pad + stroke), bottom - top + 2 * (pad + stroke))
    badge = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(badge)
    draw.rounded_rectangle((0, 0, size[0] - 1, size[1] - 1), radius=pad, fill=_BOX_RGBA)
    draw.text(
        (pad + stroke - left, pad + stroke - top),
        notice,
        font=font,
        fill=_TEXT_RGBA,
        stroke_width=stroke,
        stroke_fill=(0, 0, 0, 255),
    )
    return badge


def notice_offset(
    canvas: tuple[int, int], badge: tuple[int, int], position: str
) -> tuple[int, int]:
    """Top-left pixel where a badge goes for ``position``, with a margin of 2 % of the short side."""
    if position not in POSITIONS:
        raise LabelError(f"unknown notice position {position!r}; use one of {', '.join(POSITIONS)}")
    (width, height), (bw, bh) = canvas, badge
    margin = max(2, round(0.02 * min(width, height)))
    if bw + 2 * margin > width or bh + 2 * margin > height:
        raise LabelError(
            f"a {bw}x{bh} notice does not fit a {width}x{height} picture; use a shorter notice"
            f" (text under {MIN_LEGIBLE_PX} px would not be legible, so a picture needs room"
            f" for at least {bw + 2 * margin}x{bh + 2 * margin} px of notice)"
        )
    x = {"left": margin, "right": width - bw - margin}.get(
        position.rpartition("-")[2], (width - bw) // 2
    )
    y = margin if position.startswith("top") else height - bh - margin
    return x, y


def add_image_notice(
    data: bytes,
    *,
    notice: str = "AI生成",
    position: str = "bottom-right",
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> bytes:
    """Return ``data`` (PNG, JPEG or WebP) with a visible AI notice; the format stays the same.

    JPEG and lossy WebP are re-encoded at quality 95 because the pixels change; EXIF, ICC, XMP
    and PNG text chunks are carried over. The input bytes are never modified.
    """
    check_notice(notice)
    source, badge, at = _place(data, notice, position, max_pixels)
    if _shows(source.image, badge, at):
        return data
    canvas = source.image.convert("RGBA")
    canvas.alpha_composite(badge, at)
    return save_like(canvas, source)


def has_image_notice(
    data: bytes,
    *,
    notice: str = "AI生成",
    position: str = "bottom-right",
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> bool:
    """True when the picture already shows the notice hegui would draw, where it would draw it."""
    source, badge, at = _place(data, notice, position, max_pixels)
    return _shows(source.image, badge, at)


def _place(
    data: bytes, notice: str, position: str, max_pixels: int
) -> tuple[SourceImage, Image.Image, tuple[int, int]]:
    """The decoded picture, the badge for its size, and where the badge goes."""
    source = open_image(data, max_pixels=max_pixels)
    badge = render_notice(notice, min_text_height(*source.image.size))
    return source, badge, notice_offset(source.image.size, badge.size, position)


def _shows(image: Image.Image, badge: Image.Image, at: tuple[int, int]) -> bool:
    """The badge's opaque pixels (glyphs and outline) match the picture there (JPEG-tolerant)."""
    import numpy as np

    ink = np.asarray(badge)
    opaque = ink[..., 3] == 255
    if not opaque.any():
        return False
    x, y = at
    region = image.convert("RGB").crop((x, y, x + badge.width, y + badge.height))
    diff = np.abs(np.asarray(region, dtype=np.int16) - ink[..., :3].astype(np.int16))
    return bool(np.mean(diff[opaque]) < 24)


def _font_for_ink_height(notice: str, text_height: int) -> ImageFont.FreeTypeFont:
    """Pick the smallest font size whose ink for ``notice`` reaches ``text_height`` pixels."""
    probe = ImageFont.truetype(str(FONT_PATH), 100)
    _, top, _, bottom = probe.getbbox(notice)
    ink_per_size = max(bottom - top, 1) / 100
    size = max(1, math.floor(text_height / ink_per_size))
    while True:
        font = ImageFont.truetype(str(FONT_PATH), size)
        _, top, _, bottom = font.getbbox(notice)
        if bottom - top >= text_height:
            return font
        size += 1
