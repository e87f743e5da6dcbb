"""Uncertainty of paired timings: ratio intervals, decisions and the harness's resolution.

Pure functions over run times (seconds); nothing here runs a program.

**Method.** Paired mode times programs in rounds (A B / B A, each run a fresh process), so a
round's two runs share the machine's conditions. For each round r the log ratio
``d_r = log(t_A[r] / t_B[r])`` is one observation; the interval is Student's t interval on
the mean of the ``d_r`` (n - 1 degrees of freedom), mapped back with ``exp``: a confidence
interval for the geometric-mean ratio. For a program, ``t[r]`` is the sum over its resolved
tests of round r's run times, so the program's interval comes from the same pairing.

**Decision.** Against a threshold on the time ratio (Eq. 3's 0.9: at least 10% faster,
i.e. a speedup of 1/0.9 = 1.11): the interval entirely below it is `OPTIMIZED`, entirely at
or above it `NOT_OPTIMIZED`, straddling it `UNDECIDED`; with no resolved test `UNRESOLVED`.

**Resolution.** The harness's own run-to-run spread is the standard deviation of the null
program's CPU times (`spread`). A test whose net time is not above `resolution(spread)`
(``RESOLUTION_SIGMAS`` spreads, at least 1 us) is unresolved: it is left out of ratios
rather than clamped and divided (docs/judge.md, "The time of one run").
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

CONFIDENCE = 0.95
"""Two-sided confidence of every interval."""
RESOLUTION_SIGMAS = 3.0
"""A net time is resolved when above this many harness spreads."""
RESOLUTION_FLOOR_S = 1e-6
INTERVAL_METHOD = "Student t interval on per-round log ratios (paired rounds)"


class Decision(str, Enum):
    OPTIMIZED = "optimized"
    NOT_OPTIMIZED = "not_optimized"
    UNDECIDED = "undecided"
    UNRESOLVED = "unresolved"
    """No test of the pair has a net time above the harness's resolution."""


@dataclass(frozen=True)
class RatioInterval:
    """A ratio time(A) / time(B): geometric mean over rounds and its confidence interval."""

    estimate: float
    low: float
    high: float
    rounds: int

    @property
    def relative_half_width(self) -> float:
        """Half the interval's width on the log scale (0.05: about +-5%)."""
        return (math.log(self.high) - math.log(self.low)) / 2


def _t_two_sided(t: float, df: int) -> float:
    """P(|T| < t) for Student's t with integer `df` (closed form over theta = atan(t/sqrt(df)))."""
    theta = math.atan(t / math.sqrt(df))
    cos2 = math.cos(theta) ** 2
    if df % 2 == 1:
        total, term = 0.0, 1.0
        for k in range(1, (df - 1) // 2 + 1):
            total += term
            term *= (2 * k) / (2 * k + 1) * cos2
        series = math.sin(theta) * math.cos(theta) * total if df > 1 else 0.0
        return 2 / math.pi * (theta + series)
    total, term = 0.0, 1.0
    for k in range(1, df // 2 + 1):
        total += term
        term *= (2 * k - 1) / (2 * k) * cos2
    return math.sin(theta) * total


def t_quantile(confidence: float, df: int) -> float:
    """The t such that P(|T| < t) = confidence (df >= 1), by bisection on the exact CDF."""
    if df < 1 or not 0 < confidence < 1:
        raise ValueError("t_quantile needs df >= 1 and 0 < confidence < 1")
    low, high = 0.0, 1.0
    while _t_two_sided(high, df) < confidence:
        high *= 2
    for _ in range(100):
        middle = (low + high) / 2
        if _t_two_sided(middle, df) < confidence:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def log_ratio_interval(
    log_ratios: Sequence[float], confidence: float = CONFIDENCE
) -> RatioInterval | None:
    """The t interval of exp(mean log ratio); None with fewer than two rounds."""
    n = len(log_ratios)
    if n < 2:
        return None
    mean = statistics.fmean(log_ratios)
    half = t_quantile(confidence, n - 1) * statistics.stdev(log_ratios) / math.sqrt(n)
    return RatioInterval(math.exp(mean), math.exp(mean - half), math.exp(mean + half), n)


def round_log_ratios(first: Sequence[float], second: Sequence[float]) -> list[float]:
    """log(first[r] / second[r]) for each round both have, skipping non-positive times."""
    return [math.log(a / b) for a, b in zip(first, second, strict=False) if a > 0 and b > 0]


def round_totals(per_test: Sequence[Sequence[float]]) -> list[float]:
    """Per round, the sum over tests of that round's run (rounds every test has)."""
    if not per_test:
        return []
    rounds = min(len(times) for times in per_test)
    return [sum(times[r] for times in per_test) for r in range(rounds)]


def decide(interval: RatioInterval | None, threshold: float) -> Decision:
    """Where the interval lies against `threshold` (a time ratio; see the module's docstring)."""
    if interval is None:
        return Decision.UNDECIDED
    if interval.high < threshold:
        return Decision.OPTIMIZED
    if interval.low >= threshold:
        return Decision.NOT_OPTIMIZED
    return Decision.UNDECIDED


def spread(null_times_s: Sequence[float]) -> float | None:
    """The harness's run-to-run spread: standard deviation of the null program's times."""
    return statistics.stdev(null_times_s) if len(null_times_s) >= 2 else None


def resolution(spreads: Sequence[float | None]) -> float:
    """The smallest net time that is measured: RESOLUTION_SIGMAS x the median spread."""
    known = [s for s in spreads if s is not None]
    if not known:
        return RESOLUTION_FLOOR_S
    return max(RESOLUTION_FLOOR_S, RESOLUTION_SIGMAS * statistics.median(known))


def resolved(net_times_s: Sequence[float], limit_s: float) -> bool:
    """A test's runs measure the program when their median net time is above `limit_s`."""
    return bool(net_times_s) and statistics.median(net_times_s) > limit_s
