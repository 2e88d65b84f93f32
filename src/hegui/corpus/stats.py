"""Proportions with their Wilson 95 % interval, for the filing thresholds.

A point rate says little at filing sample sizes: 96.0 % passed out of 4,000 has a 95 % interval
of 95.4–96.6 %, and 5.0 % harmful out of 300 has 3.1–8.1 %. Reports print both
(``reference/data_eval.md`` §4.2).
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["proportion", "wilson"]

Z95 = 1.959963984540054


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of k successes in n trials ((0, 1) when n is 0)."""
    if n <= 0:
        return 0.0, 1.0
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def proportion(k: int, n: int) -> dict[str, Any]:
    """``{"count", "of", "share", "ci95"}`` rounded for reports (share is None when n is 0)."""
    lo, hi = wilson(k, n)
    return {
        "count": k,
        "of": n,
        "share": round(k / n, 6) if n else None,
        "ci95": [round(lo, 6), round(hi, 6)],
    }
