"""Proportions with their Wilson 95 % interval, for the filing thresholds.

A point rate says little at filing sample sizes: 96.0 % passed out of 4,000 has a 95 % interval
of 95.4–96.6 %, and 5.0 % harmful out of 300 has 3.1–8.1 %. Reports print both
(``reference/data_eval.md`` §4.2).
"""

from __future__ import annotations

from typing import Any

from hegui.stats import wilson_or_unknown as wilson

__all__ = ["proportion", "wilson"]



def proportion(k: int, n: int) -> dict[str, Any]:
    """``{"count", "of", "share", "ci95"}`` rounded for reports (share is None when n is 0)."""
    lo, hi = wilson(k, n)
    return {
        "count": k,
        "of": n,
        "share": round(k / n, 6) if n else None,
        "ci95": [round(lo, 6), round(hi, 6)],
    }
