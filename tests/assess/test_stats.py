"""Wilson intervals against statsmodels, and the sample needed to clear a threshold."""

from __future__ import annotations

import pytest

from hegui.assess.stats import Proportion, needed_sample, wilson


def statsmodels_wilson(k: float, n: int) -> tuple[float, float]:
    """statsmodels' Wilson interval, the oracle. Imported on use: statsmodels costs every test
    worker ~0.8 s of a core while collecting."""
    from statsmodels.stats.proportion import proportion_confint

    lo, hi = proportion_confint(k, n, alpha=0.05, method="wilson")
    return float(lo), float(hi)


CASES = [
    (k, n)
    for n in (1, 2, 7, 30, 300, 1000, 2017)
    for k in sorted({0, 1, n // 20, n // 2, n - 1, n})
]


@pytest.mark.parametrize(("k", "n"), CASES)
def test_wilson_matches_statsmodels(k: int, n: int) -> None:
    lo, hi = statsmodels_wilson(k, n)
    ours = wilson(k, n)
    assert ours == pytest.approx((lo, hi), abs=1e-12)


def test_wilson_edges() -> None:
    assert wilson(0, 0) == (0.0, 1.0)
    assert wilson(0, 10)[0] == 0.0 and wilson(10, 10)[1] == pytest.approx(1.0)
    with pytest.raises(ValueError):
        wilson(11, 10)


@pytest.mark.parametrize(
    ("rate", "threshold", "direction"),
    [
        (0.97, 0.95, ">="),
        (0.93, 0.90, ">="),
        (1.0, 0.95, ">="),
        (0.02, 0.05, "<="),
        (0.0, 0.05, "<="),
    ],
)
def test_needed_sample_is_the_smallest_that_clears(
    rate: float, threshold: float, direction: str
) -> None:
    n = needed_sample(rate, threshold, direction)
    assert n is not None

    def bound(m: int) -> float:
        lo, hi = statsmodels_wilson(rate * m, m)
        return lo if direction == ">=" else hi

    def clears(m: int) -> bool:
        return bound(m) >= threshold if direction == ">=" else bound(m) <= threshold

    assert clears(n) and (n == 1 or not clears(n - 1))


def test_needed_sample_is_none_when_the_rate_misses_the_threshold() -> None:
    assert needed_sample(0.95, 0.95, ">=") is None
    assert needed_sample(0.80, 0.90, ">=") is None
    assert needed_sample(0.06, 0.05, "<=") is None


def test_proportion_to_dict() -> None:
    d = Proportion(3, 4).to_dict()
    assert d["rate"] == 0.75 and d["k"] == 3 and d["n"] == 4
    assert Proportion(0, 0).to_dict()["rate"] is None
