"""The byte strings the two lexicon databases scan, made from normalised UTF-16 code units.

Why two codings (``docs/lexicon.md``, Performance): patterns with a non-ASCII character are
scanned over two bytes per character, all-ASCII patterns over one byte per character, where
they scan 3x faster than in the two-byte coding. In both, a match offset maps to a character
index by a shift, with no byte→character table.
"""

from __future__ import annotations

import numpy as np

__all__ = ["both", "coded", "encode", "narrow"]

_BLOCK = 1 << 16  # characters per cache-sized block in :func:`both`

# Non-surrogate BMP code points → two-byte codes with no zero byte (the Hyperscan binding passes
# literals as C strings). The assignment is scrambled (multiplier coprime to the 65,025 codes)
# so ASCII text does not become "x\x01y\x01…", whose repeated byte would weaken Hyperscan's
# literal prefilter.
_all = np.arange(0x10000, dtype=np.int64)
_codes = _all[((_all & 0xFF) != 0) & ((_all >> 8) != 0)].astype(np.uint16)
_values = _all[(_all < 0xD800) | (_all >= 0xE000)]
_CODE = np.zeros(0x10000, dtype="<u2")
_CODE[_values] = _codes[(np.arange(len(_values)) * 7919) % len(_codes)]
del _all, _codes, _values
# One byte per character for the all-ASCII patterns: a non-ASCII character can never be part of
# such a match, so every one becomes 0x80, which no pattern holds.
_NARROW = np.full(0x10000, 0x80, dtype=np.uint8)
_NARROW[:0x80] = np.arange(0x80, dtype=np.uint8)


def encode(points: np.ndarray) -> bytes:
    """Two-byte coding of normalised code units ``points`` (compiling patterns)."""
    return _CODE.take(points).view(np.uint8).tobytes()


def coded(points: np.ndarray) -> np.ndarray:
    """:func:`encode` without the copy into ``bytes`` (both scanners read the buffer)."""
    return _CODE.take(points).view(np.uint8)


def narrow(points: np.ndarray) -> np.ndarray:
    """One-byte coding for the all-ASCII patterns: ASCII as itself, anything else 0x80."""
    return _NARROW.take(points)


def both(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(coded(points), narrow(points))`` in cache-sized blocks: each block of ``points`` is
    read from memory once for both codings (measured 1.6x faster than two passes on 20 MB)."""
    if points.size <= _BLOCK:
        return coded(points), narrow(points)
    wide = np.empty(points.size, dtype="<u2")
    ascii_ = np.empty(points.size, dtype=np.uint8)
    for i in range(0, points.size, _BLOCK):
        block = points[i : i + _BLOCK]
        _CODE.take(block, out=wide[i : i + _BLOCK])
        _NARROW.take(block, out=ascii_[i : i + _BLOCK])
    return wide.view(np.uint8), ascii_
