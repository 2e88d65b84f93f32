"""Benchmark: hegui's luma watermark vs the invisible-watermark package's default dwtDct.

Same synthetic images, same attacks, same run. The competitor is benchmark-only:

    pip install --no-deps invisible-watermark && pip install PyWavelets opencv-python-headless
    python benchmarks/labeling_watermark.py            # writes benchmarks/results/labeling_watermark.md

``imwatermark`` imports torch at module level although dwtDct never uses it, so a stub module is
registered first (as in /work/shared/reference/labeling.md's appendix).
"""

from __future__ import annotations

import argparse
import io
import sys
import time
import types
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from hegui.labeling import watermark

RESULTS = Path(__file__).parent / "results" / "labeling_watermark.md"
Pixels = np.ndarray


def _smooth(rng: np.random.Generator, cells: int, size: int) -> np.ndarray:
    noise = Image.fromarray(rng.random((cells, cells)).astype(np.float32), mode="F")
    return np.asarray(noise.resize((size, size), Image.Resampling.BICUBIC), dtype=np.float64)


def photo_like(seed: int, size: int) -> Pixels:
    """Multi-scale luma texture, smooth chroma tint, 25 hard-edged discs and luma grain."""
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


def near_flat(seed: int, size: int) -> Pixels:
    """A colour gradient with faint noise: little texture to hide a mark in."""
    rng = np.random.default_rng(seed)
    ramp = np.linspace(0, 30, size)[None, :, None]
    return np.clip(
        rng.integers(60, 200, 3) + ramp + rng.normal(0, 1, (size, size, 3)), 0, 255
    ).astype(np.uint8)


def _encode(pixels: Pixels, fmt: str = "PNG", **params: object) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, fmt, **params)
    return buffer.getvalue()


def _decode(data: bytes) -> Pixels:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


def _resize(pixels: Pixels, factor: float) -> Pixels:
    size = (round(pixels.shape[1] * factor), round(pixels.shape[0] * factor))
    return np.asarray(Image.fromarray(pixels).resize(size, Image.Resampling.LANCZOS))


def _centre_crop(pixels: Pixels, keep: float) -> Pixels:
    dy, dx = (round(s * (1 - keep) / 2) for s in pixels.shape[:2])
    return pixels[dy : pixels.shape[0] - dy, dx : pixels.shape[1] - dx]


ATTACKS: dict[str, Callable[[Pixels], bytes]] = {
    "none (PNG)": lambda p: _encode(p),
    "JPEG q=50 (4:2:0)": lambda p: _encode(p, "JPEG", quality=50),
    "JPEG q=75 (4:2:0)": lambda p: _encode(p, "JPEG", quality=75),
    "crop 10 % bottom": lambda p: _encode(p[: round(p.shape[0] * 0.9)]),
    "crop 10 % right": lambda p: _encode(p[:, : round(p.shape[1] * 0.9)]),
    "resize 50 %": lambda p: _encode(_resize(p, 0.5)),
    "centre crop 90 %": lambda p: _encode(_centre_crop(p, 0.9)),
    "Gaussian noise σ=5": lambda p: _encode(
        np.clip(p + np.random.default_rng(0).normal(0, 5, p.shape), 0, 255).astype(np.uint8)
    ),
}


class Hegui:
    name = "hegui luma tile"

    def source(self, pixels: Pixels) -> bytes:
        return _encode(pixels)

    def embed(self, source: bytes, payload: bytes) -> bytes:
        return watermark.embed(source, payload)

    def pixels(self, marked: bytes) -> Pixels:
        return _decode(marked)

    def accuracy(self, data: bytes, payload: bytes) -> float:
        return watermark.detect(data, payload).bit_accuracy


class DwtDctDefault:
    name = "invisible-watermark dwtDct (default)"

    def __init__(self) -> None:
        sys.modules.setdefault("torch", types.ModuleType("torch"))
        from imwatermark import WatermarkDecoder, WatermarkEncoder

        self._encoder, self._decoder = WatermarkEncoder, WatermarkDecoder

    def source(self, pixels: Pixels) -> Pixels:
        return np.ascontiguousarray(pixels[..., ::-1])  # BGR, as OpenCV users hold images

    def embed(self, source: Pixels, payload: bytes) -> Pixels:
        encoder = self._encoder()
        encoder.set_watermark("bits", _bits(payload).tolist())
        return encoder.encode(source, "dwtDct")

    def pixels(self, marked: Pixels) -> Pixels:
        return np.ascontiguousarray(marked[..., ::-1])

    def accuracy(self, data: bytes, payload: bytes) -> float:
        bgr = np.ascontiguousarray(_decode(data)[..., ::-1])
        try:
            bits = np.array(self._decoder("bits", 64).decode(bgr, "dwtDct"), dtype=np.uint8)
        except RuntimeError:  # refuses images under 256×256: no answer is a coin flip
            return 0.5
        return float(np.mean(bits == _bits(payload)))


def _bits(payload: bytes) -> np.ndarray:
    return np.unpackbits(np.frombuffer(payload, dtype=np.uint8))


def _psnr(a: Pixels, b: Pixels) -> float:
    mse = float(np.mean((a.astype(np.float64) - b) ** 2))
    return 10 * np.log10(255**2 / mse)


def _run(method: Hegui | DwtDctDefault, images: list[Pixels]) -> dict[str, str]:
    cells: dict[str, list[float]] = {name: [] for name in ATTACKS}
    psnr, embed_s, decode_s = [], [], []
    for index, pixels in enumerate(images):
        payload = watermark.payload_for(f"benchmark-{index}")
        source = method.source(pixels)
        start = time.process_time()
        result = method.embed(source, payload)  # type: ignore[arg-type]
        embed_s.append(time.process_time() - start)
        marked = method.pixels(result)  # type: ignore[arg-type]
        psnr.append(_psnr(pixels, marked))
        for name, attack in ATTACKS.items():
            data = attack(marked)
            start = time.process_time()
            cells[name].append(method.accuracy(data, payload))
            if name == "none (PNG)":
                decode_s.append(time.process_time() - start)
    row = {"PSNR (dB)": f"{np.mean(psnr):.1f}"}
    for name, values in cells.items():
        exact = sum(v == 1.0 for v in values)
        row[name] = f"{np.mean(values):.3f} ({exact}/{len(values)})"
    row["embed / decode CPU s"] = f"{np.mean(embed_s):.2f} / {np.mean(decode_s):.2f}"
    return row


def watermark_benchmark(size: int = 1024, images: int = 3) -> str:
    """Run both methods on photo-like and near-flat images; return a markdown table."""
    families = {"photo-like": photo_like, "near-flat": near_flat}
    methods = [Hegui(), DwtDctDefault()]
    columns, rows = [], []
    for family, make in families.items():
        pictures = [make(100 + i, size) for i in range(images)]
        for method in methods:
            columns.append(f"{method.name}, {family}")
            rows.append(_run(method, pictures))
    lines = ["| metric | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for metric in rows[0]:
        lines.append(f"| {metric} | " + " | ".join(row[metric] for row in rows) + " |")
    note = (
        f"\n{images} images per family, {size}×{size}, 64-bit payload. Cells: mean bit "
        "accuracy (exact recoveries). Times are CPU seconds per image; hegui's embed "
        "includes PNG decode + encode (its API takes and returns file bytes), dwtDct's works "
        "on pixel arrays; decode is timed on the unattacked image.\n"
    )
    return "\n".join(lines) + "\n" + note


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--images", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    table = watermark_benchmark(args.size, args.images)
    print(table)
    if not args.no_write:
        command = (
            f"python benchmarks/labeling_watermark.py --size {args.size} --images {args.images}"
        )
        RESULTS.write_text(
            f"# Watermark benchmark\n\nCommand: `{command}`\n\n{table}", encoding="utf-8"
        )


if __name__ == "__main__":
    main()
