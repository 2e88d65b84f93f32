"""Invisible watermark: robustness on photo-like images, PSNR, and no false detections."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from hegui.errors import LabelError
from hegui.labeling.watermark import (
    decode,
    detect,
    embed,
    false_positive_rate,
    payload_for,
)

SIZE = 384


def _smooth(rng: np.random.Generator, cells: int, size: int) -> np.ndarray:
    noise = Image.fromarray(rng.random((cells, cells)).astype(np.float32), mode="F")
    return np.asarray(noise.resize((size, size), Image.Resampling.BICUBIC), dtype=np.float64)


def photo_like(seed: int, size: int = SIZE) -> np.ndarray:
    """Multi-scale luma texture, smooth chroma tint, hard-edged discs and grain (labeling.md)."""
    rng = np.random.default_rng(seed)
    luma = sum(
        a * _smooth(rng, max(2, size * c // 1024), size)
        for c, a in ((8, 90), (32, 50), (128, 25), (512, 10))
    )
    luma = (luma - luma.min()) * 200 / (luma.max() - luma.min()) + 20
    rgb = np.stack([luma * (0.7 + 0.6 * _smooth(rng, 4, size)) for _ in range(3)], axis=-1)
    image = Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for _ in range(25):
        x, y = (int(v) for v in rng.integers(0, size, 2))
        r = int(rng.integers(20, 120)) * size // 1024
        draw.ellipse(
            (x - r, y - r, x + r, y + r), fill=tuple(int(v) for v in rng.integers(0, 255, 3))
        )
    grain = rng.normal(0, 3, (size, size, 1))
    return np.clip(np.asarray(image, dtype=np.float64) + grain, 0, 255).astype(np.uint8)


def near_flat(seed: int, size: int = SIZE) -> np.ndarray:
    """A colour gradient with faint noise: the hardest case for any watermark."""
    rng = np.random.default_rng(seed)
    ramp = np.linspace(0, 30, size)[None, :, None]
    return np.clip(
        rng.integers(60, 200, 3) + ramp + rng.normal(0, 1, (size, size, 3)), 0, 255
    ).astype(np.uint8)


def _png(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


def _pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


def _jpeg(pixels: np.ndarray, quality: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=quality)  # Pillow default: 4:2:0
    return buffer.getvalue()


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b) ** 2))
    return 10 * np.log10(255**2 / mse)


ATTACKS = {
    "jpeg q=50": lambda p: _jpeg(p, 50),
    "crop 10% bottom": lambda p: _png(p[: int(p.shape[0] * 0.9)]),
    "crop 10% right": lambda p: _png(p[:, : int(p.shape[1] * 0.9)]),
    "jpeg q=75 after right crop": lambda p: _jpeg(p[:, : int(p.shape[1] * 0.9)], 75),
    "resize 50%": lambda p: _png(
        np.asarray(
            Image.fromarray(p).resize((p.shape[1] // 2, p.shape[0] // 2), Image.Resampling.LANCZOS)
        )
    ),
    "centre crop 90%": lambda p: _png(p[19:-19, 19:-19]),
}


@pytest.fixture(scope="module")
def marked() -> list[tuple[np.ndarray, np.ndarray, bytes]]:
    """(original, watermarked, payload) for three photo-like and one near-flat image."""
    out = []
    for seed, pixels in enumerate([photo_like(1), photo_like(2), photo_like(3), near_flat(4)]):
        payload = payload_for(f"produce-{seed}")
        out.append((pixels, _pixels(embed(_png(pixels), payload)), payload))
    return out


def test_psnr_is_at_least_35_db(marked) -> None:
    for original, watermarked, _ in marked:
        assert _psnr(original, watermarked) >= 35


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_payload_survives(marked, attack: str) -> None:
    for _, watermarked, payload in marked:
        result = detect(ATTACKS[attack](watermarked), payload)
        assert result.bit_accuracy >= 0.99, (attack, result)
        assert result.present and result.false_positive_rate <= 1e-8


def test_blind_decode_recovers_the_payload(marked) -> None:
    for _, watermarked, payload in marked:
        assert decode(_jpeg(watermarked, 50)) == payload


@pytest.mark.parametrize("seed", range(100, 106))
def test_unmarked_images_are_not_detected(seed: int) -> None:
    data = _png(photo_like(seed) if seed % 2 else near_flat(seed))
    result = detect(data, payload_for(f"produce-{seed}"))
    assert not result.present
    assert result.hamming > 10 and result.false_positive_rate > 1e-8
    assert decode(data) is None


def test_another_payload_is_not_reported_present(marked) -> None:
    _, watermarked, _ = marked[0]
    result = detect(_png(watermarked), payload_for("some other content"))
    assert not result.present


def test_format_and_alpha_are_preserved() -> None:
    rgba = np.dstack([photo_like(7, 256), np.full((256, 256), 200, np.uint8)])
    buffer = io.BytesIO()
    Image.fromarray(rgba).save(buffer, "PNG")
    out = Image.open(io.BytesIO(embed(buffer.getvalue(), payload_for("a"))))
    assert (out.format, out.mode) == ("PNG", "RGBA")
    assert np.all(np.asarray(out)[..., 3] == 200)
    jpeg = embed(_jpeg(photo_like(7, 256), 90), payload_for("a"))
    assert Image.open(io.BytesIO(jpeg)).format == "JPEG"
    assert detect(jpeg, payload_for("a")).present


@pytest.mark.parametrize(("hamming", "expected"), [(6, 4.5e-12), (10, 1.0e-8), (0, 2.0**-64)])
def test_false_positive_rate_is_the_binomial_tail(hamming: int, expected: float) -> None:
    assert false_positive_rate(hamming) == pytest.approx(expected, rel=0.05)


def test_payload_is_the_produce_id_prefix_or_else_its_sha256() -> None:
    # hegui's ProduceIDs are hex: the payload is their first 64 bits, so a blind decode names them
    assert payload_for("9f0c1d2e3f405162738495a6b7c8d9e0").hex() == "9f0c1d2e3f405162"
    assert payload_for("abc").hex() == "ba7816bf8f01cfea"  # other IDs: first 64 bits of SHA-256


@pytest.mark.parametrize(
    ("data", "payload", "message"),
    [
        (_png(photo_like(1, 128)), b"short", "8 bytes"),
        (_png(photo_like(1, 128)[:40, :40]), b"12345678", "needs"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 30, b"12345678", "corrupt or truncated"),
        (b"BM" + b"\x00" * 60, b"12345678", "unsupported image format"),
    ],
)
def test_bad_input_gives_a_clear_error(data: bytes, payload: bytes, message: str) -> None:
    with pytest.raises(LabelError, match=message):
        embed(data, payload)
