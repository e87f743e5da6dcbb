"""Empirical growth: the slope of log(time) against log(size), with a bootstrap interval.

A slope b says time grows like size**b on the measured range: about 1 for a linear program,
2 for a quadratic one. The interval is a percentile bootstrap over the (size, time) points
with a fixed seed, so the same measurements always give the same interval.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

BOOTSTRAP_ROUNDS = 2000


@dataclass(frozen=True)
class GrowthFit:
    slope: float
    low: float
    high: float
    """The 95% bootstrap interval of the slope."""
    points: int

    def describe(self) -> str:
        return f"time ~ n^{self.slope:.2f} (95% CI {self.low:.2f}..{self.high:.2f}, {self.points} points)"

    def label(self) -> str:
        """The nearest of O(1), O(n^0.5), O(n), O(n^1.5), O(n^2), ... the interval admits."""
        nearest = round(self.slope * 2) / 2
        if not self.low - 0.25 <= nearest <= self.high + 0.25:
            return f"O(n^{self.slope:.2f})"
        if nearest <= 0:
            return "O(1)"
        if nearest == 1:
            return "O(n)"
        return f"O(n^{nearest:g})"


def _slope(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mean_x) ** 2 for x in xs)
    if sxx == 0:
        return None
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sxx


def fit_growth(
    sizes: Sequence[float], times: Sequence[float], seed: int = 0, confidence: float = 0.95
) -> GrowthFit:
    """Fit log(time) = a + b log(size) by least squares; several points per size are welcome."""
    if len(sizes) != len(times):
        raise ValueError("one time per size is needed")
    points = [
        (math.log(s), math.log(t)) for s, t in zip(sizes, times, strict=True) if s > 0 and t > 0
    ]
    if len({x for x, _ in points}) < 2:
        raise ValueError("a growth fit needs positive times at two sizes at least")
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    slope = _slope(xs, ys)
    assert slope is not None
    rng = random.Random(seed)
    resampled: list[float] = []
    for _ in range(BOOTSTRAP_ROUNDS):
        picks = [points[rng.randrange(len(points))] for _ in points]
        value = _slope([p[0] for p in picks], [p[1] for p in picks])
        if value is not None:
            resampled.append(value)
    resampled.sort()
    tail = (1 - confidence) / 2
    low = resampled[int(tail * (len(resampled) - 1))]
    high = resampled[int((1 - tail) * (len(resampled) - 1))]
    return GrowthFit(slope=slope, low=low, high=high, points=len(points))
