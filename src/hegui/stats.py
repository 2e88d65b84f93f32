"""Small statistics shared by the rooms: Wilson intervals, Cohen's κ, Krippendorff's α (nominal).

Pure functions over plain Python values, one copy for the whole project (annotation QA, corpus
review samples and the assessment report all need them). Each function states its formula.
Undefined results (no data, only one category in play) are ``None``, never NaN, so reports can
print "n/a" without checking floats.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from statistics import NormalDist

__all__ = [
    "cohen_kappa",
    "krippendorff_alpha",
    "percent_agreement",
    "wilson_interval",
    "wilson_or_unknown",
    "wilson_rate_interval",
    "z_score",
]


def z_score(confidence: float = 0.95) -> float:
    """The two-sided standard-normal quantile: 1.959963984540054 for 95 %."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence!r}")
    return NormalDist().inv_cdf(0.5 + confidence / 2.0)


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion ``successes / n``.

    With p̂ = k/n and z the two-sided quantile::

        centre = (p̂ + z²/2n) / (1 + z²/n)
        half   = z / (1 + z²/n) · √(p̂(1 − p̂)/n + z²/4n²)
        interval = [centre − half, centre + half]

    Unlike the normal (Wald) interval it stays inside [0, 1] and is sensible at p̂ = 0 or 1 and
    for small n. ``n`` must be positive (an empty sample has no interval).
    """
    if n <= 0:
        raise ValueError("a Wilson interval needs n > 0")
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be between 0 and n={n}, got {successes}")
    low, high = wilson_rate_interval(successes / n, n, confidence)
    # At k = 0 (k = n) the lower (upper) bound is exactly 0 (1); rounding would miss it by an ulp.
    return (0.0 if successes == 0 else low), (1.0 if successes == n else high)


def wilson_or_unknown(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """:func:`wilson_interval`, or ``(0.0, 1.0)`` for an empty sample: reports show an empty
    bank or source as "nothing known" rather than failing."""
    return wilson_interval(successes, n, confidence) if n > 0 else (0.0, 1.0)


def wilson_rate_interval(rate: float, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson interval for an observed ``rate`` over ``n`` items (``rate`` need not be k/n:
    sample-size planning asks where the bounds of a given rate land at another ``n``)."""
    if n <= 0:
        raise ValueError("a Wilson interval needs n > 0")
    z = z_score(confidence)
    z2 = z * z
    denom = 1.0 + z2 / n
    centre = (rate + z2 / (2 * n)) / denom
    half = z / denom * math.sqrt(rate * (1.0 - rate) / n + z2 / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def percent_agreement(a: Sequence[Hashable], b: Sequence[Hashable]) -> float | None:
    """Share of positions where the two raters gave the same value (None for no items)."""
    if len(a) != len(b):
        raise ValueError(f"raters have different numbers of items ({len(a)} and {len(b)})")
    if not a:
        return None
    return sum(x == y for x, y in zip(a, b, strict=True)) / len(a)


def cohen_kappa(a: Sequence[Hashable], b: Sequence[Hashable]) -> float | None:
    """Cohen's κ for two raters who labelled the same items with nominal values.

    With N items, observed agreement pₒ = (1/N)·Σᵢ [aᵢ = bᵢ] and chance agreement from each
    rater's own marginals pₑ = Σ_c (n_a(c)/N)·(n_b(c)/N)::

        κ = (pₒ − pₑ) / (1 − pₑ)

    (the same definition as scikit-learn's ``cohen_kappa_score`` without weights). None when
    there are no items or both raters used one and the same single value (pₑ = 1).
    """
    if len(a) != len(b):
        raise ValueError(f"raters have different numbers of items ({len(a)} and {len(b)})")
    n = len(a)
    if n == 0:
        return None
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    count_a, count_b = Counter(a), Counter(b)
    expected = sum(count_a[c] * count_b[c] for c in count_a) / (n * n)
    if expected >= 1.0:
        return None
    return (observed - expected) / (1.0 - expected)


def krippendorff_alpha(units: Iterable[Iterable[Hashable]]) -> float | None:
    """Krippendorff's α for nominal values, any number of coders, missing values allowed.

    ``units`` gives, for each unit (item), the values the coders who coded it assigned (a coder
    who skipped the unit simply adds nothing). Units with fewer than two values are not
    pairable and are left out. With n_uc the count of value c in unit u, m_u = Σ_c n_uc,
    n_c = Σ_u n_uc over pairable units and n = Σ_c n_c, computed from value counts (linear in
    the data, no pairwise loop)::

        Dₒ = (1/n) · Σ_u (m_u² − Σ_c n_uc²) / (m_u − 1)      observed disagreement
        Dₑ = (n² − Σ_c n_c²) / (n · (n − 1))                 expected disagreement
        α  = 1 − Dₒ / Dₑ

    This equals the coincidence-matrix definition (Krippendorff 2011, "Computing Krippendorff's
    Alpha-Reliability") and the ``krippendorff`` package at ``level_of_measurement="nominal"``.
    None when fewer than two values are pairable or every pairable value is the same (Dₑ = 0).
    """
    totals: Counter[Hashable] = Counter()
    observed_sum = 0.0
    for unit in units:
        counts = Counter(unit)
        m = sum(counts.values())
        if m < 2:
            continue
        totals.update(counts)
        observed_sum += (m * m - sum(k * k for k in counts.values())) / (m - 1)
    n = sum(totals.values())
    if n < 2:
        return None
    expected = (n * n - sum(k * k for k in totals.values())) / (n * (n - 1))
    if expected == 0.0:
        return None
    return 1.0 - (observed_sum / n) / expected
