"""Empirical growth: the slope of log(time) against log(size), with a bootstrap interval,
and the class of growth that fits best.

A slope b says time grows like size**b on the measured range: about 1 for a linear program,
2 for a quadratic one. The interval is a percentile bootstrap over the (size, time) points
with a fixed seed, so the same measurements always give the same interval.

A power of n is not the only class: log(time) linear in n is exponential growth (`O(1.62^n)`
for a naive Fibonacci, which a power fit calls "O(n^7)"), and time linear in log(n) is
logarithmic. With three sizes or more, a class other than the power is named when its fit
(least squares on log time) leaves less than half the power fit's residual. Time that falls
as the input grows fits no class, and the label says so rather than "O(1)".
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
    growth_class: str | None = None
    """'O(1.62^n)' or 'O(log n)' when that class fits clearly better than a power of n."""

    def describe(self) -> str:
        return f"time ~ n^{self.slope:.2f} (95% CI {self.low:.2f}..{self.high:.2f}, {self.points} points)"

    def label(self) -> str:
        """The class that fits: exponential or logarithmic when clearly better, else the
        nearest of O(1), O(n^0.5), O(n), O(n^1.5), O(n^2), ... the interval admits; 'no class
        fits' when time falls as the input grows."""
        if self.growth_class is not None:
            return self.growth_class
        if self.high < -0.25:
            return f"no class fits (time falls as n grows: n^{self.slope:.2f})"
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
    sizes_times = [(s, t) for s, t in zip(sizes, times, strict=True) if s > 0 and t > 0]
    return GrowthFit(slope=slope, low=low, high=high, points=len(points),
                     growth_class=_other_class(sizes_times, slope))  # fmt: skip


CLEARLY_BETTER = 0.5
"""Another class is named when its residual is below this fraction of the power fit's."""


def _residual(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float, float] | None:
    """(intercept, slope, sum of squared residuals) of the least-squares line y ~ x."""
    slope = _slope(xs, ys)
    if slope is None:
        return None
    intercept = sum(ys) / len(ys) - slope * sum(xs) / len(xs)
    return intercept, slope, sum((y - intercept - slope * x) ** 2 for x, y in zip(xs, ys, strict=True))


def _other_class(points: Sequence[tuple[float, float]], power: float) -> str | None:
    """'O(b^n)' or 'O(log n)' when that class explains log(time) clearly better than a
    power of n does (three sizes or more), else None."""
    if len({s for s, _ in points}) < 3 or power <= 0:
        return None
    sizes, log_times = [s for s, _ in points], [math.log(t) for _, t in points]
    fits = {"power": _residual([math.log(s) for s in sizes], log_times),
            "exponential": _residual(sizes, log_times)}  # fmt: skip
    logarithmic = _residual([math.log(s) for s in sizes], [t for _, t in points])
    if logarithmic is not None and logarithmic[1] > 0:
        a, b, _ = logarithmic
        predicted = [a + b * math.log(s) for s in sizes]
        if all(p > 0 for p in predicted):
            error = sum((y - math.log(p)) ** 2 for y, p in zip(log_times, predicted, strict=True))
            fits["logarithmic"] = (a, b, error)
    power_fit = fits["power"]
    if power_fit is None:
        return None
    best = min((name for name in fits if fits[name] is not None), key=lambda n: fits[n][2])  # type: ignore[index]
    chosen = fits[best]
    if best == "power" or chosen is None or chosen[2] >= CLEARLY_BETTER * power_fit[2]:
        return None
    if best == "exponential":
        return f"O({math.exp(chosen[1]):.3g}^n)" if chosen[1] > 0 else None
    return "O(log n)"
