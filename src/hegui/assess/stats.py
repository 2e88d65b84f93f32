"""Proportions with Wilson score intervals, and the sample that clears a threshold with confidence.

The Wilson interval (Wilson 1927) keeps its coverage near 95 % for rates close to 0 or 1,
where the pass and refusal rates of an assessment live; the normal ("Wald") interval does not.
The tests compare it with ``statsmodels.stats.proportion.proportion_confint(method="wilson")``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hegui.stats import wilson_or_unknown as wilson
from hegui.stats import wilson_rate_interval

__all__ = ["Proportion", "needed_sample", "wilson"]




def _bound(p: float, n: int, upper: bool) -> float:
    lo, hi = wilson_rate_interval(p, n)
    return hi if upper else lo


def needed_sample(
    rate: float, threshold: float, direction: str, limit: int = 10_000_000
) -> int | None:
    """Smallest sample size at which an observed ``rate`` clears ``threshold`` with 95 %
    confidence: the Wilson lower bound ≥ threshold (``direction=">="``) or the upper bound
    ≤ threshold (``"<="``). ``None`` when the rate itself does not clear the threshold (no
    sample is large enough) or more than ``limit`` would be needed."""
    upper = direction == "<="
    if (upper and rate >= threshold) or (not upper and rate <= threshold):
        return None

    def clears(n: int) -> bool:
        b = _bound(rate, n, upper)
        return b <= threshold if upper else b >= threshold

    hi = 1
    while not clears(hi):
        hi *= 2
        if hi > limit:
            return None
    lo = hi // 2
    while lo + 1 < hi:  # the bound moves monotonically towards the rate as n grows
        mid = (lo + hi) // 2
        if clears(mid):
            hi = mid
        else:
            lo = mid
    return hi


@dataclass(frozen=True, slots=True)
class Proportion:
    """``k`` of ``n`` with its Wilson 95 % interval."""

    k: int
    n: int

    @property
    def rate(self) -> float | None:
        return self.k / self.n if self.n else None

    @property
    def ci(self) -> tuple[float, float]:
        return wilson(self.k, self.n)

    def to_dict(self) -> dict[str, Any]:
        lo, hi = self.ci
        rate = self.rate
        return {
            "k": self.k,
            "n": self.n,
            "rate": None if rate is None else round(rate, 4),
            "ci95": [round(lo, 4), round(hi, 4)],
        }
