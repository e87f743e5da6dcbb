"""ENAMEL's efficiency metric eff@k (Qiu et al., ICLR 2025, arXiv:2406.06647), exactly.

Per problem, every sample is run on the stress inputs of each size level j (cases per level:
8, 4, 4, 4 by default) with a time-out T = alpha * (the slowest expert reference time over
the levels that count, i.e. whose hardness h_j > 0). Then:

- a sample whose output is wrong on any case scores 0 on every level (and is not correct);
- a sample that times out (or runs out of memory) on level 0 scores 0 and is not correct;
- a sample that times out on level j > 0 scores 0 on level j and on every later level,
  keeps what it earned on earlier levels, and still counts as correct;
- otherwise its time t_j on level j (the slowest case of the level, each case's time being
  the Hodges-Lehmann estimate over repeats) gives e_j = max(0, T - t_j) / (T - t*_j), where
  t*_j is the reference's time on the level in the same form;
- the sample's score is the hardness-weighted mean sum_j h_j e_j / sum_j h_j.

eff@k is the Rao-Blackwellised expectation of the best score among k samples drawn without
replacement from the n: with scores sorted ascending e_(1) <= ... <= e_(n),
eff@k = sum_{r=k}^{n} C(r-1, k-1) / C(n, k) * e_(r).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from math import comb

from perfcodegen.vocabulary.stress import DEFAULT_CASES_PER_LEVEL as DEFAULT_CASES_PER_LEVEL

DEFAULT_HARDNESS: tuple[float, ...] = (0.0, 3.0, 3.0, 4.0)
DEFAULT_ALPHA = 2.0
"""ENAMEL's time-out factor."""
DEFAULT_TOLERANCE_S = 0.01
"""ENAMEL's grace on top of the time-out before a run counts as timed out."""


def hodges_lehmann(times: Sequence[float]) -> float:
    """Median of all Walsh averages (t_a + t_b) / 2 with a <= b: ENAMEL's per-case time."""
    if not times:
        raise ValueError("no times")
    walsh = [(times[a] + times[b]) / 2 for a in range(len(times)) for b in range(a + 1)]
    return statistics.median(walsh)


@dataclass(frozen=True)
class LevelRun:
    """What one program did on one size level: per-case repeat times, or why it stopped."""

    case_times: tuple[tuple[float, ...], ...] = ()
    """For each case of the level, the times of its repeats (seconds)."""
    wrong: bool = False
    """Some case's output was wrong (or the program raised)."""
    timed_out: bool = False
    """Some case exceeded the judge's limit (time or memory) before the level was done."""

    @property
    def time_s(self) -> float:
        """The level's time: its slowest case (Hodges-Lehmann estimate of each case)."""
        return max(hodges_lehmann(list(case)) for case in self.case_times)


@dataclass(frozen=True)
class SampleEfficiency:
    correct: bool
    level_scores: tuple[float, ...]
    score: float
    """The hardness-weighted mean of `level_scores`."""


def reference_timeout(
    reference_levels: Sequence[float], hardness: Sequence[float], alpha: float = DEFAULT_ALPHA
) -> float:
    """T = alpha * the slowest reference level time among the levels that count."""
    counted = [t for t, h in zip(reference_levels, hardness, strict=True) if h > 0]
    if not counted:
        raise ValueError("no level has a positive hardness")
    return alpha * max(counted)


def sample_efficiency(
    levels: Sequence[LevelRun],
    reference_levels: Sequence[float],
    hardness: Sequence[float] = DEFAULT_HARDNESS,
    alpha: float = DEFAULT_ALPHA,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
) -> SampleEfficiency:
    """One sample's per-level efficiencies and weighted score (see the module docstring).

    `levels` are the sample's runs in level order; it may stop early (the judge stops a
    program at its first time-out), missing levels score 0.
    """
    n_levels = len(hardness)
    if len(reference_levels) != n_levels:
        raise ValueError("one reference time per level is needed")
    timeout = reference_timeout(reference_levels, hardness, alpha)
    scores: list[float] = []
    for index, run in enumerate(levels[:n_levels]):
        slow = run.timed_out or any(
            t > timeout + tolerance_s for case in run.case_times for t in case
        )
        if run.wrong:
            return SampleEfficiency(False, (0.0,) * n_levels, 0.0)
        if slow:
            if index == 0:
                return SampleEfficiency(False, (0.0,) * n_levels, 0.0)
            break
        reference = reference_levels[index]
        # A level that does not count (h = 0) may have a reference time above T (cold-call
        # noise on tiny inputs); its score is then 0, and it weighs nothing either way.
        uncounted = hardness[index] <= 0 and timeout <= reference
        scores.append(0.0 if uncounted else level_efficiency(run.time_s, reference, timeout))
    if not scores:
        return SampleEfficiency(False, (0.0,) * n_levels, 0.0)
    scores.extend([0.0] * (n_levels - len(scores)))
    weighted = sum(h * e for h, e in zip(hardness, scores, strict=True)) / sum(hardness)
    return SampleEfficiency(True, tuple(scores), weighted)


def level_efficiency(time_s: float, reference_s: float, timeout_s: float) -> float:
    """e = max(0, T - t) / (T - t*); above 1 when the sample beats the expert reference."""
    if timeout_s <= reference_s:
        raise ValueError("the time-out must exceed the reference time")
    return max(0.0, timeout_s - time_s) / (timeout_s - reference_s)


def eff_at_k(scores: Sequence[float], k: int) -> float:
    """The expected best score among k of the n samples (Rao-Blackwellised, unbiased)."""
    n = len(scores)
    if k < 1 or k > n:
        raise ValueError(f"k must be between 1 and the number of samples ({n}), not {k}")
    ordered = sorted(scores)
    total = comb(n, k)
    return sum(comb(r - 1, k - 1) * ordered[r - 1] for r in range(k, n + 1)) / total
