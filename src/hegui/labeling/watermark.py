"""Invisible image watermark carrying 64 bits of the ProduceID, in luma, that survives JPEG and crops.

Why this design (see docs/labeling-explicit.md for numbers):

- **Luma only.** 4:2:0 JPEG halves chroma, which is what kills the chroma-channel default of
  the ``invisible-watermark`` package; we change Y and add the same ΔY to R, G and B, which
  leaves Cb and Cr untouched.
- **Sign of a coefficient difference.** Each carrier is the difference of two low-frequency
  DCT coefficients of an 8×8 block (a projection onto ``B_a − B_b``). We push it to at least
  ``±margin`` only when the host does not already agree (informed embedding), and read its
  sign, which a change of contrast or a resize does not flip.
- **A tile anchored at the top-left.** Carriers form a 16×16-block tile (128 px) repeated over
  the image: part of each tile is a key-derived sync pattern, the rest repeats the 80 coded
  bits (64 payload + CRC-16). Crops from the bottom or right keep the grid; any other crop or
  a rescale is found by searching the 64 pixel phases × 256 tile shifts (and a 2× upscale)
  for the sync pattern, with one FFT per phase.
- **Decisions with a false-positive rate.** :func:`detect` picks the alignment from the sync
  carriers only, so the 64 payload bits stay independent coin flips on an unmarked image and
  ``P[Binomial(64, ½) ≤ d]`` is an honest false-positive rate for Hamming distance ``d``.
"""

from __future__ import annotations

import binascii
import hashlib
import math
from dataclasses import dataclass
from functools import cache

import numpy as np
from PIL import Image

from hegui.errors import LabelError
from hegui.labeling.explicit.raster import DEFAULT_MAX_PIXELS, open_image, save_like

__all__ = [
    "PAYLOAD_BITS",
    "WatermarkResult",
    "decode",
    "detect",
    "embed",
    "false_positive_rate",
    "payload_for",
]

PAYLOAD_BITS = 64
DEFAULT_KEY = "hegui-watermark-v1"
DEFAULT_MAX_HAMMING = 10  # P[Bin(64, ½) ≤ 10] = 1.0e-8
MIN_SIDE = 64
_BLOCK = 8
_TILE = 16  # blocks per tile side
_CODED_BITS = PAYLOAD_BITS + 16
_SYNC_CARRIERS = 256
_MARGIN = 14.0  # carrier margin at strength 1.0, in luma DCT units
_CAP = 3.0  # largest push, in margins, so busy blocks do not get visible artefacts
# Low-frequency coefficient pairs: below the JPEG q=50 steps' danger zone and below the
# Nyquist limit of a 50 % downscale.
_PAIRS = (((0, 1), (1, 0)), ((0, 2), (2, 0)), ((1, 2), (2, 1)))
_SCALES = (1.0, 2.0)
_BLIND_Z = 7.0  # sync z-score needed before a blind decode is believed


@dataclass(frozen=True, slots=True)
class WatermarkResult:
    """Outcome of :func:`detect`: the evidence and its false-positive rate, never a bare score."""

    present: bool
    hamming: int  # payload bits that differ from the expected ones
    bits: int  # PAYLOAD_BITS
    bit_accuracy: float
    false_positive_rate: float  # chance an unmarked image matches this well: P[Bin(64,½) ≤ d]
    sync_z: float  # strength of the alignment found (≈ 0–5 on unmarked images)
    offset: tuple[int, int]  # (dy, dx) of the tile origin in pixels of the analysed image
    scale: float  # 1.0, or 2.0 when the image had been shrunk to half size


@dataclass(frozen=True, slots=True)
class _Layout:
    """Key-derived carrier map of one tile: for each (row, col, pair) its sign and symbol."""

    sign: np.ndarray  # (T, T, P) ±1 scrambling
    symbol: np.ndarray  # (T, T, P) int: -1 = sync, else index of the coded bit
    sync: np.ndarray  # (T, T, P) ±1 sync value, 0 where not sync
    kernels: np.ndarray  # (P, 8, 8) basis differences B_a − B_b


def payload_for(produce_id: str) -> bytes:
    """The 8-byte payload for a ProduceID: its first 16 hex digits when it starts with them (as
    hegui's UUID-based IDs do), so a blind decode gives the ProduceID's prefix back even after the
    metadata is stripped; for other IDs, the first 64 bits of its SHA-256."""
    head = produce_id[:16]
    if len(head) == 16 and all(c in "0123456789abcdefABCDEF" for c in head):
        return bytes.fromhex(head)
    return hashlib.sha256(produce_id.encode("utf-8")).digest()[:8]


def false_positive_rate(hamming: int, bits: int = PAYLOAD_BITS) -> float:
    """P[Binomial(bits, ½) ≤ hamming]: how often random bits come this close to a payload."""
    return math.ldexp(sum(math.comb(bits, k) for k in range(hamming + 1)), -bits)


def embed(
    data: bytes,
    payload: bytes,
    *,
    strength: float = 1.0,
    key: str = DEFAULT_KEY,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> bytes:
    """Return ``data`` (PNG, JPEG or WebP) carrying ``payload`` (8 bytes) invisibly, same format."""
    if len(payload) != PAYLOAD_BITS // 8:
        raise LabelError(f"watermark payload must be {PAYLOAD_BITS // 8} bytes, got {len(payload)}")
    if not 0.1 <= strength <= 4.0:
        raise LabelError(f"watermark strength must be between 0.1 and 4, got {strength}")
    source = open_image(data, max_pixels=max_pixels)
    image = source.image
    if min(image.size) < MIN_SIDE:
        raise LabelError(
            f"image is {image.width}x{image.height}; the watermark needs ≥ {MIN_SIDE} px"
        )
    rgb, alpha = _split(image)
    luma = _luma(rgb)
    delta = _embed_delta(luma, _coded_bits(payload), _layout(key), _MARGIN * strength)
    marked = np.clip(np.rint(rgb + delta[..., None]), 0, 255).astype(np.uint8)
    out = Image.fromarray(marked[..., 0] if image.mode in ("L", "LA") else marked)
    if alpha is not None:
        out = out.convert("RGBA" if out.mode == "RGB" else "LA")
        out.putalpha(alpha)
    return save_like(out, source)


def detect(
    data: bytes,
    payload: bytes,
    *,
    key: str = DEFAULT_KEY,
    max_hamming: int = DEFAULT_MAX_HAMMING,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> WatermarkResult:
    """Check whether ``data`` carries ``payload``; ``present`` means Hamming ≤ ``max_hamming``."""
    if len(payload) != PAYLOAD_BITS // 8:
        raise LabelError(f"watermark payload must be {PAYLOAD_BITS // 8} bytes, got {len(payload)}")
    found = _analyse(data, key, max_pixels)
    expected = _coded_bits(payload)[:PAYLOAD_BITS]
    if found is None:
        hamming, z, offset, scale = PAYLOAD_BITS, 0.0, (0, 0), 1.0
    else:
        llr, z, offset, scale = found
        hamming = int(np.count_nonzero((llr[:PAYLOAD_BITS] > 0) != expected.astype(bool)))
    return WatermarkResult(
        present=hamming <= max_hamming,
        hamming=hamming,
        bits=PAYLOAD_BITS,
        bit_accuracy=1 - hamming / PAYLOAD_BITS,
        false_positive_rate=false_positive_rate(hamming),
        sync_z=z,
        offset=offset,
        scale=scale,
    )


def decode(
    data: bytes, *, key: str = DEFAULT_KEY, max_pixels: int = DEFAULT_MAX_PIXELS
) -> bytes | None:
    """Blind read: the 8-byte payload, or None unless both the sync and the CRC-16 agree."""
    found = _analyse(data, key, max_pixels)
    if found is None or found[1] < _BLIND_Z:
        return None
    bits = (found[0] > 0).astype(np.uint8)
    payload = np.packbits(bits[:PAYLOAD_BITS]).tobytes()
    return payload if np.array_equal(bits, _coded_bits(payload)) else None


# --- embedding -------------------------------------------------------------------------------


def _embed_delta(luma: np.ndarray, coded: np.ndarray, layout: _Layout, margin: float) -> np.ndarray:
    """ΔY that pushes every carrier of every whole block to ``±margin`` in its target direction."""
    rows, cols = luma.shape[0] // _BLOCK, luma.shape[1] // _BLOCK
    blocks = _blocks(luma, rows, cols).reshape(rows, cols, _BLOCK * _BLOCK)
    kernels = layout.kernels.reshape(len(_PAIRS), -1)
    values = blocks @ kernels.T  # (rows, cols, P) carrier values
    target = np.where(layout.symbol < 0, layout.sync, 2.0 * coded[layout.symbol] - 1) * layout.sign
    target = _tile(target, rows, cols)
    push = np.clip(margin - target * values, 0.0, _CAP * margin) * target
    # |B_a − B_b|² = 2, so adding push/2 · kernel moves the carrier by exactly ``push``.
    delta_blocks = (push / 2) @ kernels
    delta = np.zeros_like(luma)
    delta[: rows * _BLOCK, : cols * _BLOCK] = (
        delta_blocks.reshape(rows, cols, _BLOCK, _BLOCK)
        .transpose(0, 2, 1, 3)
        .reshape(rows * _BLOCK, cols * _BLOCK)
    )
    return delta


# --- detection -------------------------------------------------------------------------------


def _analyse(
    data: bytes, key: str, max_pixels: int
) -> tuple[np.ndarray, float, tuple[int, int], float] | None:
    """Best alignment by sync: (coded-bit LLRs, sync z, offset, scale), or None if too small."""
    image = open_image(data, max_pixels=max_pixels).image
    luma = _luma(_split(image)[0])
    if min(luma.shape) < 2 * _BLOCK:
        return None
    layout = _layout(key)
    # Fast path: crops from the bottom or right keep the grid at the origin.
    llr, z, offset = _search(luma, layout, phases=((0, 0),))
    best = (llr, z, offset, 1.0)
    if z >= _BLIND_Z:
        return best
    for scale in _SCALES:
        scaled = luma if scale == 1.0 else _rescale(luma, scale)
        if scaled is None:
            continue
        llr, z, offset = _search(scaled, layout, phases=None)
        if z > best[1]:
            best = (llr, z, offset, scale)
        if z >= _BLIND_Z:
            break
    return best


def _search(
    luma: np.ndarray, layout: _Layout, phases: tuple[tuple[int, int], ...] | None
) -> tuple[np.ndarray, float, tuple[int, int]]:
    """Try pixel phases (all 64 when None) and every tile shift; keep the highest sync z."""
    if phases is None:
        from scipy.signal import fftconvolve  # ~0.6 s to import; only a blind search needs it

        maps = [fftconvolve(luma, k[::-1, ::-1], mode="valid") for k in layout.kernels]
        carriers = np.stack(maps, axis=-1)  # value of each carrier at every pixel origin
        phases = tuple((dy, dx) for dy in range(_BLOCK) for dx in range(_BLOCK))
    else:
        carriers = None
    sync_hat = np.fft.fft2(layout.sync * layout.sign, axes=(0, 1))
    best: tuple[np.ndarray, float, tuple[int, int]] = (np.zeros(_CODED_BITS), -np.inf, (0, 0))
    for dy, dx in phases:
        grid = _grid_values(luma, layout) if carriers is None else carriers[dy::_BLOCK, dx::_BLOCK]
        if grid.shape[0] == 0 or grid.shape[1] == 0:
            continue
        folded = _fold(_soft(grid))
        corr = np.fft.ifft2(np.conj(np.fft.fft2(folded, axes=(0, 1))) * sync_hat, axes=(0, 1))
        corr = corr.real.sum(axis=2)
        noise = math.sqrt(_SYNC_CARRIERS * float(np.mean(folded**2))) or 1.0
        a, b = (int(i) for i in np.unravel_index(int(np.argmax(corr)), corr.shape))
        z = float(corr[a, b]) / noise
        if z > best[1]:
            aligned = np.roll(folded, (a, b), axis=(0, 1))
            offset = (
                (dy + _BLOCK * (_TILE - a)) % (_BLOCK * _TILE),
                (dx + _BLOCK * (_TILE - b)) % (_BLOCK * _TILE),
            )
            best = (_bit_llr(aligned, layout), z, offset)
    return best


def _grid_values(luma: np.ndarray, layout: _Layout) -> np.ndarray:
    rows, cols = luma.shape[0] // _BLOCK, luma.shape[1] // _BLOCK
    blocks = _blocks(luma, rows, cols).reshape(rows, cols, _BLOCK * _BLOCK)
    values: np.ndarray = blocks @ layout.kernels.reshape(len(_PAIRS), -1).T
    return values


def _soft(values: np.ndarray) -> np.ndarray:
    """Clip each carrier to ±1 margin so one busy block cannot outvote many quiet ones."""
    return np.clip(values / _MARGIN, -1.0, 1.0)


def _fold(grid: np.ndarray) -> np.ndarray:
    """Sum carriers that share a tile position (block row and column modulo the tile)."""
    rows, cols, pairs = grid.shape
    pad_r, pad_c = -rows % _TILE, -cols % _TILE
    padded = np.pad(grid, ((0, pad_r), (0, pad_c), (0, 0)))
    tiles = padded.reshape(padded.shape[0] // _TILE, _TILE, padded.shape[1] // _TILE, _TILE, pairs)
    folded: np.ndarray = tiles.sum(axis=(0, 2))
    return folded


def _bit_llr(aligned: np.ndarray, layout: _Layout) -> np.ndarray:
    """Soft value per coded bit: descrambled carrier sums (positive means 1)."""
    values = (aligned * layout.sign).ravel()
    symbols = layout.symbol.ravel()
    data = symbols >= 0
    return np.bincount(symbols[data], weights=values[data], minlength=_CODED_BITS)


# --- helpers ---------------------------------------------------------------------------------


def _coded_bits(payload: bytes) -> np.ndarray:
    crc = binascii.crc_hqx(payload, 0xFFFF).to_bytes(2, "big")
    return np.unpackbits(np.frombuffer(payload + crc, dtype=np.uint8))


@cache
def _layout(key: str) -> _Layout:
    seed = int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big")
    rng = np.random.default_rng(seed)
    shape = (_TILE, _TILE, len(_PAIRS))
    count = math.prod(shape)
    order = rng.permutation(count)
    symbol = np.empty(count, dtype=np.int64)
    symbol[order[:_SYNC_CARRIERS]] = -1
    symbol[order[_SYNC_CARRIERS:]] = np.arange(count - _SYNC_CARRIERS) % _CODED_BITS
    sign = rng.choice((-1.0, 1.0), size=shape)
    sync = np.where(symbol.reshape(shape) < 0, rng.choice((-1.0, 1.0), size=shape), 0.0)
    basis = _dct_basis()
    kernels = np.stack([basis[a] - basis[b] for a, b in _PAIRS])
    return _Layout(sign, symbol.reshape(shape), sync, kernels)


def _dct_basis() -> dict[tuple[int, int], np.ndarray]:
    n = np.arange(_BLOCK)
    scale = np.full(_BLOCK, math.sqrt(2 / _BLOCK))
    scale[0] = math.sqrt(1 / _BLOCK)
    cos = scale[:, None] * np.cos((2 * n[None, :] + 1) * n[:, None] * math.pi / (2 * _BLOCK))
    return {(u, v): np.outer(cos[u], cos[v]) for u in range(4) for v in range(4)}


def _tile(values: np.ndarray, rows: int, cols: int) -> np.ndarray:
    reps = (-(-rows // _TILE), -(-cols // _TILE), 1)
    return np.tile(values, reps)[:rows, :cols]


def _blocks(luma: np.ndarray, rows: int, cols: int) -> np.ndarray:
    cropped = luma[: rows * _BLOCK, : cols * _BLOCK]
    return cropped.reshape(rows, _BLOCK, cols, _BLOCK).transpose(0, 2, 1, 3)


def _split(image: Image.Image) -> tuple[np.ndarray, Image.Image | None]:
    """RGB (or grey repeated) as float, and the alpha band to put back, if any."""
    alpha = image.getchannel("A") if image.mode in ("RGBA", "LA", "PA") else None
    if image.mode in ("L", "LA", "I;16", "I"):
        grey = np.asarray(image.convert("L"), dtype=np.float64)
        return np.repeat(grey[..., None], 3, axis=2), alpha
    return np.asarray(image.convert("RGB"), dtype=np.float64), alpha


def _luma(rgb: np.ndarray) -> np.ndarray:
    luma: np.ndarray = rgb @ np.array([0.299, 0.587, 0.114])
    return luma


def _rescale(luma: np.ndarray, scale: float) -> np.ndarray | None:
    height, width = (round(s * scale) for s in luma.shape)
    if max(height, width) > 4096 or min(height, width) < 2 * _BLOCK:
        return None
    image = Image.fromarray(luma.astype(np.float32), mode="F")
    return np.asarray(image.resize((width, height), Image.Resampling.BICUBIC), dtype=np.float64)
