"""hegui.stats against the reference implementations, to 1e-9, on generated data."""

from __future__ import annotations

import math

import krippendorff
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hegui.stats import (
    cohen_kappa,
    krippendorff_alpha,
    percent_agreement,
    wilson_interval,
    z_score,
)
from tests.annotation.helpers import sklearn_kappa


def _rater_pair(seed: int, n: int, k: int, agree: float) -> tuple[list[int], list[int]]:
    rng = np.random.default_rng(seed)
    a = rng.integers(0, k, n)
    b = np.where(rng.random(n) < agree, a, rng.integers(0, k, n))
    return a.tolist(), b.tolist()


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize(("n", "k", "agree"), [(30, 2, 0.8), (500, 5, 0.6), (5000, 32, 0.9)])
def test_cohen_kappa_matches_scikit_learn(seed: int, n: int, k: int, agree: float) -> None:
    a, b = _rater_pair(seed, n, k, agree)
    assert cohen_kappa(a, b) == pytest.approx(sklearn_kappa(a, b), abs=1e-9)


def test_cohen_kappa_on_label_strings_matches_scikit_learn() -> None:
    a = ["none", "A.2.e", "A.2.d,A.2.e", "none", "A.1.g", "none", "A.2.e"]
    b = ["none", "A.2.e", "A.2.e", "none", "none", "A.1.g", "A.2.e"]
    assert cohen_kappa(a, b) == pytest.approx(sklearn_kappa(a, b), abs=1e-9)


def _reliability(seed: int, coders: int, units: int, k: int, missing: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, k, units)
    data = np.where(rng.random((coders, units)) < 0.7, truth, rng.integers(0, k, (coders, units)))
    data = data.astype(float)
    data[rng.random((coders, units)) < missing] = np.nan
    return data


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize(
    ("coders", "units", "k", "missing"),
    [(2, 50, 2, 0.0), (3, 400, 4, 0.2), (5, 2000, 10, 0.5), (8, 300, 3, 0.7)],
)
def test_krippendorff_alpha_matches_the_krippendorff_package(
    seed: int, coders: int, units: int, k: int, missing: float
) -> None:
    data = _reliability(seed, coders, units, k, missing)
    ours = krippendorff_alpha([[v for v in data[:, j] if not math.isnan(v)] for j in range(units)])
    ref = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
    assert ours == pytest.approx(ref, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.lists(st.sampled_from(["none", "A.2.e", "A.2.d", "A.1.g"]), min_size=0, max_size=4),
        min_size=2,
        max_size=40,
    )
)
def test_alpha_agrees_with_the_package_on_any_units(units: list[list[str]]) -> None:
    codes = {"none": 0, "A.2.e": 1, "A.2.d": 2, "A.1.g": 3}
    width = max(len(u) for u in units)
    pairable = [u for u in units if len(u) >= 2]
    values = {v for u in pairable for v in u}
    ours = krippendorff_alpha(units)
    if len(values) < 2:
        assert ours is None
        return
    data = np.full((width, len(units)), np.nan)
    for j, unit in enumerate(units):
        for i, value in enumerate(unit):
            data[i, j] = codes[value]
    ref = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
    assert ours == pytest.approx(ref, abs=1e-9)


def test_two_coders_without_missing_values_alpha_is_close_to_kappa_not_equal() -> None:
    a, b = _rater_pair(3, 200, 3, 0.7)
    alpha = krippendorff_alpha(zip(a, b, strict=True))
    kappa = cohen_kappa(a, b)
    assert alpha is not None and kappa is not None
    assert alpha != kappa and abs(alpha - kappa) < 0.01  # α corrects for small samples


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [  # reference/data_eval.md §4.2 (filing sample sizes)
        (900, 1000, 0.880, 0.917),
        (285, 300, 0.919, 0.969),
        (15, 300, 0.031, 0.081),
        (3840, 4000, 0.953, 0.966),
    ],
)
def test_wilson_interval_at_the_filing_thresholds(k: int, n: int, low: float, high: float) -> None:
    lo, hi = wilson_interval(k, n)
    assert lo == pytest.approx(low, abs=6e-4)
    assert hi == pytest.approx(high, abs=6e-4)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 10_000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_interval_contains_the_rate_and_solves_the_score_equation(
    kn: tuple[int, int],
) -> None:
    k, n = kn
    lo, hi = wilson_interval(k, n)
    p = k / n
    assert 0.0 <= lo <= p <= hi <= 1.0
    z = z_score(0.95)
    for bound in (lo, hi):  # each bound solves |p - π| = z·√(π(1-π)/n)
        if 0.0 < bound < 1.0:
            assert abs(p - bound) == pytest.approx(z * math.sqrt(bound * (1 - bound) / n), abs=1e-9)


def test_degenerate_inputs_are_none_or_errors() -> None:
    assert cohen_kappa([], []) is None
    assert cohen_kappa(["x", "x"], ["x", "x"]) is None
    assert krippendorff_alpha([["x", "x"], ["x", "x"]]) is None
    assert krippendorff_alpha([["x"], ["y"]]) is None  # nothing pairable
    assert percent_agreement([], []) is None
    with pytest.raises(ValueError, match="n > 0"):
        wilson_interval(0, 0)
    with pytest.raises(ValueError, match="different numbers"):
        cohen_kappa([1], [1, 2])
    assert z_score(0.95) == pytest.approx(1.959963984540054, abs=1e-12)
