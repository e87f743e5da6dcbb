"""Significance: the two-proportion z-test and percentile bootstrap intervals (pure Python)."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

DEFAULT_RESAMPLES = 1000
DEFAULT_CONFIDENCE = 0.95


def percent(count: int, total: int) -> float:
    """100 * count / total, or 0 for an empty total."""
    return 100.0 * count / total if total else 0.0


@dataclass(frozen=True)
class ZTest:
    z: float
    p_value: float
    """Two-sided."""


def two_proportion_z_test(successes_a: int, n_a: int, successes_b: int, n_b: int) -> ZTest:
    """Pooled two-proportion z-test of p_a - p_b (the paper's Section VIII-E).

    The sign follows the paper: with a = base and b = the method, a better method gives a
    negative z. Identical all-or-nothing proportions give z = 0, p = 1.
    """
    if n_a <= 0 or n_b <= 0:
        raise ValueError("both samples need at least one problem")
    p_a, p_b = successes_a / n_a, successes_b / n_b
    pooled = (successes_a + successes_b) / (n_a + n_b)
    standard_error = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    if standard_error == 0:
        return ZTest(z=0.0, p_value=1.0)
    z = (p_a - p_b) / standard_error
    return ZTest(z=z, p_value=math.erfc(abs(z) / math.sqrt(2)))


@dataclass(frozen=True)
class ConfidenceInterval:
    low: float
    high: float
    confidence: float
    resamples: int
    """Resamples on which the statistic was defined."""


def quantile(ordered: Sequence[float], q: float) -> float:
    """Linear-interpolation quantile of sorted values (numpy's default rule)."""
    position = q * (len(ordered) - 1)
    lower = math.floor(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def bootstrap_cis(
    items: Sequence[T],
    statistics: Mapping[str, Callable[[Sequence[T]], float | None]],
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    confidence: float = DEFAULT_CONFIDENCE,
) -> dict[str, ConfidenceInterval | None]:
    """Percentile bootstrap: resample ``items`` with replacement, the same draws for every
    statistic; a statistic undefined on a resample (None) skips it."""
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1")
    if not items or resamples < 1:
        return dict.fromkeys(statistics)
    rng = random.Random(seed)
    draws: dict[str, list[float]] = {name: [] for name in statistics}
    for _ in range(resamples):
        sample = rng.choices(items, k=len(items))
        for name, statistic in statistics.items():
            value = statistic(sample)
            if value is not None and math.isfinite(value):
                draws[name].append(value)
    alpha = 1 - confidence
    intervals: dict[str, ConfidenceInterval | None] = {}
    for name, values in draws.items():
        values.sort()
        intervals[name] = (
            ConfidenceInterval(
                low=quantile(values, alpha / 2),
                high=quantile(values, 1 - alpha / 2),
                confidence=confidence,
                resamples=len(values),
            )
            if values
            else None
        )
    return intervals
