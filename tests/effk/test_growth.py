"""The growth fit recovers known slopes, and its interval is reproducible."""

from __future__ import annotations

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
