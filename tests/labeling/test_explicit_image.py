"""GB 45438 §5.2 image notices: measured text height, placement, formats and bad input."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
from PIL import Image

from hegui.errors import LabelError
from hegui.labeling.explicit.image import POSITIONS, add_image_notice
from hegui.labeling.fonts import FONT_PATH, covered_chars, require_renderable

GREY = (128, 128, 128)


def _encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def _open(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def _text_box(data: bytes) -> tuple[int, int, int, int]:
    """Bounding box (left, top, right, bottom) of the white glyph ink on a grey picture."""
    pixels = np.asarray(_open(data).convert("L"))
    rows, cols = np.nonzero(pixels > 200)
    return int(cols.min()), int(rows.min()), int(cols.max()) + 1, int(rows.max()) + 1


@pytest.mark.parametrize("size", [(640, 360), (300, 900), (257, 257), (1200, 200)])
def test_text_height_is_at_least_five_percent_of_the_shortest_side(size) -> None:
    data = _encode(Image.new("RGB", size, GREY), "PNG")
    _, top, _, bottom = _text_box(add_image_notice(data))
    assert bottom - top >= math.ceil(0.05 * min(size))


@pytest.mark.parametrize("position", POSITIONS)
def test_notice_sits_at_the_requested_edge_or_corner(position: str) -> None:
    width, height = 600, 400
    data = _encode(Image.new("RGB", (width, height), GREY), "PNG")
    left, top, right, bottom = _text_box(add_image_notice(data, position=position))
    centre_x, centre_y = (left + right) / 2, (top + bottom) / 2
    assert (centre_y < height / 4) if position.startswith("top") else (centre_y > 3 * height / 4)
    if position.endswith("left"):
        assert centre_x < width / 4
    elif position.endswith("right"):
        assert centre_x > 3 * width / 4
    else:
        assert abs(centre_x - width / 2) < width / 10


def test_only_the_notice_area_changes() -> None:
    original = Image.new("RGB", (400, 300), GREY)
    labelled = np.asarray(_open(add_image_notice(_encode(original, "PNG"))).convert("RGB"))
    changed = np.any(labelled != np.asarray(original), axis=2)
    rows, cols = np.nonzero(changed)
    assert rows.min() > 300 * 0.7 and cols.min() > 400 * 0.6  # bottom-right corner only


@pytest.mark.parametrize(
    ("fmt", "mode"),
    [
        ("PNG", "RGB"),
        ("PNG", "RGBA"),
        ("PNG", "L"),
        ("JPEG", "RGB"),
        ("JPEG", "L"),
        ("WEBP", "RGB"),
    ],
)
def test_format_and_mode_are_preserved(fmt: str, mode: str) -> None:
    data = _encode(Image.new(mode, (320, 240), 128 if mode == "L" else GREY[: len(mode)]), fmt)
    out = _open(add_image_notice(data))
    assert (out.format, out.mode, out.size) == (fmt, mode, (320, 240))


def test_jpeg_keeps_exif_and_icc_profile() -> None:
    exif = Image.Exif()
    exif[0x013B] = "hegui test artist"
    icc = b"\x00" * 128  # opaque bytes are carried as-is
    data = _encode(Image.new("RGB", (320, 240), GREY), "JPEG", exif=exif, icc_profile=icc)
    out = _open(add_image_notice(data))
    assert out.getexif()[0x013B] == "hegui test artist"
    assert out.info["icc_profile"] == icc


def test_png_text_chunks_survive() -> None:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("AIGC", '{"Label":"1"}')
    data = _encode(Image.new("RGB", (320, 240), GREY), "PNG", pnginfo=info)
    assert _open(add_image_notice(data)).text["AIGC"] == '{"Label":"1"}'


def test_exif_rotated_jpeg_gets_the_notice_in_the_displayed_corner() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: viewers rotate 90° clockwise
    data = _encode(Image.new("RGB", (400, 300), GREY), "JPEG", exif=exif)
    out = add_image_notice(data, position="bottom-right")
    assert _open(out).size == (300, 400)
    left, top, _, _ = _text_box(out)
    assert left > 150 and top > 300


def test_input_bytes_are_not_modified() -> None:
    data = _encode(Image.new("RGB", (320, 240), GREY), "PNG")
    before = bytes(data)
    add_image_notice(data)
    assert data == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"GIF89a" + b"\x00" * 100, "unsupported image format"),
        (b"not an image at all", "unsupported image format"),
        (_encode(Image.new("RGB", (320, 240), GREY), "PNG")[:200], "corrupt or truncated"),
        (_encode(Image.new("RGB", (320, 240), GREY), "JPEG")[:300], "corrupt or truncated"),
    ],
)
def test_bad_input_gives_a_clear_error(data: bytes, message: str) -> None:
    with pytest.raises(LabelError, match=message):
        add_image_notice(data)


def test_pixel_limit_is_enforced() -> None:
    data = _encode(Image.new("RGB", (400, 300), GREY), "PNG")
    with pytest.raises(LabelError, match="pixel limit"):
        add_image_notice(data, max_pixels=100_000)


def test_characters_missing_from_the_font_are_named() -> None:
    data = _encode(Image.new("RGB", (400, 300), GREY), "PNG")
    with pytest.raises(LabelError, match="龘"):
        add_image_notice(data, notice="龘AI生成")


def test_notice_without_both_elements_is_refused() -> None:
    data = _encode(Image.new("RGB", (400, 300), GREY), "PNG")
    with pytest.raises(LabelError, match="AI element"):
        add_image_notice(data, notice="模型输出")


def test_notice_too_wide_for_the_picture_is_refused() -> None:
    data = _encode(Image.new("RGB", (120, 400), GREY), "PNG")
    with pytest.raises(LabelError, match="does not fit"):
        add_image_notice(data, notice="本内容由人工智能生成合成内容由人工智能生成")


def test_palette_png_comes_back_as_rgb_and_16_bit_is_refused() -> None:
    palette = _encode(Image.new("P", (320, 240)), "PNG")
    assert _open(add_image_notice(palette)).mode == "RGB"
    sixteen = _encode(Image.new("I;16", (320, 240)), "PNG")
    with pytest.raises(LabelError, match="16-bit"):
        add_image_notice(sixteen)


@pytest.mark.parametrize(
    "notice",
    ["本内容由人工智能生成", "本回答由人工智能生成", "AI生成", "人工智能合成", "由ＡＩ合成的图片"],
)
def test_common_notices_are_covered_by_the_shipped_font(notice: str) -> None:
    require_renderable(notice)


def test_every_listed_character_has_a_glyph_in_the_font() -> None:
    ttlib = pytest.importorskip("fontTools.ttLib", reason="fontTools is a dev-only tool")
    cmap = ttlib.TTFont(str(FONT_PATH))["cmap"].getBestCmap()
    assert {ch for ch in covered_chars() if ord(ch) not in cmap} == set()
