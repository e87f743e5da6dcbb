"""The growth fit recovers known slopes, and its interval is reproducible."""

from __future__ import annotations

import math
import random

import pytest

from perfcodegen.metrics.growth import fit_growth


def noisy(sizes: list[int], power: float, seed: int) -> list[float]:
    rng = random.Random(seed)
    return [1e-7 * n**power * rng.uniform(0.9, 1.1) for n in sizes]


@pytest.mark.parametrize(("power", "label"), [(1.0, "O(n)"), (2.0, "O(n^2)")])
def test_fit_recovers_the_slope(power: float, label: str) -> None:
    sizes = [n for n in (100, 200, 400, 800, 1600, 3200) for _ in range(3)]
    fit = fit_growth(sizes, noisy(sizes, power, seed=1))
    assert fit.low <= power <= fit.high
    assert abs(fit.slope - power) < 0.05
    assert fit.label() == label
    assert fit == fit_growth(sizes, noisy(sizes, power, seed=1))


def test_fit_needs_two_sizes() -> None:
    with pytest.raises(ValueError):
        fit_growth([10, 10], [1.0, 2.0])


def test_an_exponential_function_is_named_exponential_not_a_high_power() -> None:
    sizes = [n for n in range(10, 25, 2) for _ in range(3)]
    rng = random.Random(2)
    fit = fit_growth(sizes, [1e-7 * 1.618**n * rng.uniform(0.9, 1.1) for n in sizes])
    base = float(fit.label().removeprefix("O(").removesuffix("^n)"))
    assert abs(base - 1.618) < 0.02 and fit.slope > 3  # a power fit would say "O(n^4)" or so


def test_a_logarithmic_function_is_named_logarithmic() -> None:
    sizes = [n for n in (100, 200, 400, 800, 1600, 3200, 6400) for _ in range(3)]
    rng = random.Random(3)
    fit = fit_growth(sizes, [1e-6 * math.log(n) * rng.uniform(0.97, 1.03) for n in sizes])
    assert fit.label() == "O(log n)"


def test_time_that_falls_as_n_grows_fits_no_class() -> None:
    sizes = [n for n in (100, 200, 400, 800) for _ in range(3)]
    fit = fit_growth(sizes, noisy(sizes, -2.0, seed=4))
    assert fit.label().startswith("no class fits")
